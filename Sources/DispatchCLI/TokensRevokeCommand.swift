import ArgumentParser
import Foundation

/// `dispatch tokens revoke --org NAME --id TOKEN-ID`
struct TokensRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token at once, by the id shown when it was issued.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The token's id.") var id: String

    func run() async throws {
        guard let tokenID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a token id (a UUID).") }
        let environment = try CommandEnvironment(options: options)
        try await environment.withAccounts { accounts in
            let record = try await accounts.organization(organization.organization)
            try await accounts.revokeToken(tokenID, in: record.id, at: Date())
        }
        print("Token \(tokenID.uuidString.lowercased()) revoked.")
    }
}
