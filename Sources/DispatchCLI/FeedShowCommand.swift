import ArgumentParser
import Foundation
import Storage

/// `dispatch feed show --org NAME --handle HANDLE [--json]`
struct FeedShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Say whether a user has a calendar feed, since when and in which language (never its address).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let feed = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            return try await FeedStore(database: accounts.database).live(for: user.handle, in: organization.id)
        }
        try Output.print(feed, json: json) { $0.plainText }
    }
}
