import ArgumentParser

/// `dispatch`: the command-line tool. Without a subcommand it runs ``UpCommand``, the main job.
@main
struct DispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "End-to-end encrypted assignment dispatch for volunteer organisations.",
        discussion: """
            Without a subcommand, runs 'dispatch up'. Settings are read from the environment and from \
            flags; docs/configuration.md lists them all.
            """,
        subcommands: [UpCommand.self, ServeCommand.self, MigrateCommand.self, DatabaseCommand.self, OrganizationCommand.self, UsersCommand.self,
                      TokensCommand.self, KeysCommand.self],
        defaultSubcommand: UpCommand.self
    )
}
