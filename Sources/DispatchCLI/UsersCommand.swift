import ArgumentParser

/// `dispatch users …`: accounts and their status.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add users and pause, deactivate or reactivate them.",
        subcommands: [UsersAddCommand.self, UsersPauseCommand.self, UsersDeactivateCommand.self, UsersReactivateCommand.self]
    )
}

/// `--org NAME --handle HANDLE`, naming one user.
struct UserOptions: ParsableArguments {
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The user's handle (login name).") var handle: String
}
