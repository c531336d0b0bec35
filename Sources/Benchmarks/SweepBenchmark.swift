import Foundation
import Jobs
import Postgres
import Storage

/// The expiry sweep (`SweepJob.expiry`, what `dispatch sweep expiry` and the scheduler run) over
/// 100,000 open assignments past their expiry, against one SQL statement doing the same
/// destruction through psql (``BenchmarkSeed/expiryBaselineSQL(at:)``), each followed by the
/// VACUUM the sweep runs, on freshly seeded rows each time, in alternation.
struct SweepBenchmark {
    struct Result: Sendable, Encodable {
        var assignments: Int
        var seconds: Double
        var baselineSeconds: Double
        var ratio: Double { seconds > 0 ? baselineSeconds / seconds : 0 }

        enum CodingKeys: String, CodingKey {
            case assignments, seconds
            case baselineSeconds = "baseline_seconds"
        }
    }

    let database: Database
    let superuserConnectionString: String
    let tools: BenchmarkTools
    var assignments = 100_000
    var rounds = 3

    func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        let seeder = try PostgresConnection(connectionString: superuserConnectionString)
        defer { seeder.close() }
        var ours: [Double] = [], baseline: [Double] = []
        for round in 0..<rounds {
            let now = Date()
            progress("Expiry sweep, round \(round + 1) of \(rounds): seeding \(assignments) expired assignments, sweeping…")
            _ = try BenchmarkSeed.seedExpired(superuser: seeder, count: assignments, at: now)
            let start = ContinuousClock.now
            let report = try await SweepJob.expiry(database: database, clock: { now })
            ours.append(BenchmarkStatistics.seconds(since: start))
            guard report.expired.count == assignments else { throw BenchmarkError.unexpectedAnswer("the sweep expired \(report.expired.count) of \(assignments)") }

            progress("Expiry sweep, round \(round + 1) of \(rounds): seeding again, one statement…")
            _ = try BenchmarkSeed.seedExpired(superuser: seeder, count: assignments, at: now)
            let baselineStart = ContinuousClock.now
            try tools.psql(BenchmarkSeed.expiryBaselineSQL(at: now))
            try tools.psql("VACUUM assignments, assignment_recipients")
            baseline.append(BenchmarkStatistics.seconds(since: baselineStart))
        }
        return Result(assignments: assignments, seconds: BenchmarkStatistics.median(ours), baselineSeconds: BenchmarkStatistics.median(baseline))
    }
}
