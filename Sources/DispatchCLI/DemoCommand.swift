import ArgumentParser

/// `dispatch demo reports [--out DIR]`: the demo data set and its example reports.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "The deterministic demo data set and the example reports made from it.",
        subcommands: [DemoReportsCommand.self]
    )
}
