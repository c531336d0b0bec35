import ArgumentParser
import AssignmentCore
import Foundation
import Storage

/// `dispatch users sign-in-link --org NAME --handle HANDLE [--json]`
struct UsersSignInLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-in-link",
        abstract: "Make a one-time link that signs a user in to the web pages (good for 15 minutes, once). It is shown once.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let link = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            return try await WebSessionStore(database: accounts.database).makeSignInLink(for: user.handle, in: organization.id, at: Date())
        }
        let signInLink = SignInLink(url: "\(environment.feedBaseURL)/sign-in/link?code=\(link.code)", expiresAt: link.expiresAt)
        try Output.print(signInLink, json: json) { link in
            "Sign-in link for \(user.handle), good once until \(DateTimeText.rfc3339(link.expiresAt)) (UTC):\n\(link.url)\nGive it to them privately: whoever opens it first is signed in as them."
        }
    }
}

/// What `users sign-in-link` prints.
struct SignInLink: Encodable {
    var url: String
    var expiresAt: Date

    enum CodingKeys: String, CodingKey {
        case url
        case expiresAt = "expires_at"
    }
}
