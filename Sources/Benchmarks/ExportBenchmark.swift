import AssignmentCore
import Envelope
import Exports
import Foundation
import Postgres
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// The export benchmark (`dispatch bench exports`, docs/performance.md): the honorarium report and
/// the audit extract of an organisation with many assignments, each timed side by side with `psql`
/// running the same query into a CSV file (`\copy (…) TO … CSV`), the fastest way PostgreSQL's own
/// tools have to get those rows out. The machines are shared and noisy, so what counts is the
/// ratio of the two, measured in alternation, and the median of several rounds.
///
/// Memory: the resident set of this process is read before and after each export. The exports
/// stream pages of rows, so the growth stays flat whatever the number of rows; running the
/// benchmark at two sizes shows it.
public struct ExportBenchmark: Sendable {
    public struct Measurement: Sendable, Encodable {
        public var name: String
        public var rows: Int
        public var seconds: Double
        public var baselineSeconds: Double
        public var ratio: Double { baselineSeconds > 0 ? seconds / baselineSeconds : 0 }
        public var bytes: Int
        public var baselineBytes: Int
        /// Resident memory of this process when the export ended, and its peak so far (MiB).
        public var residentMiB: Double
        public var peakResidentMiB: Double

        enum CodingKeys: String, CodingKey {
            case name, rows, seconds, ratio, bytes
            case baselineSeconds = "baseline_seconds"
            case baselineBytes = "baseline_bytes"
            case residentMiB = "resident_mib"
            case peakResidentMiB = "peak_resident_mib"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(rows, forKey: .rows)
            try container.encode(seconds, forKey: .seconds)
            try container.encode(baselineSeconds, forKey: .baselineSeconds)
            try container.encode(ratio, forKey: .ratio)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(baselineBytes, forKey: .baselineBytes)
            try container.encode(residentMiB, forKey: .residentMiB)
            try container.encode(peakResidentMiB, forKey: .peakResidentMiB)
        }
    }

    public struct Report: Sendable, Encodable {
        public var assignments: Int
        public var mentors: Int
        public var rounds: Int
        public var seedSeconds: Double
        public var residentBeforeMiB: Double
        public var measurements: [Measurement]

        enum CodingKeys: String, CodingKey {
            case assignments, mentors, rounds, measurements
            case seedSeconds = "seed_seconds"
            case residentBeforeMiB = "resident_before_mib"
        }

        /// Linear text, one measurement a line.
        public var plainText: String {
            var lines = [
                "\(assignments) assignments over \(mentors) peer mentors, seeded in \(String(format: "%.1f", seedSeconds)) s; median of \(rounds) rounds.",
                "Resident memory before the exports: \(String(format: "%.1f", residentBeforeMiB)) MiB.",
            ]
            for m in measurements {
                lines.append(
                    "\(m.name): \(m.rows) rows, \(String(format: "%.2f", m.seconds)) s against psql's \(String(format: "%.2f", m.baselineSeconds)) s "
                        + "(\(String(format: "%.2f", m.ratio)) times); \(m.bytes / 1024) KiB against \(m.baselineBytes / 1024) KiB; "
                        + "resident memory after it \(String(format: "%.1f", m.residentMiB)) MiB, peak \(String(format: "%.1f", m.peakResidentMiB)) MiB.")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// The whole chain: from 1970 to 2100.
    static let rangeStart = Date(timeIntervalSince1970: 0)
    static let rangeEnd = Date(timeIntervalSince1970: 4_102_444_800)

    public let database: Database
    public let connectionString: String
    public let psql: String
    public let scratch: String

    public init(database: Database, connectionString: String, psql: String, scratch: String) {
        self.database = database
        self.connectionString = connectionString
        self.psql = psql
        self.scratch = scratch
    }

    public func run(assignments: Int, mentors: Int, rounds: Int = 3, progress: (String) -> Void = { _ in }) async throws -> Report {
        progress("Seeding \(assignments) assignments (with their events and audit entries)…")
        let seedStart = ContinuousClock.now
        let organization = try await BenchmarkSeed.seed(database: database, assignments: assignments, mentors: mentors, at: Date(timeIntervalSince1970: 1_767_225_600))
        let seedSeconds = BenchmarkStatistics.seconds(since: seedStart)
        let before = BenchmarkStatistics.residentMiB()
        var measurements: [Measurement] = []

        // The honorarium report: per peer mentor, every counted assignment and tier of the year, priced.
        let honorarium = HonorariumReport(database: database)
        let honorariumSQL = HonorariumReportStore.baselineSQL(organization: organization, timeZone: "Europe/Oslo", period: .year(2026))!
        measurements.append(
            try await measure("Honorarium report (CSV)", rounds: rounds, progress: progress, baselineSQL: honorariumSQL) { path in
                try await Self.writing(to: path) { sink in
                    try await honorarium.write(organization: organization, period: "2026", format: .standard, to: sink)
                }
            })

        // The audit extract: every entry of the organisation's chain, with the signed manifest.
        let extract = AuditExtract(database: database, signingKey: try ServerKey.generate().auditSigningKey())
        // Both formats: JSON Lines (every field named, half again as many bytes as psql's CSV) and
        // CSV (the same bytes as psql's), so the cost of the format shows apart from the extract's.
        let range = try await AuditExtractStore(database: database).range(of: organization, from: Self.rangeStart, to: Self.rangeEnd)!
        for (format, name) in [(AuditExtractFormat.jsonl, "JSON Lines"), (.csv, "CSV")] {
            measurements.append(
                try await measure(
                    "Audit extract (\(name))", rounds: rounds, progress: progress,
                    baselineSQL: AuditExtractStore.baselineSQL(organization: organization, in: range)
                ) { path in
                    try? FileManager.default.removeItem(atPath: path)
                    let signed = try await extract.writeFolder(
                        at: path, organization: organization, from: Self.rangeStart, to: Self.rangeEnd, format: format, generatedAt: Date())
                    return signed.manifest.entryCount
                })
        }
        return Report(assignments: assignments, mentors: mentors, rounds: rounds, seedSeconds: seedSeconds, residentBeforeMiB: before, measurements: measurements)
    }

    /// Alternates ours and psql's, `rounds` times each, and keeps the medians.
    private func measure(
        _ name: String, rounds: Int, progress: (String) -> Void, baselineSQL: String, ours: (String) async throws -> Int
    ) async throws -> Measurement {
        var times: [Double] = []
        var baselineTimes: [Double] = []
        var rows = 0
        var bytes = 0
        var baselineBytes = 0
        for round in 1...rounds {
            progress("\(name), round \(round) of \(rounds)…")
            let path = scratch + "/ours"
            let start = ContinuousClock.now
            rows = try await ours(path)
            times.append(BenchmarkStatistics.seconds(since: start))
            bytes = BenchmarkStatistics.size(of: path)
            try? FileManager.default.removeItem(atPath: path)

            let baselinePath = scratch + "/baseline.csv"
            let baselineStart = ContinuousClock.now
            try runPSQL("\\copy (\(baselineSQL)) TO '\(baselinePath)' WITH (FORMAT csv, HEADER)")
            baselineTimes.append(BenchmarkStatistics.seconds(since: baselineStart))
            baselineBytes = BenchmarkStatistics.size(of: baselinePath)
            try? FileManager.default.removeItem(atPath: baselinePath)
        }
        return Measurement(
            name: name, rows: rows, seconds: BenchmarkStatistics.median(times), baselineSeconds: BenchmarkStatistics.median(baselineTimes), bytes: bytes, baselineBytes: baselineBytes,
            residentMiB: BenchmarkStatistics.residentMiB(), peakResidentMiB: BenchmarkStatistics.peakResidentMiB())
    }

    private func runPSQL(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: psql)
        process.arguments = ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", connectionString, "-c", command]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw BenchmarkError.psqlFailed(status: process.terminationStatus) }
    }

    static func writing(to path: String, _ body: ((String) async throws -> Void) async throws -> Int) async throws -> Int {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw BenchmarkError.unwritable(path) }
        defer { try? handle.close() }
        return try await body { try handle.write(contentsOf: Data($0.utf8)) }
    }
}

public enum BenchmarkError: Error, CustomStringConvertible {
    case psqlFailed(status: Int32)
    case pgbenchFailed(status: Int32, output: String)
    case unwritable(String)
    case noFreePort
    case serverDidNotStart
    case unexpectedAnswer(String)

    public var description: String {
        switch self {
        case .psqlFailed(let status): "psql failed (exit status \(status))."
        case .pgbenchFailed(let status, let output): "pgbench failed (exit status \(status)): \(output)"
        case .unwritable(let path): "Cannot write \(path)."
        case .noFreePort: "No free port on 127.0.0.1 for the benchmark's server."
        case .serverDidNotStart: "The benchmark's server did not answer /healthz within a minute."
        case .unexpectedAnswer(let what): "The benchmark's server answered unexpectedly: \(what)."
        }
    }
}
