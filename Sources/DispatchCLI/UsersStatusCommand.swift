import ArgumentParser
import AssignmentCore
import Foundation
import Storage

/// `dispatch users pause|deactivate|reactivate`: the three status changes share this.
enum UserStatusChange {
    static func run(_ options: GlobalOptions, _ user: UserOptions, to status: UserStatus, json: Bool) async throws {
        let environment = try CommandEnvironment(options: options)
        let record = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            return try await accounts.setStatus(of: user.handle, in: organization.id, to: status, at: Date())
        }
        try Output.print(record, json: json) { $0.plainText }
    }
}

/// `dispatch users pause`
struct UsersPauseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a user: they keep access, but receive no new assignments.")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Flag(help: "Print JSON instead of text.") var json = false
    func run() async throws { try await UserStatusChange.run(options, user, to: .paused, json: json) }
}

/// `dispatch users deactivate`
struct UsersDeactivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deactivate", abstract: "Deactivate a user: their access ends and their tokens are revoked.")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Flag(help: "Print JSON instead of text.") var json = false
    func run() async throws { try await UserStatusChange.run(options, user, to: .deactivated, json: json) }
}

/// `dispatch users reactivate`
struct UsersReactivateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reactivate", abstract: "Make a paused or deactivated user active again (issue them a new token).")
    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Flag(help: "Print JSON instead of text.") var json = false
    func run() async throws { try await UserStatusChange.run(options, user, to: .active, json: json) }
}
