import ArgumentParser
import Foundation

/// `dispatch tokens issue --org NAME --handle HANDLE [--days N] [--label TEXT]`
struct TokensIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "Issue a bearer token for a user. It is shown once; only its hash is kept.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Option(help: "Days until it expires (1-365; default 30).") var days: Int = 30
    @Option(help: "A note to recognise it by, such as the device; no personal data.") var label: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let issued = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            return try await accounts.issueToken(for: user.handle, in: organization.id, lifetime: Double(days) * 86_400, label: label, at: Date())
        }
        try Output.print(issued, json: json) { $0.plainText(for: user.handle) }
    }
}
