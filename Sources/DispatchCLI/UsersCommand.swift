import ArgumentParser

/// `dispatch users …`: accounts and their status.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add users, pause, deactivate or reactivate them, and make sign-in links for the web pages.",
        subcommands: [UsersAddCommand.self, UsersPauseCommand.self, UsersDeactivateCommand.self, UsersReactivateCommand.self, UsersSignInLinkCommand.self]
    )
}

/// `--org NAME --handle HANDLE`, naming one user.
struct UserOptions: ParsableArguments {
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The user's handle (login name).") var handle: String
}
