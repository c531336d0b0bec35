import ArgumentParser
import Foundation
import Storage

/// `dispatch feed create --org NAME --handle HANDLE [--language nb|en] [--json]`
struct FeedCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Make a user's calendar feed and print its address (shown once; only a hash is kept).")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Option(help: "Language of the event texts: nb (default) or en.") var language: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let issued = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            let feeds = FeedStore(database: accounts.database)
            if (try? await feeds.live(for: user.handle, in: organization.id)) != nil {
                throw ValidationError("\(user.handle) already has a calendar feed. 'dispatch feed rotate' gives a new address and stops the old one.")
            }
            return try await feeds.issue(for: user.handle, in: organization.id, language: language, at: Date())
        }
        let report = FeedAddress(issued, baseURL: environment.feedBaseURL)
        try Output.print(report, json: json) { $0.plainText }
    }
}
