import Envelope
import Foundation
import Logging
import Postgres
import Server
import Storage

/// Every benchmark of docs/performance.md in one run (`dispatch bench all`), on a throwaway
/// PostgreSQL of its own that is deleted afterwards. Each figure is a ratio against a baseline
/// doing the same work in the same run (or a time the issue sets a bound on), so that the figures
/// of a shared, noisy machine still say something.
public struct BenchmarkSuite: Sendable {
    public enum Part: String, CaseIterable, Sendable {
        case envelope, dispatch, feeds, queries, sweep, exports
    }

    public struct Options: Sendable {
        public var parts: Set<Part> = Set(Part.allCases)
        /// Assignments behind the status overview, the inbox and the exports.
        public var assignments = 1_000_000
        /// Assignments behind the reminder pass.
        public var reminderAssignments = 10_000_000
        public var expiredAssignments = 100_000
        /// Peer mentors of the export seed; `nil`: one for every hundred assignments.
        public var mentors: Int?
        public var rounds = 3
        /// The envelope's rounds: 5 by default, because each is short and noisy; a `--rounds` the
        /// person gives counts here too.
        public var envelopeRounds = 5
        public var seconds = 5

        public init() {}
    }

    public let binDirectory: String?
    public let logger: Logger

    public init(binDirectory: String?, logger: Logger) {
        self.binDirectory = binDirectory
        self.logger = logger
    }

    public func run(_ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> BenchmarkReport {
        let scratch = "/tmp/dispatch-bench-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: scratch + "/out", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let cluster = try ManagedCluster(dataDirectory: scratch + "/db", binDirectory: binDirectory, logger: logger)
        let lease = try cluster.acquire()
        defer { try? cluster.release(lease) }
        let serverKey = try ServerKey.generate()
        let configuration = DatabaseConfiguration(
            location: .external(connectionString: cluster.applicationConnectionString(), ownerConnectionString: cluster.ownerConnectionString()),
            scopeProofKeys: .keys(try serverKey.scopeProofKeys()), erasureKeyringPath: scratch + "/erasure.keyring", maximumConnections: 8,
            // Seeding a million assignments through the triggers is one long statement.
            statementTimeout: .seconds(3_600))
        let tools = BenchmarkTools(scratch: scratch + "/out", binDirectory: cluster.binDirectory, connectionString: cluster.ownerConnectionString())
        var report = BenchmarkReport(machine: BenchmarkReport.Machine.current(postgres: try tools.psql("SHOW server_version")), options: options)

        if options.parts.contains(.envelope) {
            progress("Envelope, formats 1 and 2: seal and open against the bare calls…")
            let benchmark = EnvelopeBenchmark(rounds: options.envelopeRounds)
            report.envelope = try EnvelopeFormat.allCases.flatMap { format in try [1, 3].map { try benchmark.run(recipients: $0, format: format) } }
        }
        try await Database.using(configuration, logger: logger) { database in
            try await database.prepareSchema(now: Date())
            let server = ServerConfiguration(host: "127.0.0.1", port: 0, database: configuration, serverKey: serverKey)
            // The exports first: their memory figures are this process's, and the later parts hold
            // sealed envelopes and load results that the allocator may keep.
            if options.parts.contains(.exports) {
                report.exports = try await ExportBenchmark(
                    database: database, connectionString: cluster.connectionString(), psql: cluster.binDirectory + "/psql", scratch: scratch + "/out"
                ).run(assignments: options.assignments, mentors: options.mentors ?? max(1, options.assignments / 100), rounds: options.rounds, progress: progress)
            }
            if options.parts.contains(.dispatch) {
                report.dispatch = try await DispatchBenchmark(
                    database: database, server: server, tools: tools, duration: .seconds(options.seconds), rounds: options.rounds
                ).run(logger: logger, progress: progress)
            }
            if options.parts.contains(.queries) {
                report.queries = try await QueryBenchmark(
                    database: database, superuserConnectionString: cluster.connectionString(), assignments: options.assignments,
                    reminderAssignments: options.reminderAssignments
                ).run(progress: progress)
            }
            if options.parts.contains(.sweep) {
                report.sweep = try await SweepBenchmark(
                    database: database, superuserConnectionString: cluster.connectionString(), tools: tools, assignments: options.expiredAssignments,
                    rounds: options.rounds
                ).run(progress: progress)
            }
            if options.parts.contains(.feeds) {
                report.feeds = try await FeedBenchmark(database: database, server: server, duration: .seconds(options.seconds), rounds: options.rounds)
                    .run(logger: logger, progress: progress)
            }
        }
        return report
    }
}
