import ArgumentParser
import Foundation
import Storage

/// `dispatch feed revoke [--org NAME --handle HANDLE | --handle HANDLE]`
struct FeedRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke", abstract: "Stop a calendar feed: its address answers 'not found' from now on.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var target: FeedTargetOptions

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        if let organization = target.organization, let handle = target.handle {
            try await environment.withAccounts { accounts in
                let found = try await accounts.organization(organization)
                try await FeedStore(database: accounts.database).revoke(for: handle, in: found.id, at: Date())
            }
        } else {
            try await environment.withDevice { try await $0.revokeFeed(of: target.apiUser) }
        }
        print("The calendar feed of \(target.handle ?? "yours") is revoked. Its address no longer works.")
    }
}
