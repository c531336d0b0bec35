import AssignmentCore
import Foundation
import Jobs
import Postgres
import Storage

/// The reads that repeat all day, at scale: a coordinator's status overview and a peer mentor's
/// inbox among a million assignments, and the reminder pass over ten million. Timed in the
/// database (`EXPLAIN ANALYZE`'s planning and execution time, which no network or client adds to),
/// with the plans, whose index use is what keeps the times flat as the table grows.
struct QueryBenchmark {
    struct Timing: Sendable, Encodable {
        var runs: Int
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        /// The plans of the statements, as EXPLAIN (ANALYZE, BUFFERS) printed them.
        var plans: [String]

        enum CodingKeys: String, CodingKey {
            case runs, plans
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
        }
    }

    struct Result: Sendable, Encodable {
        var assignments: Int
        var reminderAssignments: Int
        var seedSeconds: Double
        var overviewOpen: Int
        var overview: Timing
        var inboxOpen: Int
        var inbox: Timing
        var dueReminders: Int
        var reminderSelection: Timing
        /// The pass that sent every due reminder (one transaction a batch of 100).
        var reminderPassSeconds: Double
        var remindersSent: Int
        /// Passes with nothing due: what the runner pays every minute.
        var idlePass: Timing

        enum CodingKeys: String, CodingKey {
            case assignments, overview, inbox
            case reminderAssignments = "reminder_assignments"
            case seedSeconds = "seed_seconds"
            case overviewOpen = "overview_open"
            case inboxOpen = "inbox_open"
            case dueReminders = "due_reminders"
            case reminderSelection = "reminder_selection"
            case reminderPassSeconds = "reminder_pass_seconds"
            case remindersSent = "reminders_sent"
            case idlePass = "idle_pass"
        }
    }

    let database: Database
    let superuserConnectionString: String
    var assignments = 1_000_000
    var reminderAssignments = 10_000_000
    var dueReminders = 1_000
    var runs = 200

    func run(progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        let now = Date()
        progress("Queries: seeding \(assignments) assignments, and \(max(0, reminderAssignments - assignments)) more for the reminder pass…")
        let seedStart = ContinuousClock.now
        let seeder = try PostgresConnection(connectionString: superuserConnectionString)
        defer { seeder.close() }
        let subjects = try BenchmarkSeed.seedAtScale(superuser: seeder, assignments: assignments, dueReminders: dueReminders, at: now)
        var rest = reminderAssignments - assignments
        while rest > 0 {
            let part = min(rest, 5_000_000)
            progress("Queries: \(rest) assignments left to seed…")
            _ = try BenchmarkSeed.seedAtScale(superuser: seeder, assignments: part, dueReminders: 0, at: now)
            rest -= part
        }
        let seedSeconds = BenchmarkStatistics.seconds(since: seedStart)

        let store = AssignmentStore(database: database)
        progress("Queries: the status overview and the inbox, \(runs) times each…")
        func timing(of user: UserContext) async throws -> (Timing, open: Int) {
            let shown = try await store.explainOverview(OverviewQuery(limit: 50), as: user, at: now)
            var totals: [Double] = []
            for _ in 0..<runs {
                totals.append(try await store.explainOverview(OverviewQuery(limit: 50), as: user, at: now, timingOnly: true).totalMilliseconds)
            }
            let open = try await store.overview(OverviewQuery(limit: 1), as: user, at: now).counts.values.reduce(0, +)
            return (Timing(
                runs: runs, p50Milliseconds: BenchmarkStatistics.median(totals), p99Milliseconds: BenchmarkStatistics.percentile(99, of: totals),
                plans: [shown.text]), open)
        }
        let (overview, overviewOpen) = try await timing(of: subjects.coordinator)
        let (inbox, inboxOpen) = try await timing(of: subjects.mentor)

        progress("Queries: the reminder pass over \(reminderAssignments) assignments…")
        let reminders = ReminderStore(database: database)
        let selection = try await reminders.explainDue(at: now, limit: 100)
        let passStart = ContinuousClock.now
        let sent = try await ReminderJob.run(database: database, now: now)
        let passSeconds = BenchmarkStatistics.seconds(since: passStart)
        var idle: [Double] = []
        for _ in 0..<max(20, runs / 4) {
            let start = ContinuousClock.now
            _ = try await ReminderJob.run(database: database, now: now)
            idle.append(BenchmarkStatistics.seconds(since: start) * 1_000)
        }
        return Result(
            assignments: assignments, reminderAssignments: max(reminderAssignments, assignments), seedSeconds: seedSeconds, overviewOpen: overviewOpen,
            overview: overview, inboxOpen: inboxOpen, inbox: inbox, dueReminders: dueReminders,
            reminderSelection: Timing(runs: 1, p50Milliseconds: selection.totalMilliseconds, p99Milliseconds: selection.totalMilliseconds, plans: [selection.text]),
            reminderPassSeconds: passSeconds, remindersSent: sent.steps,
            idlePass: Timing(
                runs: idle.count, p50Milliseconds: BenchmarkStatistics.median(idle), p99Milliseconds: BenchmarkStatistics.percentile(99, of: idle), plans: []))
    }
}
