import ArgumentParser

/// `dispatch org show --org NAME`
struct OrganizationShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show an organisation and its settings.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let record = try await environment.withAccounts { try await $0.organization(organization.organization) }
        try Output.print(record, json: json) { $0.plainText }
    }
}
