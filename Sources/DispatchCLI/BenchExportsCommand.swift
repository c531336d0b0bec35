import ArgumentParser
import Benchmarks
import Foundation

/// `dispatch bench exports [--assignments 1000000] [--mentors 10000] [--rounds 3] [--json]`
struct BenchExportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exports",
        abstract: "Time the honorarium report and the audit extract against psql writing the same rows to CSV.",
        discussion: "Runs in a throwaway PostgreSQL of its own (never your database), which is deleted afterwards. Progress goes to standard error.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "How many assignments to seed.") var assignments = 1_000_000
    @Option(help: "Over how many peer mentors.") var mentors = 10_000
    @Option(help: "Rounds of each measurement; the median is reported.") var rounds = 3
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1_000...20_000_000).contains(assignments) else { throw ValidationError("--assignments is between 1000 and 20000000.") }
        guard (1...assignments).contains(mentors) else { throw ValidationError("--mentors is between 1 and the number of assignments.") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds is between 1 and 20.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        var suiteOptions = BenchmarkSuite.Options()
        suiteOptions.parts = [.exports]
        suiteOptions.assignments = assignments
        suiteOptions.mentors = mentors
        suiteOptions.rounds = rounds
        let report = try await BenchmarkSuite(binDirectory: environment.postgresBinDirectory, logger: environment.logger)
            .run(suiteOptions) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        guard let exports = report.exports else { throw ValidationError("The export benchmark gave no figures.") }
        try Output.print(exports, json: json) { $0.plainText }
    }
}
