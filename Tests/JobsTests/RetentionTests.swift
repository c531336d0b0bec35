import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Jobs
import Postgres
import Storage
import Testing

/// The retention sweep on real rows: what leaves the hot table, what history stays queryable.
@Suite("Retention sweep")
struct RetentionTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)
    let day: TimeInterval = 86_400

    @Test("closed assignments older than the retention are archived; history, honorarium and the audit chain stay; dry run, reruns and races are safe")
    func retention() async throws {
        let world = try await TestOrganization.make(in: try await TestPostgres.database(), at: start)
        let database = world.database
        let completed = try await world.acknowledged(at: start)
        _ = try await world.store.transition(completed, to: .completed, by: world.mentor, at: start + 600)
        let cancelled = try await world.dispatch(at: start)
        _ = try await world.store.transition(cancelled, to: .cancelled, by: world.coordinator, at: start + 600, reason: "Ikke aktuelt")
        let open = try await world.dispatch(at: start)
        let recent = try await world.acknowledged(at: start + 200 * day)
        _ = try await world.store.transition(recent, to: .completed, by: world.mentor, at: start + 200 * day + 600)
        let statementBefore = try await HonorariumStore(database: database).statement(of: "mentor", in: world.id, period: "2026", at: start)
        let eventsBefore = try await world.count("SELECT count(*) AS n FROM assignment_events WHERE assignment_id = '\(completed)'")

        #expect(try await SweepJob.retention(database: database, clock: { start + 365 * day }).done == 0, "a year to the day: not yet")
        let snapshot = try await DatabaseSnapshot.take(database)
        let dry = try await SweepJob.retention(database: database, clock: { start + 366 * day }, batchSize: 1, dryRun: true)
        #expect(dry.complete && dry.due == 2 && Set(dry.archived) == [completed, cancelled])
        #expect(DatabaseSnapshot.changedTables(snapshot, try await DatabaseSnapshot.take(database)).isEmpty, "a dry run changes nothing")

        // Two sweeps at once archive each assignment once.
        async let first = SweepJob.retention(database: database, clock: { start + 366 * day }, batchSize: 1)
        async let second = SweepJob.retention(database: database, clock: { start + 366 * day }, batchSize: 1)
        let reports = try await [first, second]
        let archived: [String] = reports.flatMap(\.archived).map(\.description).sorted()
        let expected: [String] = [completed.description, cancelled.description].sorted()
        #expect(archived == expected)

        #expect(try await world.count("SELECT count(*) AS n FROM assignments WHERE id IN ('\(completed)', '\(cancelled)')") == 0, "gone from the hot table")
        #expect(try await world.count("SELECT count(*) AS n FROM assignments WHERE id IN ('\(open)', '\(recent)')") == 2, "open and recent ones stay")
        #expect(try await world.count("SELECT count(*) AS n FROM archived_assignments WHERE id = '\(completed)' AND status = 'completed' AND counted_for_honorarium") == 1)
        #expect(try await world.count("SELECT count(*) AS n FROM archived_assignments WHERE id = '\(cancelled)' AND status = 'cancelled'") == 1)
        for table in ["assignment_recipients", "notifications", "assignment_reminders"] {
            #expect(try await world.count("SELECT count(*) AS n FROM \(table) WHERE assignment_id IN ('\(completed)', '\(cancelled)')") == 0, "\(table)")
        }
        #expect(try await world.count("SELECT count(*) AS n FROM assignment_events WHERE assignment_id = '\(completed)'") == eventsBefore, "events stay")
        #expect(try await world.count("SELECT count(*) AS n FROM honorarium_entries WHERE assignment_id = '\(completed)'") == 1)
        let statementAfter = try await HonorariumStore(database: database).statement(of: "mentor", in: world.id, period: "2026", at: start)
        #expect(statementAfter == statementBefore, "the honorarium history reads the same")
        #expect(try await world.count("SELECT count(*) AS n FROM audit_entries WHERE action = 'assignment.archived'") == 2)
        _ = try await AuditChainStore(database: database).linkBacklog()
        let chain = try await database.withOwnerConnection { try AuditChain.entries(of: world.id, on: $0) }
        #expect(AuditChain.verify(chain).isEmpty, "the audit chain is whole")
        #expect(try await SweepJob.retention(database: database, clock: { start + 400 * day }).done == 0, "a second run does nothing more")

        // The database holds the line: an assignment that is not archived cannot be deleted, archived rows do not change.
        await #expect(throws: PostgresError.self) {
            try await database.withOwnerConnection { try $0.execute("DELETE FROM assignments WHERE id = $1", [open]) }
        }
        await #expect(throws: PostgresError.self) {
            try await database.withOwnerConnection { try $0.execute("UPDATE archived_assignments SET status = 'completed' WHERE id = $1", [cancelled]) }
        }
        let columns = try await database.withOwnerConnection {
            try $0.query("SELECT column_name FROM information_schema.columns WHERE table_name = 'archived_assignments'").map { try $0.decode("column_name", as: String.self) }
        }
        #expect(Set(columns).isDisjoint(with: ["title", "coordinator_notes", "geographic_region", "cancellation_reason", "ciphertext", "source_ref"]))
    }

    @Test("each organisation's own retention applies")
    func perOrganisation() async throws {
        let world = try await TestOrganization.make(in: try await TestPostgres.database(), at: start) { $0.retentionDays = 30 }
        let cancelled = try await world.dispatch(at: start)
        _ = try await world.store.transition(cancelled, to: .cancelled, by: world.coordinator, at: start + 60, reason: "Feil mottaker")
        #expect(try await SweepJob.retention(database: world.database, clock: { start + 30 * day }).archived.isEmpty)
        #expect(try await SweepJob.retention(database: world.database, clock: { start + 31 * day }).archived == [cancelled])
    }
}
