import AssignmentCore
import Foundation
import Postgres
import Storage

/// The reminder job: a plain function of the database, the time and the batch size, which the
/// runner calls on a schedule and the tests call with whatever time they like.
public enum ReminderJob {
    /// Sends every reminder step due at `now`, one batch (one transaction) after another, until
    /// none is left. Stops between batches when `shouldStop` says so.
    public static func run(
        database: Database, now: Date, batchSize: Int = 100, shouldStop: @Sendable () -> Bool = { false }
    ) async throws -> ReminderBatchReport {
        precondition(batchSize > 0, "a batch holds at least one assignment")
        let store = ReminderStore(database: database)
        var total = ReminderBatchReport()
        while !shouldStop() {
            let batch = try await store.sendDue(at: now, limit: batchSize)
            total.add(batch)
            if batch.steps == 0 { break }
        }
        return total
    }
}
