import ArgumentParser
import Benchmarks
import Foundation

/// `dispatch bench all [--only PARTS] [--assignments N] [--reminder-assignments N] [--rounds N] [--seconds N] [--json] [--update FILE]`
struct BenchAllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Run every benchmark of docs/performance.md, each against a baseline in the same run, and say which targets were met.",
        discussion: """
            Runs in a throwaway PostgreSQL of its own (never your database), deleted afterwards. Build with \
            'swift build -c release' first: debug figures say little. With --update docs/performance.md the results \
            replace the section between its bench markers. Progress goes to standard error.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "Only these parts, comma-separated: envelope, dispatch, feeds, queries, sweep, exports.") var only: String?
    @Option(help: "Assignments behind the status overview, the inbox and the exports.") var assignments = 1_000_000
    @Option(name: .customLong("reminder-assignments"), help: "Assignments behind the reminder pass.") var reminderAssignments = 10_000_000
    @Option(help: "Rounds of each measurement; the median is reported (default 3, and 5 for the envelope).") var rounds: Int?
    @Option(help: "Seconds of each load measurement.") var seconds = 5
    @Option(help: "A Markdown file whose bench section is replaced by the results.") var update: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        _ = try parts()
        guard (10_000...20_000_000).contains(assignments) else { throw ValidationError("--assignments is between 10000 and 20000000.") }
        guard (10_000...50_000_000).contains(reminderAssignments) else { throw ValidationError("--reminder-assignments is between 10000 and 50000000.") }
        if let rounds { guard (1...20).contains(rounds) else { throw ValidationError("--rounds is between 1 and 20.") } }
        guard (1...120).contains(seconds) else { throw ValidationError("--seconds is between 1 and 120.") }
    }

    func parts() throws -> Set<BenchmarkSuite.Part> {
        guard let only else { return Set(BenchmarkSuite.Part.allCases) }
        return Set(try only.split(separator: ",").map { name in
            guard let part = BenchmarkSuite.Part(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--only takes envelope, dispatch, feeds, queries, sweep and exports; '\(name)' is none of them.")
            }
            return part
        })
    }

    func run() async throws {
        // The file to update is checked before a quarter of an hour of measuring, not after.
        let document = try update.map { update in
            let path = CommandEnvironment.absolute(update)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8), BenchmarkReport.hasMarkers(text) else {
                throw ValidationError("\(path) has no '<!-- bench:begin -->' and '<!-- bench:end -->' markers to write between.")
            }
            return path
        }
        let environment = try CommandEnvironment(options: options)
        var suiteOptions = BenchmarkSuite.Options()
        suiteOptions.parts = try parts()
        suiteOptions.assignments = assignments
        suiteOptions.reminderAssignments = reminderAssignments
        if let rounds {
            suiteOptions.rounds = rounds
            suiteOptions.envelopeRounds = rounds
        }
        suiteOptions.seconds = seconds
        let report = try await BenchmarkSuite(binDirectory: environment.postgresBinDirectory, logger: environment.logger)
            .run(suiteOptions) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        if let document {
            guard let updated = report.updating(try String(contentsOfFile: document, encoding: .utf8)) else {
                throw ValidationError("\(document) lost its '<!-- bench:begin -->' and '<!-- bench:end -->' markers while the benchmarks ran.")
            }
            try updated.write(toFile: document, atomically: true, encoding: .utf8)
        }
        try Output.print(report, json: json) { $0.plainText }
    }
}
