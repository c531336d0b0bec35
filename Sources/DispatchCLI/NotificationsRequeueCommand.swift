import ArgumentParser
import Foundation
import Storage

/// `dispatch notifications requeue --org NAME`: dead notifications are tried again from now.
struct NotificationsRequeueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "requeue", abstract: "Send an organisation's dead notifications again, after the webhook was fixed.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable { var requeued: Int }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let count = try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            return try await NotificationStore(database: accounts.database).requeueDead(of: found.id, at: Date())
        }
        try Output.print(Report(requeued: count), json: json) { "\(SpokenText.plural($0.requeued, "dead notification")) will be sent again." }
    }
}
