import ArgumentParser
import Foundation
import Storage

/// `dispatch feed revoke --org NAME --handle HANDLE`
struct FeedRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Stop a user's calendar feed: its address answers 'not found' from now on.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            try await FeedStore(database: accounts.database).revoke(for: user.handle, in: organization.id, at: Date())
        }
        print("The calendar feed of \(user.handle) is revoked. Its address no longer works.")
    }
}
