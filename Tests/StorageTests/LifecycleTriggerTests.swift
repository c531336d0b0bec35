import AssignmentCore
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

/// The lifecycle as the database enforces it, whatever code path writes: plain SQL here.
@Suite("Lifecycle in the database")
struct LifecycleTriggerTests {
    let start = StorageFixtures.start

    func status(of id: AssignmentID, in database: Database) async throws -> String {
        try await database.transaction(.scheduler) { db in
            try db.query("SELECT status FROM assignments WHERE id = $1", [id]).first!.decode("status")
        }
    }

    func sqlState(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as PostgresError {
            return error.sqlState
        } catch {
            return "not a PostgresError: \(error)"
        }
    }

    @Test("the database's transition table is the domain's")
    func tablesAgree() async throws {
        let database = try await TestPostgres.database()
        let pairs = try await database.withOwnerConnection { db in
            Set(try db.query("SELECT from_status, to_status FROM assignment_transitions").map { "\(try $0.decode("from_status", as: String.self))>\(try $0.decode("to_status", as: String.self))" })
        }
        #expect(pairs == Set(AssignmentLifecycle.rules.map { "\($0.from.rawValue)>\($0.to.rawValue)" }))
        try await database.close()
    }

    @Test("a full walk writes one event and one audit entry per change, with actor and time")
    func walkRecordsEvents() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        let mentor = Principal.user(org.peerMentor)
        let steps: [AssignmentStatus] = [.delivered, .read, .acknowledged, .completed]
        for (offset, step) in steps.enumerated() {
            try await StorageFixtures.move(id, to: step, in: database, organization: org, actor: mentor, at: start + Double(offset + 1) * 60)
        }
        let (events, audit) = try await database.transaction(.tenant(org.id, actor: mentor)) { db in
            let events = try db.query("SELECT from_status, to_status, actor_id, actor_role, occurred_at FROM assignment_events WHERE assignment_id = $1 ORDER BY id", [id])
                .map { row -> String in
                    "\(try row.decodeIfPresent("from_status", as: String.self) ?? "-")>\(try row.decode("to_status", as: String.self)) by \(try row.decode("actor_role", as: String.self)) at \(Int(try row.decode("occurred_at", as: Date.self).timeIntervalSince(StorageFixtures.start)))"
                }
            let audit: [String] = try db.query("SELECT action FROM audit_entries WHERE subject_id = $1 ORDER BY id", [id]).map { try $0.decode("action") }
            return (events, audit)
        }
        #expect(events == [
            "->dispatched by coordinator at 0", "dispatched>delivered by peer_mentor at 60", "delivered>read by peer_mentor at 120",
            "read>acknowledged by peer_mentor at 180", "acknowledged>completed by peer_mentor at 240",
        ])
        #expect(audit == ["assignment.created"] + Array(repeating: "assignment.status_changed", count: 4))
        try await database.close()
    }

    @Test("backward, skipping and unknown transitions are refused and change nothing")
    func invalidTransitions() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        let mentor = Principal.user(org.peerMentor)
        try await StorageFixtures.move(id, to: .read, in: database, organization: org, actor: mentor, at: start + 60)
        for target in ["dispatched", "draft", "completed", "delivered"] {
            let state = await sqlState {
                try await database.transaction(.tenant(org.id, actor: mentor)) { db in
                    try db.execute("UPDATE assignments SET status = $1, updated_at = $2, last_state_change_at = $2 WHERE id = $3", [target, self.start + 120, id])
                }
            }
            #expect(state == PostgresError.invalidTransition, "read → \(target)")
        }
        let unknown = await sqlState {
            try await database.transaction(.tenant(org.id, actor: mentor)) { db in
                try db.execute("UPDATE assignments SET status = 'archived' WHERE id = $1", [id])
            }
        }
        // The trigger runs before the CHECK constraint: an unknown status is not in the transition table.
        #expect(unknown == PostgresError.invalidTransition)
        #expect(try await status(of: id, in: database) == "read")
        try await database.close()
    }

    @Test("every (from, to) pair in plain SQL: the database allows exactly the transition table's moves")
    func everyPair() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let coordinator = Principal.user(org.coordinator)
        // The shortest walk from dispatched to each status, through allowed moves only.
        var walks: [AssignmentStatus: [AssignmentStatus]] = [.dispatched: []]
        var queue: [AssignmentStatus] = [.dispatched]
        while !queue.isEmpty {
            let from = queue.removeFirst()
            for rule in AssignmentLifecycle.rules where rule.from == from && walks[rule.to] == nil {
                walks[rule.to] = walks[from]! + [rule.to]
                queue.append(rule.to)
            }
        }
        #expect(Set(walks.keys) == Set(AssignmentStatus.allCases).subtracting([.draft]), "every status but draft is reachable from dispatched")
        var tried = 0
        for (from, walk) in walks.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            for to in AssignmentStatus.allCases where to != from {
                let id = try await StorageFixtures.dispatch(in: database, organization: org, expiresAt: start + 3600)
                var time = start
                for step in walk {
                    time += 60
                    try await StorageFixtures.move(id, to: step, in: database, organization: org, actor: coordinator, at: time, reason: Self.reason(for: step))
                }
                // The same UPDATE for every pair: the new status and the timestamps it implies (none for a move the table lacks).
                let state = await sqlState {
                    try await StorageFixtures.move(
                        id, to: to, in: database, organization: org, actor: coordinator, at: time + 7200, reason: Self.reason(for: to))
                }
                let allowed = AssignmentLifecycle.rule(from: from, to: to) != nil
                #expect(allowed ? state == nil : state == PostgresError.invalidTransition, "\(from) → \(to): \(state ?? "allowed")")
                #expect(try await status(of: id, in: database) == (allowed ? to : from).rawValue, "\(from) → \(to)")
                tried += 1
            }
        }
        let reachable = AssignmentStatus.allCases.count - 1
        #expect(tried == reachable * reachable)
        try await database.close()
    }

    /// What a move to `status` needs as its reason: a cancellation's text, a decline's fixed value.
    static func reason(for status: AssignmentStatus) -> String? {
        switch status {
        case .cancelled: "Planned otherwise"
        case .declined: "too_far"
        default: nil
        }
    }

    @Test("a status change that names no actor is refused")
    func actorRequired() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        let state = await sqlState {
            try await database.withOwnerConnection { db in
                try db.execute("UPDATE assignments SET status = 'delivered', delivered_at = $1, updated_at = $1, last_state_change_at = $1 WHERE id = $2", [self.start + 60, id])
            }
        }
        #expect(state == PostgresError.missingActor)
        #expect(try await status(of: id, in: database) == "dispatched")
        try await database.close()
    }

    @Test("a new assignment cannot start half-way through its life")
    func insertOnlyAsDraftOrDispatched() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let state = await sqlState {
            try await database.transaction(.tenant(org.id, actor: .user(org.coordinator))) { db in
                try db.execute(
                    """
                    INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, dispatched_at, delivered_at, read_at,
                        acknowledged_at, completed_at, created_at, updated_at, last_state_change_at)
                    VALUES ($1, $2, $3, $4, 'x', 'completed', $5, $5, $5, $5, $5, $5, $5, $5)
                    """, [UUID(), org.id, org.coordinator.userID, org.peerMentor.userID, self.start])
            }
        }
        #expect(state == PostgresError.invalidTransition)
        try await database.close()
    }

    @Test("cancelling destroys the ciphertext and the sealed keys in the same transaction")
    func cancellationDestroysPayload() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        try await StorageFixtures.move(id, to: .cancelled, in: database, organization: org, actor: .user(org.coordinator), at: start + 60, reason: "Sent twice")
        let row = try await database.transaction(.scheduler) { db in
            try db.query(
                """
                SELECT a.ciphertext IS NULL AS gone, a.payload_destroyed_at, a.nonce IS NOT NULL AS nonce_kept,
                       (SELECT count(*) FROM assignment_recipients r WHERE r.assignment_id = a.id AND r.sealed_key IS NOT NULL) AS keys_left,
                       (SELECT reason FROM assignment_events e WHERE e.assignment_id = a.id AND e.to_status = 'cancelled') AS reason
                  FROM assignments a WHERE a.id = $1
                """, [id]).first!
        }
        #expect(try row.decode("gone", as: Bool.self))
        #expect(try row.decode("payload_destroyed_at", as: Date.self) == start + 60)
        #expect(try row.decode("nonce_kept", as: Bool.self), "the nonce stays, so the envelope can never be replayed")
        #expect(try row.decode("keys_left", as: Int.self) == 0)
        #expect(try row.decode("reason", as: String.self) == "Sent twice")
        try await database.close()
    }

    @Test("immutable fields, backward timestamps, implied timestamps and replayed nonces are refused")
    func invariants() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let other = try await StorageFixtures.seedOrganization(in: database, name: "Other")
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        let coordinator = Principal.user(org.coordinator)
        func attempt(_ sql: String, _ parameters: [any PostgresEncodable]) async -> String? {
            await sqlState { try await database.transaction(.tenant(org.id, actor: coordinator)) { db in try db.execute(sql, parameters) } }
        }
        #expect(await attempt("UPDATE assignments SET peer_mentor_id = $1 WHERE id = $2", [org.coordinator.userID, id]) == PostgresError.immutableColumn)
        #expect(await attempt("UPDATE assignments SET dispatched_at = $1 WHERE id = $2", [start + 1, id]) == PostgresError.immutableColumn)
        #expect(await attempt("UPDATE assignments SET ciphertext = $1 WHERE id = $2", [[UInt8](repeating: 1, count: 272), id]) == PostgresError.immutableColumn)
        #expect(await attempt("UPDATE assignments SET updated_at = $1 WHERE id = $2", [start - 60, id]) == PostgresError.timestampNotMonotonic)
        #expect(await attempt("UPDATE assignments SET read_at = $1 WHERE id = $2", [start + 60, id]) == PostgresError.checkViolation)
        // The same envelope again, as a replay: its nonce is already taken.
        let nonce = try await database.transaction(.scheduler) { db in try db.query("SELECT nonce FROM assignments WHERE id = $1", [id]).first!.decode("nonce", as: [UInt8].self) }
        #expect(await attempt(
            """
            INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, algorithm, ciphertext, nonce, sender_signature,
                sender_key_fingerprint, dispatched_at, created_at, updated_at, last_state_change_at)
            SELECT $1, organization_id, coordinator_id, peer_mentor_id, title, 'dispatched', algorithm, ciphertext, nonce, sender_signature,
                sender_key_fingerprint, dispatched_at, created_at, updated_at, last_state_change_at FROM assignments WHERE nonce = $2
            """, [UUID(), nonce]) == PostgresError.uniqueViolation)
        // A peer mentor of another organisation cannot be the recipient, whatever the query says.
        #expect(await attempt(
            "INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, created_at, updated_at, last_state_change_at) VALUES ($1, $2, $3, $4, 'x', 'draft', $5, $5, $5)",
            [UUID(), org.id, org.coordinator.userID, other.peerMentor.userID, start]) == PostgresError.foreignKeyViolation)
        #expect(try await status(of: id, in: database) == "dispatched")
        try await database.close()
    }
}
