import ArgumentParser
import Foundation
import Foundation
import Postgres
import Storage

/// `dispatch feed create|rotate|revoke|show`: a user's masked calendar feed (docs/feeds.md).
///
/// Two ways, like the rest of the command line: with `--org` (and `--handle`) on the server, straight
/// in the database, for the operator; without, on a device, through the API as the signed-in user
/// (`dispatch login`), for their own feed or, as an organisation admin, someone else's (`--handle`).
struct FeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Make, rotate, revoke or show a user's calendar feed address.",
        subcommands: [FeedCreateCommand.self, FeedRotateCommand.self, FeedRevokeCommand.self, FeedShowCommand.self]
    )
}

/// Whose feed: `--org ORG --handle HANDLE` on the server; on a device, the signed-in user's own or,
/// for an organisation admin, `--handle HANDLE`.
struct FeedTargetOptions: ParsableArguments {
    @Option(name: .customLong("org"), help: "On the server: the organisation, by name or id (then --handle is needed).") var organization: String?
    @Option(help: "The user's handle. On a device, leave it out for your own feed.") var handle: String?

    func validate() throws {
        if organization != nil && handle == nil { throw ValidationError("With --org, name the user with --handle.") }
    }

    /// The user as the API names them.
    var apiUser: String { handle ?? "me" }
}

/// The words the feed commands print, the same on the server and on a device.
enum FeedText {
    static func address(handle: String, language: String, url: String, webcalURL: String, replaced: Bool) -> String {
        [
            "Calendar feed for \(handle)\(replaced ? ", replacing the old address, which no longer works" : "").",
            "The address is shown only this once. Give it to the user now; anyone who has it can see when their assignments are due, nothing more.",
            url,
            "Calendar apps that subscribe by link can use: \(webcalURL)",
            "Event texts are in \(language == "en" ? "English" : "Norwegian").",
        ].joined(separator: "\n")
    }

    static func feed(handle: String, language: String, createdAt: Date, id: String) -> String {
        [
            "\(handle) has a calendar feed, made \(String(PostgresTimestamp.format(createdAt).prefix(16)).replacingOccurrences(of: "T", with: " ")) UTC.",
            "Event texts are in \(language == "en" ? "English" : "Norwegian").",
            "Its address cannot be shown again; rotate it to give out a new one.",
            "Feed id: \(id).",
        ].joined(separator: "\n")
    }
}
