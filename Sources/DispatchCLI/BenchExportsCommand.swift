import ArgumentParser
import Benchmarks
import Envelope
import Foundation
import Postgres
import Storage

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
        let scratch = "/tmp/dispatch-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch + "/out", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let cluster = try ManagedCluster(dataDirectory: scratch + "/db", binDirectory: environment.postgresBinDirectory, logger: environment.logger)
        let lease = try cluster.acquire()
        defer { try? cluster.release(lease) }
        let report = try await Database.using(
            DatabaseConfiguration(
                location: .external(connectionString: cluster.applicationConnectionString(), ownerConnectionString: cluster.ownerConnectionString()),
                scopeProofKeys: .keys(try ServerKey.generate().scopeProofKeys()), erasureKeyringPath: scratch + "/erasure.keyring",
                maximumConnections: 2, statementTimeout: .seconds(3_600)), logger: environment.logger
        ) { database in
            try await database.prepareSchema(now: Date())
            return try await ExportBenchmark(database: database, connectionString: cluster.connectionString(), psql: cluster.binDirectory + "/psql", scratch: scratch + "/out")
                .run(assignments: assignments, mentors: mentors, rounds: rounds) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        }
        try Output.print(report, json: json) { $0.plainText }
    }
}
