import ArgumentParser
import Foundation

/// `dispatch org create --name NAME`
struct OrganizationCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an organisation with the default settings.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "Its name; unique, whatever the case.") var name: String
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let organization = try await environment.withAccounts { try await $0.createOrganization(name: name, at: Date()) }
        try Output.print(organization, json: json) { "Organisation created.\n" + $0.plainText }
    }
}
