import ArgumentParser
import Foundation
import Storage

/// `dispatch feed create|rotate|revoke|show`: a user's masked calendar feed (docs/feeds.md), for
/// the operator on the server. Users manage their own feed through the API
/// (`POST /v1/users/me/feed`).
struct FeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feed",
        abstract: "Make, rotate, revoke or show a user's calendar feed address.",
        subcommands: [FeedCreateCommand.self, FeedRotateCommand.self, FeedRevokeCommand.self, FeedShowCommand.self]
    )
}

/// What `feed create` and `feed rotate` print: the address, once.
extension FeedAddress {
    var plainText: String {
        [
            "Calendar feed for \(feed.handle)\(replaced ? ", replacing the old address, which no longer works" : "").",
            "The address is shown only this once. Give it to the user now; anyone who has it can see when their assignments are due, nothing more.",
            url,
            "Calendar apps that subscribe by link can use: \(webcalURL)",
            "Event texts are in \(feed.language == "en" ? "English" : "Norwegian").",
        ].joined(separator: "\n")
    }
}

extension FeedRecord {
    var plainText: String {
        [
            "\(handle) has a calendar feed, made \(String(PostgresTimestamp.format(createdAt).prefix(16)).replacingOccurrences(of: "T", with: " ")) UTC.",
            "Event texts are in \(language == "en" ? "English" : "Norwegian").",
            "Its address cannot be shown again; rotate it to give out a new one.",
            "Feed id: \(id.uuidString.lowercased()).",
        ].joined(separator: "\n")
    }
}
