import ArgumentParser

/// `dispatch`: the command-line tool. Without a subcommand it runs ``ServeCommand``, the main job.
@main
struct DispatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dispatch",
        abstract: "End-to-end encrypted assignment dispatch for volunteer organisations.",
        discussion: """
            Without a subcommand, runs 'dispatch serve'. Settings are read from the environment and from \
            flags; docs/configuration.md lists them all.
            """,
        subcommands: [
            ServeCommand.self, UpCommand.self, MigrateCommand.self, DatabaseCommand.self, OrganizationCommand.self, UsersCommand.self,
            TokensCommand.self, FeedCommand.self, AuditCommand.self, ServerKeyCommand.self, DemoCommand.self, BenchCommand.self, NotificationsCommand.self, JobsCommand.self, HonorariumCommand.self, ReportCommand.self, SweepCommand.self, KeysCommand.self,
            LoginCommand.self, SendCommand.self, StatusCommand.self, SuggestCommand.self, ReassignCommand.self, SubjectReportCommand.self, CancelCommand.self,
            InboxCommand.self, SyncCommand.self, OpenCommand.self, DeclineCommand.self, AckCommand.self, ContactCommand.self, CompleteCommand.self, ConsentCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )
}
