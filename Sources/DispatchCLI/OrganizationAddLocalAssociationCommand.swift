import ArgumentParser
import Foundation

/// `dispatch org add-local-association --org NAME --name LOKALLAG`
struct OrganizationAddLocalAssociationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-local-association", abstract: "Add a local association (lokallag) to an organisation.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The local association's name, unique within the organisation.") var name: String

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try await environment.withAccounts { accounts in
            let record = try await accounts.organization(organization.organization)
            return try await accounts.createLocalAssociation(in: record.id, name: name, at: Date())
        }
        print("Local association \(name) added, id \(id).")
    }
}
