import ArgumentParser

/// `dispatch org list`
struct OrganizationListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the organisations.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let organizations = try await environment.withAccounts { try await $0.organizations() }
        try Output.print(organizations, json: json) { list in
            list.isEmpty ? "No organisations yet. Create one with: dispatch org create --name NAME"
                : (["\(list.count) \(list.count == 1 ? "organisation" : "organisations"):"] + list.map { "\($0.name), id \($0.id)." }).joined(separator: "\n")
        }
    }
}
