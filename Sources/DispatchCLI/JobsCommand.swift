import ArgumentParser

/// `dispatch jobs run [--once]`: the scheduled work.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Run the scheduled work (reminders). dispatch serve runs it too.",
        subcommands: [JobsRunCommand.self])
}
