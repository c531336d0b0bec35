import ArgumentParser

/// `dispatch org …`: organisations, their settings and local associations (for operators and
/// organisation admins on the server).
struct OrganizationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Create organisations and change their settings.",
        subcommands: [OrganizationCreateCommand.self, OrganizationListCommand.self, OrganizationShowCommand.self,
                      OrganizationSetCommand.self, OrganizationAddLocalAssociationCommand.self, OrganizationWebhookCommand.self]
    )
}

/// `--org NAME-OR-ID`, shared by every command that works inside one organisation.
struct OrganizationOption: ParsableArguments {
    @Option(name: .customLong("org"), help: "The organisation, by name or id.") var organization: String
}
