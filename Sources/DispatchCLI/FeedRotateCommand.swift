import ArgumentParser
import Foundation
import Storage

/// `dispatch feed rotate --org NAME --handle HANDLE [--language nb|en] [--json]`
struct FeedRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Give a user's calendar feed a new address; the old one stops working at once.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Option(help: "Language of the event texts: nb or en (default: as before).") var language: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let issued = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            let feeds = FeedStore(database: accounts.database)
            _ = try await feeds.live(for: user.handle, in: organization.id)
            return try await feeds.issue(for: user.handle, in: organization.id, language: language, at: Date())
        }
        try Output.print(FeedAddress(issued, baseURL: environment.feedBaseURL), json: json) { $0.plainText }
    }
}
