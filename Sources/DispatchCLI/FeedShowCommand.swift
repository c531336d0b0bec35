import ArgumentParser
import Foundation
import Storage

/// `dispatch feed show [--org NAME --handle HANDLE | --handle HANDLE] [--json]`
struct FeedShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Say whether there is a calendar feed, since when and in which language (never its address).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var target: FeedTargetOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        if let organization = target.organization, let handle = target.handle {
            let feed = try await environment.withAccounts { accounts in
                let found = try await accounts.organization(organization)
                return try await FeedStore(database: accounts.database).live(for: handle, in: found.id)
            }
            try Output.print(feed, json: json) { FeedText.feed(handle: $0.handle, language: $0.language, createdAt: $0.createdAt, id: $0.id.uuidString.lowercased()) }
        } else {
            let feed = try await environment.withDevice { try await $0.feed(of: target.apiUser) }
            try Output.print(feed, json: json) { FeedText.feed(handle: $0.handle, language: $0.language.rawValue, createdAt: $0.createdAt, id: $0.id) }
        }
    }
}
