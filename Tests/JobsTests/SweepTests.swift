import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Jobs
import Storage
import Testing

/// The GDPR sweeps on real rows: what goes, what stays, dry runs, interruptions and races.
@Suite("GDPR sweeps")
struct SweepTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)
    let day: TimeInterval = 86_400

    func dispatch(_ world: TestOrganization, expiresAt: Date?, to devices: [DeviceKeyPair]? = nil) async throws -> AssignmentID {
        let id = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array(#"{"contact_name":"Kari"}"#.utf8), assignmentID: id.uuid, organizationID: world.id.uuid, sender: world.coordinatorDevice,
            recipients: (devices ?? [world.mentorDevice]).map(\.publicKeys))
        _ = try await world.store.dispatch(
            DispatchSubmission(id: id, recipientID: world.mentor.userID, title: "Oppdrag", expiresAt: expiresAt, envelope: envelope.serialized),
            by: world.coordinator, at: start)
        return id
    }

    func payload(_ id: AssignmentID, _ world: TestOrganization) async throws -> (ciphertext: Bool, sealedKeys: Int, status: String) {
        try await world.database.withOwnerConnection { db in
            let row = try db.query("SELECT ciphertext IS NOT NULL AS present, status FROM assignments WHERE id = $1", [id]).first!
            let keys = try db.query("SELECT count(*) AS n FROM assignment_recipients WHERE assignment_id = $1 AND sealed_key IS NOT NULL", [id]).first!
            return (try row.decode("present"), try keys.decode("n"), try row.decode("status"))
        }
    }

    @Test("expiry: open ones become expired, closed ones lose their payload, the rest stay; a dry run changes nothing; a second run does nothing")
    func expiry() async throws {
        let world = try await TestOrganization.make(in: try await TestPostgres.database(), at: start)
        let open = try await dispatch(world, expiresAt: start + day)
        let completed = try await dispatch(world, expiresAt: start + day)
        _ = try await world.store.transition(completed, to: .read, by: world.mentor, at: start + 60)
        _ = try await world.store.transition(completed, to: .acknowledged, by: world.mentor, at: start + 120)
        _ = try await world.store.transition(completed, to: .completed, by: world.mentor, at: start + 180)
        let later = try await dispatch(world, expiresAt: start + 10 * day)
        let never = try await dispatch(world, expiresAt: nil)

        let before = try await DatabaseSnapshot.take(world.database)
        let dry = try await SweepJob.expiry(database: world.database, clock: { start + 2 * day }, batchSize: 1, dryRun: true)
        #expect(dry.dryRun && dry.complete && dry.due == 2)
        #expect(dry.expired == [open] && dry.payloadsDestroyed == [completed])
        #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(world.database)).isEmpty, "a dry run changes nothing")

        let report = try await SweepJob.expiry(database: world.database, clock: { start + 2 * day }, batchSize: 1)
        #expect(report.complete && report.expired == [open] && report.payloadsDestroyed == [completed] && report.batches == 2)
        #expect(try await payload(open, world) == (false, 0, "expired"))
        #expect(try await payload(completed, world) == (false, 0, "completed"))
        #expect(try await payload(later, world) == (true, 1, "dispatched"))
        #expect(try await payload(never, world) == (true, 1, "dispatched"))
        #expect(try await world.count("SELECT count(*) AS n FROM notifications WHERE kind = 'assignment_expired'") == 2, "the peer mentor and the coordinator")
        #expect(try await world.count("SELECT count(*) AS n FROM audit_entries WHERE action = 'assignment.payload_destroyed'") == 1)
        #expect(try await world.count("SELECT count(*) AS n FROM assignment_events WHERE to_status = 'expired' AND actor_role = 'system'") == 1)
        let again = try await SweepJob.expiry(database: world.database, clock: { start + 2 * day })
        #expect(again.due == 0 && again.done == 0, "idempotent")

        // The report holds ids and counts only.
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(!json.contains("Kari") && !json.contains("Oppdrag"))
    }

    @Test("an organisation's dry run sees its own assignments only, changes nothing but its own sweep.dry_run entries; a real run writes sweep.ran where it changed something")
    func organisationDryRunAndHistory() async throws {
        let database = try await TestPostgres.database()
        let a = try await TestOrganization.make(in: database, at: start)
        let b = try await TestOrganization.make(in: database, at: start, name: "B")
        let due = try await dispatch(a, expiresAt: start + day)
        _ = try await dispatch(b, expiresAt: start + 30 * day)
        let later = start + 2 * day
        let before = try await DatabaseSnapshot.take(database)
        let ofB = try await SweepJob.dryRun(of: b.id, by: b.admin, database: database, clock: { later })
        #expect(ofB.map(\.sweep) == [.expiry, .keys, .retention] && ofB.allSatisfy { $0.dryRun && $0.done == 0 && $0.erasure == nil })
        let ofA = try await SweepJob.dryRun(of: a.id, by: a.admin, database: database, clock: { later })
        #expect(ofA[0].expired == [due], "A's dry run finds A's due assignment; B's did not")
        #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(database)) == ["audit_entries"])
        #expect(try await payload(due, a).status == "dispatched", "a dry run expires nothing")
        let history = try await SweepStore(database: database, scope: .tenant(a.id, actor: .user(a.admin))).history(of: a.id)
        #expect(history.map(\.dryRun) == [true, true, true] && history.allSatisfy { $0.by == "admin" })
        #expect(history.first { $0.sweep == "expiry" }?.assignments == 1)

        // The real sweep spans every organisation and writes sweep.ran only where it changed something.
        _ = try await SweepJob.expiry(database: database, clock: { later })
        let ranInA = try await SweepStore(database: database, scope: .tenant(a.id, actor: .system)).history(of: a.id).filter { !$0.dryRun }
        let ranInB = try await SweepStore(database: database, scope: .tenant(b.id, actor: .system)).history(of: b.id).filter { !$0.dryRun }
        #expect(ranInA.map(\.sweep) == ["expiry"] && ranInA.first?.assignments == 1 && ranInA.first?.by == nil)
        #expect(ranInB.isEmpty)
        try await database.close()
    }

    @Test("keys: sealed keys of a revoked device go; the other device's stay")
    func keys() async throws {
        let world = try await TestOrganization.make(in: try await TestPostgres.database(), at: start)
        let tablet = try DeviceKeyPair.generate()
        let tabletKey = try await DeviceKeyStore(database: world.database).register(tablet.publicKeys, label: nil, for: world.mentor, at: start)
        let id = try await dispatch(world, expiresAt: nil, to: [world.mentorDevice, tablet])
        #expect(try await SweepJob.keys(database: world.database, clock: { start + 60 }).due == 0)
        _ = try await DeviceKeyStore(database: world.database).change(tabletKey.id, .revoke, by: world.mentor, at: start + 60)
        let before = try await DatabaseSnapshot.take(world.database)
        let dry = try await SweepJob.keys(database: world.database, clock: { start + 120 }, dryRun: true)
        #expect(dry.due == 1 && dry.keysDestroyedFor == [id] && dry.sealedKeysDestroyed == 1)
        #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(world.database)).isEmpty)
        let report = try await SweepJob.keys(database: world.database, clock: { start + 120 })
        #expect(report.keysDestroyedFor == [id] && report.sealedKeysDestroyed == 1 && report.complete)
        #expect(try await payload(id, world) == (true, 1, "dispatched"), "the phone's key and the ciphertext stay")
        let tabletSealed = try await world.database.withOwnerConnection { db in
            try db.query("SELECT count(*) AS n FROM assignment_recipients WHERE device_key_id = $1 AND sealed_key IS NOT NULL", [tabletKey.id]).first!.decode("n", as: Int.self)
        }
        #expect(tabletSealed == 0)
        #expect(try await SweepJob.keys(database: world.database, clock: { start + 180 }).due == 0)
    }

    @Test("an interrupted sweep resumes where it stopped; two sweeps at once do each assignment once")
    func interruptedAndConcurrent() async throws {
        let database = try await TestPostgres.database(maximumConnections: 6)
        let organization = try await BulkSeed.organization(in: database, at: start)
        let count = 1200
        try await BulkSeed.dispatchedAssignments(count, in: database, organization: organization, dispatchedAt: start, reminderDueAt: start + 10 * day, expiresAt: start + day)
        let batches = BatchCounter()
        let stopped = try await SweepJob.expiry(database: database, clock: { start + 2 * day }, batchSize: 50, progress: { _, _ in batches.increment() }) { batches.value >= 3 }
        #expect(!stopped.complete && stopped.done == 150)
        async let first = SweepJob.expiry(database: database, clock: { start + 2 * day }, batchSize: 25)
        async let second = SweepJob.expiry(database: database, clock: { start + 2 * day }, batchSize: 25)
        let (a, b) = try await (first, second)
        #expect(a.done + b.done == count - 150)
        #expect(Set(a.expired).isDisjoint(with: Set(b.expired)))
        let (expired, withCiphertext, events) = try await database.withOwnerConnection { db in
            (try db.query("SELECT count(*) AS n FROM assignments WHERE status = 'expired'").first!.decode("n", as: Int.self),
             try db.query("SELECT count(*) AS n FROM assignments WHERE ciphertext IS NOT NULL").first!.decode("n", as: Int.self),
             try db.query("SELECT count(*) AS n FROM assignment_events WHERE to_status = 'expired'").first!.decode("n", as: Int.self))
        }
        #expect(expired == count && withCiphertext == 0 && events == count)
        try await database.close()
    }
}

final class BatchCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
