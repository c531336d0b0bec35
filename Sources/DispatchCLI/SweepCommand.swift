import ArgumentParser

/// `dispatch sweep expiry|keys`: the GDPR sweeps, for compliance officers and operators.
struct SweepCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Destroy what must not be kept: expired case information, keys of lost devices.",
        discussion: "Both also run from the scheduler. docs/sweeps.md explains them.",
        subcommands: [SweepExpiryCommand.self, SweepKeysCommand.self, SweepRetentionCommand.self])
}

/// The options both sweeps take.
struct SweepOptions: ParsableArguments {
    @Flag(help: "Only report what would be done; change nothing.") var dryRun = false
    @Option(help: "Assignments per transaction (1-1000; default 100).") var batchSize = 100
    @Option(name: .customLong("report-file"), help: "Also write the report, as JSON, to this file.") var report: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size takes a number from 1 to 1000.") }
    }
}
