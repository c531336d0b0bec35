import AssignmentCore
import Envelope
import Foundation
import Postgres

/// What one sweep batch did (or, in a dry run, would do): ids and counts only.
public struct SweepBatch: Sendable, Hashable {
    /// Open assignments moved to expired (their payload destroyed by the lifecycle trigger).
    public var expired: [AssignmentID] = []
    /// Closed assignments whose remaining payload was destroyed.
    public var payloadsDestroyed: [AssignmentID] = []
    /// Closed assignments moved to the archive (retention).
    public var archived: [AssignmentID] = []
    /// Sealed content keys destroyed (revoked devices, leftovers of closed assignments).
    public var sealedKeysDestroyed = 0
    /// The assignments the batch looked at, in order (the next dry-run page starts after the last).
    public var examined: [AssignmentID] = []
    /// The sort key of the last assignment examined (dry-run paging).
    public var last: SweepPosition?
    /// Per organisation: the assignments the batch changed (or would) and the sealed keys it
    /// destroyed (or would), for the `sweep.ran` entries in each organisation's audit.
    public var byOrganization: [OrganizationID: SweepTally] = [:]

    public init() {}
}

/// What a sweep did in one organisation.
public struct SweepTally: Sendable, Hashable {
    public var assignments = 0
    public var sealedKeysDestroyed = 0

    public init(assignments: Int = 0, sealedKeysDestroyed: Int = 0) {
        self.assignments = assignments
        self.sealedKeysDestroyed = sealedKeysDestroyed
    }

    public static func + (lhs: Self, rhs: Self) -> Self {
        Self(assignments: lhs.assignments + rhs.assignments, sealedKeysDestroyed: lhs.sealedKeysDestroyed + rhs.sealedKeysDestroyed)
    }
}

/// Where a dry run continues: after this (time, id).
public struct SweepPosition: Sendable, Hashable {
    public var time: Date
    public var id: UUID
}

/// The GDPR sweeps (docs/sweeps.md) as stored, batched work.
///
/// Each batch is one transaction over rows taken with `FOR UPDATE SKIP LOCKED`: two sweeps at once
/// do each row once, an interrupted sweep has committed whole batches only and simply continues,
/// and a row done leaves the set of due rows, so running again is a no-op. A dry run reads the same
/// rows page by page without locking or writing anything.
///
/// The scheduler sweeps every organisation (``TransactionScope/scheduler``); a dry run asked for by
/// a person runs in their organisation's scope (``TransactionScope/tenant(_:actor:)``), where
/// row-level security, not a filter of these statements, keeps the other organisations out.
public struct SweepStore: Sendable {
    public let database: Database
    public let scope: TransactionScope

    public init(database: Database, scope: TransactionScope = .scheduler) {
        self.database = database
        self.scope = scope
    }

    // MARK: Expiry

    /// How many assignments are past `expires_at` with their payload still present.
    public func expiryDue(at time: Date) async throws -> Int {
        try await database.transaction(scope) { db in
            try db.query("SELECT count(*) AS n FROM assignments WHERE expires_at <= $1 AND payload_destroyed_at IS NULL", [time])
                .first!.decode("n", as: Int.self)
        }
    }

    /// Expires (open) or destroys the payload of (closed) up to `limit` assignments past their
    /// `expires_at`; in a dry run, only says which it would, starting after `position`.
    public func expireBatch(at time: Date, limit: Int, dryRun: Bool, after position: SweepPosition? = nil) async throws -> SweepBatch {
        try await database.transaction(scope) { db in
            var batch = SweepBatch()
            let rows = try db.query(
                """
                SELECT \(AssignmentStore.columns) FROM assignments
                 WHERE expires_at <= $1 AND payload_destroyed_at IS NULL
                   AND ($3::timestamptz IS NULL OR (expires_at, id) > ($3, $4))
                 ORDER BY expires_at, id
                 LIMIT $2
                \(dryRun ? "" : "FOR UPDATE SKIP LOCKED")
                """, [time, limit, position?.time, position?.id])
            // Open ones expire through the lifecycle (in Swift), written back in one statement and
            // notified in another: a statement per assignment cost five times the work itself.
            var expiries: [(assignment: Assignment, previous: AssignmentStatus)] = []
            for row in rows {
                let assignment = try AssignmentStore.assignment(from: row)
                batch.examined.append(assignment.id)
                batch.last = SweepPosition(time: assignment.expiresAt ?? time, id: assignment.id.uuid)
                batch.byOrganization[assignment.organizationID, default: .init()].assignments += 1
                if assignment.status.isOpen {
                    batch.expired.append(assignment.id)
                    guard !dryRun else { continue }
                    let at = max(time, assignment.lastStateChangeAt)
                    expiries.append((try AssignmentLifecycle.transition(assignment, to: .expired, by: .system, at: at).assignment, assignment.status))
                } else {
                    batch.payloadsDestroyed.append(assignment.id)
                    guard !dryRun else { continue }
                    try db.execute(
                        "UPDATE assignments SET ciphertext = NULL, payload_destroyed_at = $2, updated_at = greatest(updated_at, $2) WHERE id = $1",
                        [assignment.id, time])
                    let keys = try db.query(
                        "UPDATE assignment_recipients SET sealed_key = NULL, destroyed_at = $2 WHERE assignment_id = $1 AND sealed_key IS NOT NULL RETURNING 1 AS k",
                        [assignment.id, time]).count
                    batch.sealedKeysDestroyed += keys
                    batch.byOrganization[assignment.organizationID, default: .init()].sealedKeysDestroyed += keys
                    try AuditLog.append(
                        AuditEntry(.assignmentPayloadDestroyed, .assignment(assignment.id), details: AuditDetails.PayloadDestroyed(reason: "expired", sealedKeys: keys)),
                        organization: assignment.organizationID, at: time, on: db)
                }
            }
            try AssignmentStore.write(expiries.map(\.assignment), on: db)
            try NotificationStore.enqueue(
                expiries.flatMap { expired, previous in
                    NotificationPlan.statusChanged(expired, from: previous, by: .system).map { (planned: $0, about: expired, at: expired.lastStateChangeAt) }
                }, on: db)
            return batch
        }
    }

    // MARK: Key invalidation

    /// A sealed key that must go (a condition on `assignment_recipients`): its device is revoked, or
    /// its assignment is closed for good or its payload destroyed. Starts from the live sealed keys
    /// (a partial index) and looks each assignment up by its key, rather than scanning assignments.
    static let keysDue = """
        sealed_key IS NOT NULL AND (
            device_key_id IN (SELECT id FROM device_keys WHERE status = 'revoked')
            OR EXISTS (SELECT 1 FROM assignments closed
                        WHERE closed.id = assignment_id
                          AND (closed.status IN ('cancelled', 'expired', 'declined') OR closed.payload_destroyed_at IS NOT NULL)))
        """

    /// How many assignments hold sealed keys that must go: for revoked devices, or left over from
    /// closed or destroyed assignments.
    public func keysDue() async throws -> Int {
        try await database.transaction(scope) { db in
            try db.query("SELECT count(DISTINCT assignment_id) AS n FROM assignment_recipients WHERE \(Self.keysDue)").first!.decode("n", as: Int.self)
        }
    }

    /// Destroys those sealed keys, for up to `limit` assignments (audited per assignment).
    public func keysBatch(at time: Date, limit: Int, dryRun: Bool, after position: SweepPosition? = nil) async throws -> SweepBatch {
        try await database.transaction(scope) { db in
            var batch = SweepBatch()
            let rows = try db.query(
                """
                SELECT r.assignment_id, r.organization_id, count(*) AS keys FROM assignment_recipients r
                 WHERE r.assignment_id IN (
                       SELECT a.id FROM assignments a
                        WHERE a.id IN (SELECT assignment_id FROM assignment_recipients WHERE \(Self.keysDue))
                          AND ($2::uuid IS NULL OR a.id > $2)
                        ORDER BY a.id LIMIT $1
                        \(dryRun ? "" : "FOR UPDATE SKIP LOCKED"))
                   AND \(Self.keysDue)
                 GROUP BY r.assignment_id, r.organization_id
                 ORDER BY r.assignment_id
                """, [limit, position?.id])
            for row in rows {
                let id: AssignmentID = try row.decode("assignment_id")
                let organization: OrganizationID = try row.decode("organization_id")
                batch.examined.append(id)
                batch.last = SweepPosition(time: time, id: id.uuid)
                let count: Int = try row.decode("keys")
                batch.sealedKeysDestroyed += count
                batch.byOrganization[organization, default: .init()] = batch.byOrganization[organization, default: .init()] + .init(assignments: 1, sealedKeysDestroyed: count)
                guard !dryRun else { continue }
                try db.execute(
                    "UPDATE assignment_recipients SET sealed_key = NULL, destroyed_at = $2 WHERE assignment_id = $1 AND \(Self.keysDue)", [id, time])
                try AuditLog.append(
                    AuditEntry(.assignmentSealedKeysDestroyed, .assignment(id), details: AuditDetails.SealedKeysDestroyed(sealedKeys: count)),
                    organization: organization, at: time, on: db)
            }
            return batch
        }
    }

    // MARK: Retention

    /// Closed assignments (completed, cancelled, expired, declined) whose last change is older than their
    /// organisation's `retention_days`.
    static let retentionDue = """
        a.status IN ('completed', 'cancelled', 'expired', 'declined')
        AND a.last_state_change_at <= $1::timestamptz - make_interval(days => (SELECT o.retention_days FROM organizations o WHERE o.id = a.organization_id))
        """

    public func retentionDue(at time: Date) async throws -> Int {
        try await database.transaction(scope) { db in
            try db.query("SELECT count(*) AS n FROM assignments a WHERE \(Self.retentionDue)", [time]).first!.decode("n", as: Int.self)
        }
    }

    /// Archives up to `limit` assignments past their retention: a row in `archived_assignments`
    /// (ids, kind, outcome, dates, honorarium flags), then the hot row, its sealed keys,
    /// notifications and reminders are deleted, and an `assignment.archived` audit entry is written.
    /// Events, honorarium entries and tier events stay. In a dry run, only says which it would.
    public func archiveBatch(at time: Date, limit: Int, dryRun: Bool, after position: SweepPosition? = nil) async throws -> SweepBatch {
        try await database.transaction(scope) { db in
            var batch = SweepBatch()
            let rows = try db.query(
                """
                SELECT a.id, a.organization_id, a.status, a.last_state_change_at FROM assignments a
                 WHERE \(Self.retentionDue)
                   AND ($3::timestamptz IS NULL OR (a.last_state_change_at, a.id) > ($3, $4))
                 ORDER BY a.last_state_change_at, a.id
                 LIMIT $2
                \(dryRun ? "" : "FOR UPDATE SKIP LOCKED")
                """, [time, limit, position?.time, position?.id])
            for row in rows {
                let id: AssignmentID = try row.decode("id")
                batch.examined.append(id)
                batch.archived.append(id)
                batch.last = SweepPosition(time: try row.decode("last_state_change_at"), id: id.uuid)
                let organization: OrganizationID = try row.decode("organization_id")
                batch.byOrganization[organization, default: .init()].assignments += 1
                guard !dryRun else { continue }
                try db.execute(
                    """
                    INSERT INTO archived_assignments (id, organization_id, local_association_id, coordinator_id, peer_mentor_id, assignment_type, status,
                        dispatched_at, acknowledged_at, contact_made_at, completed_at, cancelled_at, declined_at, decline_reason, expires_at, closed_at,
                        honorarium_eligible, counted_for_honorarium, created_at, archived_at, reassigned_from)
                    SELECT id, organization_id, local_association_id, coordinator_id, peer_mentor_id, assignment_type, status,
                        dispatched_at, acknowledged_at, contact_made_at, completed_at, cancelled_at, declined_at, decline_reason, expires_at, last_state_change_at,
                        honorarium_eligible, counted_for_honorarium, created_at, $2, reassigned_from
                      FROM assignments WHERE id = $1
                    """, [id, time])
                let keys = try db.query(
                    "DELETE FROM assignment_recipients WHERE assignment_id = $1 AND sealed_key IS NOT NULL RETURNING 1", [id]).count
                batch.sealedKeysDestroyed += keys
                batch.byOrganization[organization, default: .init()].sealedKeysDestroyed += keys
                try db.execute("DELETE FROM erasure_receipts WHERE assignment_id = $1", [id])
                try db.execute("DELETE FROM assignment_recipients WHERE assignment_id = $1", [id])
                try db.execute("DELETE FROM notifications WHERE assignment_id = $1", [id])
                try db.execute("DELETE FROM assignment_reminders WHERE assignment_id = $1", [id])
                try db.execute("DELETE FROM assignments WHERE id = $1", [id])
                try AuditLog.append(
                    AuditEntry(.assignmentArchived, .assignment(id), details: AuditDetails.Archived(status: try row.decode("status"))),
                    organization: organization, at: time, on: db)
            }
            return batch
        }
    }

    // MARK: History

    /// Writes one `sweep.ran` entry (a dry run: `sweep.dry_run`) into the audit of every
    /// organisation in `tallies`: the sweep's history as each organisation's compliance officer
    /// sees it. A run that changed nothing in an organisation writes nothing there.
    public func recordRun(
        _ sweep: String, dryRun: Bool, tallies: [OrganizationID: SweepTally], startedAt: Date, finishedAt: Date
    ) async throws {
        guard !tallies.isEmpty else { return }
        try await database.transaction(scope) { db in
            for (organization, tally) in tallies.sorted(by: { $0.key.description < $1.key.description }) {
                try AuditLog.append(
                    AuditEntry(
                        dryRun ? .sweepDryRun : .sweepRan, .organization(organization),
                        details: AuditDetails.SweepRan(
                            sweep: sweep, assignments: tally.assignments, sealedKeysDestroyed: tally.sealedKeysDestroyed,
                            startedAt: DateTimeText.rfc3339(startedAt), finishedAt: DateTimeText.rfc3339(finishedAt))),
                    organization: organization, at: finishedAt, on: db)
            }
        }
    }

    /// The organisation's sweep history, newest first: what each `sweep.ran` and `sweep.dry_run`
    /// entry of its audit says.
    public func history(of organization: OrganizationID, limit: Int = 50) async throws -> [SweepHistoryEntry] {
        try await database.transaction(scope) { db in
            try db.query(
                """
                SELECT e.occurred_at, e.action, e.details ->> 'sweep' AS sweep, (e.details ->> 'assignments')::integer AS assignments,
                       (e.details ->> 'sealed_keys_destroyed')::integer AS sealed_keys, u.handle
                  FROM audit_entries e LEFT JOIN users u ON u.id = e.actor_id
                 WHERE e.organization_id = $1 AND e.action IN ('sweep.ran', 'sweep.dry_run')
                 ORDER BY e.id DESC LIMIT $2
                """, [organization, limit]
            ).map { row in
                SweepHistoryEntry(
                    at: try row.decode("occurred_at"), sweep: try row.decode("sweep"), dryRun: try row.decode("action", as: String.self) == "sweep.dry_run",
                    assignments: try row.decode("assignments"), sealedKeysDestroyed: try row.decode("sealed_keys"), by: try row.decodeIfPresent("handle"))
            }
        }
    }

    // MARK: Erasure

    /// The tables whose old row versions can hold a wrapped sealed key or a ciphertext.
    public static let erasedTables = ["assignments", "assignment_recipients"]

    /// Lets PostgreSQL reclaim the old row versions that still hold destroyed ciphertexts and
    /// wrapped sealed keys (their TOAST tables with them), as the owner: the application role may
    /// not `VACUUM` (PostgreSQL 15). Tables without dead rows are cheap to vacuum, so the job
    /// runner does this on every pass.
    public func vacuum() async throws {
        try await database.withOwnerConnection { db in
            for table in Self.erasedTables { try db.execute("VACUUM (ANALYZE) \(table)") }
        }
    }

    /// Dead row versions PostgreSQL's statistics count in those tables (they lag by a few seconds).
    public func vacuumBacklog() async throws -> [VacuumBacklog] {
        try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT relname, n_dead_tup FROM pg_stat_user_tables
                 WHERE schemaname = 'public' AND relname = ANY(string_to_array($1, ','))
                 ORDER BY relname
                """, [Self.erasedTables.joined(separator: ",")]
            ).map { row in VacuumBacklog(table: try row.decode("relname"), deadRowVersions: try row.decode("n_dead_tup")) }
        }
    }

    /// The live wrapped sealed keys, counted by day and by the id of the erasure key that wrapped
    /// them (rows from before migration 0010 that are not wrapped yet are left out).
    public func liveSealedKeys() async throws -> [LiveSealedKeys] {
        try await database.transaction(.scheduler) { db in
            try db.query(
                """
                SELECT erasure_epoch, substring(sealed_key FROM 1 FOR $1) AS key_id, count(*) AS n FROM assignment_recipients
                 WHERE sealed_key IS NOT NULL AND erasure_epoch IS NOT NULL GROUP BY 1, 2 ORDER BY 1
                """, [ErasureKeyring.keyIDByteCount]
            ).map { LiveSealedKeys(epoch: try $0.decode("erasure_epoch"), keyID: try $0.decode("key_id"), count: try $0.decode("n")) }
        }
    }

    /// The longest assignment lifetime of any organisation: how long a day's erasure key may have
    /// to live after the day ends.
    public func longestAssignmentLifetime() async throws -> Int {
        try await database.transaction(.scheduler) { db in
            try db.query("SELECT max(assignment_lifetime_days) AS days FROM organizations").first!.decodeIfPresent("days", as: Int.self)
                ?? OrganizationSettings.defaultAssignmentLifetimeDays
        }
    }
}

/// One run of a sweep in an organisation's history.
public struct SweepHistoryEntry: Sendable, Hashable {
    public var at: Date
    public var sweep: String
    public var dryRun: Bool
    public var assignments: Int
    public var sealedKeysDestroyed: Int
    /// Who ran it: a user's handle, or `nil` for the scheduler or the operator's command line.
    public var by: String?
}

/// Live wrapped sealed keys of one day, wrapped by one erasure key.
public struct LiveSealedKeys: Sendable, Hashable {
    public var epoch: ErasureEpoch
    public var keyID: [UInt8]
    public var count: Int
}

/// Dead row versions waiting for `VACUUM` in one table.
public struct VacuumBacklog: Sendable, Hashable, Codable {
    public var table: String
    public var deadRowVersions: Int

    enum CodingKeys: String, CodingKey {
        case table
        case deadRowVersions = "dead_row_versions"
    }
}
