import AssignmentCore
import ArgumentParser
import DeviceClient
import Foundation
import Storage

/// `dispatch feed create [--org NAME --handle HANDLE | --handle HANDLE] [--language nb|en] [--json]`
struct FeedCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a calendar feed and print its address (shown once; only a hash is kept).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var target: FeedTargetOptions
    @Option(help: "Language of the event texts: nb (default) or en.") var language: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await FeedIssuing(options: options, target: target, language: language, json: json).run(replacing: false)
    }
}

/// What `feed create` and `feed rotate` share: make the feed on the server or through the API,
/// refusing to replace (create) or requiring one to replace (rotate), and print the address once.
struct FeedIssuing {
    let options: GlobalOptions
    let target: FeedTargetOptions
    let language: String?
    let json: Bool

    func run(replacing: Bool) async throws {
        let environment = try CommandEnvironment(options: options)
        if let organization = target.organization, let handle = target.handle {
            let issued = try await environment.withAccounts { accounts in
                let found = try await accounts.organization(organization)
                let serverKey = try environment.serverKey()
                let feeds = FeedStore(database: accounts.database)
                let exists = (try? await feeds.live(for: handle, in: found.id)) != nil
                if replacing && !exists { throw FeedError.noFeed }
                if !replacing && exists { throw FeedError.alreadyExists }
                return try await feeds.issue(for: handle, in: found.id, language: language, serverKeyVersion: serverKey.currentVersion, at: Date())
            }
            let address = FeedAddress(issued, baseURL: environment.feedBaseURL)
            try Output.print(address, json: json) {
                FeedText.address(handle: $0.feed.handle, language: $0.feed.language, url: $0.url, webcalURL: $0.webcalURL, replaced: $0.replaced)
            }
        } else {
            let address = try await environment.withDevice { device in
                let exists: Bool
                do {
                    _ = try await device.feed(of: target.apiUser)
                    exists = true
                } catch DeviceClientError.server(status: 404, code: "feed_not_found", _) {
                    exists = false
                }
                if replacing && !exists { throw FeedError.noFeed }
                if !replacing && exists { throw FeedError.alreadyExists }
                return try await device.issueFeed(for: target.apiUser, language: language)
            }
            try Output.print(address, json: json) {
                FeedText.address(handle: $0.feed.handle, language: $0.feed.language.rawValue, url: $0.url, webcalURL: $0.webcalUrl, replaced: $0.replaced)
            }
        }
    }
}
