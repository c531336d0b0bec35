import Foundation
import Postgres

/// A statement's plan as PostgreSQL executed it (`EXPLAIN (ANALYZE, BUFFERS)`), and how long it
/// took in the database: the figures and plans docs/performance.md shows for the status overview,
/// the inbox and the reminder pass.
public struct QueryPlan: Sendable {
    /// The plan as `EXPLAIN` prints it (empty when only the time was asked for).
    public var text: String
    public var planningMilliseconds: Double
    public var executionMilliseconds: Double
    public var totalMilliseconds: Double { planningMilliseconds + executionMilliseconds }

    /// Whether the plan reads the named index (an `Index Scan`, `Index Only Scan` or `Bitmap Index
    /// Scan` on it).
    public func uses(index name: String) -> Bool { text.contains(" on \(name)") }

    /// Runs `EXPLAIN (ANALYZE…)` of `sql` with its parameters on `db`, in the caller's transaction.
    /// `timingOnly` leaves out per-node timing, which costs time of its own, for repeated runs.
    static func explain(_ sql: String, _ parameters: [any PostgresEncodable], timingOnly: Bool, on db: PostgresConnection) throws -> QueryPlan {
        let options = timingOnly ? "ANALYZE, TIMING OFF, SUMMARY ON" : "ANALYZE, BUFFERS"
        let lines = try db.query("EXPLAIN (\(options)) " + sql, parameters).map { try $0.decode("QUERY PLAN", as: String.self) }
        func milliseconds(_ label: String) -> Double {
            lines.first { $0.hasPrefix(label) }.flatMap { Double($0.dropFirst(label.count).split(separator: " ").first ?? "") } ?? 0
        }
        return QueryPlan(
            text: timingOnly ? "" : lines.filter { !$0.hasPrefix("Planning") && !$0.hasPrefix("Execution") }.joined(separator: "\n"),
            planningMilliseconds: milliseconds("Planning Time: "), executionMilliseconds: milliseconds("Execution Time: "))
    }
}
