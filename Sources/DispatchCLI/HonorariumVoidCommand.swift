import ArgumentParser
import Foundation
import Storage

/// `dispatch honorarium void --org NAME --assignment ID --reason TEXT`
struct HonorariumVoidCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "void",
        abstract: "Take a counted assignment out of the honorarium count (an administrative correction, audited).",
        discussion: "Tiers the peer mentor no longer reaches are marked reversed, not deleted.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @OptionGroup var assignment: AssignmentArgumentOption
    @Option(help: "Why (no personal data; kept in the audit trail).") var reason: String
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let statement = try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            return try await HonorariumStore(database: accounts.database).void(id, in: found.id, reason: reason, at: Date())
        }
        try Output.print(statement, json: json) { "Voided.\n" + HonorariumText.statement($0) }
    }
}
