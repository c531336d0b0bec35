import ArgumentParser

/// `dispatch db start|stop|status`: the embedded PostgreSQL.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or inspect the embedded PostgreSQL.",
        discussion: "Only for the embedded default; with DATABASE_URL set, dispatch uses that server instead.",
        subcommands: [DatabaseStartCommand.self, DatabaseStopCommand.self, DatabaseStatusCommand.self]
    )
}
