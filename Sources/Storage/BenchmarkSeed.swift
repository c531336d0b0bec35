import AssignmentCore
import Envelope
import Foundation
import Postgres

/// Bulk data for the export benchmarks (`dispatch bench exports`, docs/performance.md): one
/// organisation, `mentors` peer mentors and `assignments` assignments spread evenly over them,
/// each counted for the honorarium in 2026 (with its tier crossings), written with set-based SQL
/// in one go. The rows go through the same triggers as any other (lifecycle guard, events, the
/// audit chain), so the audit table holds one entry per assignment. The envelopes are already
/// destroyed: nobody opens them.
public enum BenchmarkSeed {
    public static func seed(database: Database, assignments: Int, mentors: Int, at time: Date) async throws -> OrganizationID {
        let organization = OrganizationID(UUID())
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, 'Benchmark', $2, $2)", [organization, time])
            try db.execute(
                """
                INSERT INTO users (id, organization_id, handle, role, created_at, updated_at)
                SELECT md5($1::text || ':mentor:' || i)::uuid, $1::uuid, 'mentor' || lpad(i::text, 7, '0'), 'peer_mentor', $2::timestamptz, $2::timestamptz
                  FROM generate_series(1, $3::integer) AS i
                UNION ALL SELECT md5($1::text || ':coordinator')::uuid, $1::uuid, 'coordinator', 'coordinator', $2::timestamptz, $2::timestamptz
                """, [organization, time, mentors])
            try db.execute(
                """
                INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, dispatched_at, payload_destroyed_at,
                    created_at, updated_at, last_state_change_at)
                SELECT md5($1::text || ':assignment:' || i)::uuid, $1::uuid, md5($1::text || ':coordinator')::uuid,
                       md5($1::text || ':mentor:' || (i % $3::integer + 1))::uuid, 'Oppdrag', 'dispatched',
                       $2::timestamptz + make_interval(secs => i), $2::timestamptz + make_interval(secs => i), $2::timestamptz + make_interval(secs => i),
                       $2::timestamptz + make_interval(secs => i), $2::timestamptz + make_interval(secs => i)
                  FROM generate_series(1, $4::integer) AS i
                """, [organization, time, mentors, assignments])
            try db.execute(
                """
                INSERT INTO honorarium_entries (assignment_id, organization_id, peer_mentor_id, period, number, counted_at)
                SELECT id, organization_id, peer_mentor_id, '2026', row_number() OVER (PARTITION BY peer_mentor_id ORDER BY dispatched_at), dispatched_at
                  FROM assignments WHERE organization_id = $1
                """, [organization])
            try db.execute(
                """
                INSERT INTO honorarium_counters (organization_id, peer_mentor_id, period, counted, updated_at)
                SELECT organization_id, peer_mentor_id, period, count(*), max(counted_at) FROM honorarium_entries
                 WHERE organization_id = $1 GROUP BY organization_id, peer_mentor_id, period
                """, [organization])
            try db.execute(
                """
                INSERT INTO honorarium_threshold_events (id, organization_id, peer_mentor_id, period, tier, assignment_id, crossed_at)
                SELECT md5(assignment_id::text || ':tier')::uuid, organization_id, peer_mentor_id, period, number, assignment_id, counted_at
                  FROM honorarium_entries WHERE organization_id = $1 AND number IN (3, 15)
                """, [organization])
            // Rates, so the report prices every line: bands from the 1st, 3rd and 15th, bonuses at 3 and 15.
            try db.execute("INSERT INTO honorarium_rate_sets (organization_id, valid_from, created_at) VALUES ($1, '2026-01-01', $2)", [organization, time])
            try db.execute(
                """
                INSERT INTO honorarium_rates (organization_id, valid_from, kind, threshold, amount_ore, pay_code)
                VALUES ($1, '2026-01-01', 'band', 1, 0, NULL), ($1, '2026-01-01', 'band', 3, 50000, 'LA101'), ($1, '2026-01-01', 'band', 15, 80000, 'LA102'),
                       ($1, '2026-01-01', 'tier_bonus', 3, 100000, 'LA110'), ($1, '2026-01-01', 'tier_bonus', 15, 200000, 'LA111')
                """, [organization])
        }
        // The chain as a running server's chainer leaves it: every entry linked (migration 0015).
        _ = try await AuditChainStore(database: database).linkBacklog(of: organization, batchSize: 100_000)
        try await database.withOwnerConnection { try $0.execute("VACUUM ANALYZE") }
        return organization
    }

    /// Who the status overview and inbox benchmarks look through, in an organisation seeded by
    /// ``seedAtScale(superuser:assignments:dueReminders:at:)``.
    public struct ScaleSubjects: Sendable {
        public var organization: OrganizationID
        /// A coordinator of a local association: sees that association's open assignments (500
        /// of the 2,500 it has at a million).
        public var coordinator: UserContext
        /// A peer mentor with 20 open assignments of 100 at a million.
        public var mentor: UserContext
        public var openAssignments: Int
    }

    /// Many assignments fast, for the query benchmarks: one organisation with 400 local
    /// associations, a coordinator in each, 10,000 peer mentors, and `assignments` assignments
    /// spread evenly over them, one in five open (dispatched) and the rest completed, every payload
    /// already destroyed. `dueReminders` of the open ones, dispatched more than ten days before
    /// `time`, have their first reminder due; the others' next reminder is days away.
    ///
    /// Written as the superuser with triggers and foreign-key checks off
    /// (`session_replication_role = replica`), so no events or audit entries are made: what is
    /// measured on these rows is reading them, and a set-based insert of ten million rows through
    /// the audit chain would take most of an hour. Never point this at a database that matters.
    public static func seedAtScale(superuser db: PostgresConnection, assignments: Int, dueReminders: Int, at time: Date) throws -> ScaleSubjects {
        let organization = OrganizationID(UUID())
        let associations = 400, mentors = 10_000
        let open = assignments / 5
        let step = max(1, assignments / 35 / max(dueReminders, 1))
        try db.execute("SET session_replication_role = replica")
        try db.execute("SET maintenance_work_mem = '1GB'")
        defer {
            try? db.execute("SET session_replication_role = DEFAULT")
            try? db.execute("RESET maintenance_work_mem")
        }
        try db.transaction { db in
            // A bulk load: the indexes that back no constraint are dropped for the insert and built
            // again afterwards, in the same transaction. Building an index over ten million rows
            // is several times faster than keeping it up to date row by row, and the result is the
            // same index (docs/performance.md, "Seeding").
            let indexes = try db.query(
                """
                SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
                  FROM pg_index i
                 WHERE i.indrelid = 'assignments'::regclass
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                 ORDER BY 1
                """
            ).map { (name: try $0.decode("name", as: String.self), definition: try $0.decode("definition", as: String.self)) }
            for index in indexes { try db.execute("DROP INDEX \(index.name)") }
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", [organization, "Scale \(organization.uuid.uuidString.prefix(8))", time])
            try db.execute(
                """
                INSERT INTO local_associations (id, organization_id, name, created_at)
                SELECT md5($1::text || ':association:' || k)::uuid, $1::uuid, 'Lokallag ' || k, $2::timestamptz FROM generate_series(0, $3::integer - 1) AS k
                """, [organization, time, associations])
            try db.execute(
                """
                INSERT INTO users (id, organization_id, local_association_id, handle, role, created_at, updated_at)
                SELECT md5($1::text || ':coordinator:' || k)::uuid, $1::uuid, md5($1::text || ':association:' || k)::uuid,
                       'coordinator' || k, 'coordinator', $2::timestamptz, $2::timestamptz
                  FROM generate_series(0, $3::integer - 1) AS k
                UNION ALL
                SELECT md5($1::text || ':mentor:' || m)::uuid, $1::uuid, NULL, 'mentor' || m, 'peer_mentor', $2::timestamptz, $2::timestamptz
                  FROM generate_series(0, $4::integer - 1) AS m
                """, [organization, time, associations, mentors])
            // Assignment i: association and coordinator i mod 400, peer mentor i mod 10,000; open when
            // i div 7 is a multiple of 5 (one in five, spread over every association and peer mentor
            // alike), dispatched up to a year before `time`. Due: every 35th (always open) of a
            // stride that gives `dueReminders` in all.
            try db.execute(
                """
                INSERT INTO assignments (id, organization_id, local_association_id, coordinator_id, peer_mentor_id, title, status,
                    dispatched_at, delivered_at, read_at, acknowledged_at, contact_made_at, completed_at, payload_destroyed_at,
                    next_reminder_at, created_at, updated_at, last_state_change_at)
                SELECT md5($1::text || ':assignment:' || i)::uuid, $1::uuid, md5($1::text || ':association:' || (i % $3::integer))::uuid,
                       md5($1::text || ':coordinator:' || (i % $3::integer))::uuid, md5($1::text || ':mentor:' || (i % $4::integer))::uuid,
                       'Oppdrag', CASE WHEN open THEN 'dispatched' ELSE 'completed' END,
                       d, CASE WHEN NOT open THEN d + interval '1 hour' END, CASE WHEN NOT open THEN d + interval '2 hours' END,
                       CASE WHEN NOT open THEN d + interval '3 hours' END, CASE WHEN NOT open THEN d + interval '1 day' END,
                       CASE WHEN NOT open THEN d + interval '2 days' END, d,
                       CASE WHEN due THEN $2::timestamptz - interval '1 hour' WHEN open THEN $2::timestamptz + interval '5 days' END,
                       d, d, d
                  FROM generate_series(0, $5::integer - 1) AS i,
                       LATERAL (SELECT (i / 7) % 5 = 0 AS open,
                                       i % 35 = 0 AND (i / 35) % $6::integer = 0 AND i / 35 / $6::integer < $7::integer AS due) AS r,
                       LATERAL (SELECT $2::timestamptz - make_interval(secs => (i % 31536000)::double precision)
                                   - CASE WHEN due THEN interval '11 days' ELSE interval '1 minute' END AS d) AS t
                """, [organization, time, associations, mentors, assignments, step, dueReminders])
            for index in indexes { try db.execute(index.definition) }
        }
        try db.execute("ANALYZE")
        let ids = try db.query(
            "SELECT md5($1::text || ':coordinator:0')::uuid AS coordinator, md5($1::text || ':association:0')::uuid AS association, md5($1::text || ':mentor:0')::uuid AS mentor",
            [organization]).first!
        let coordinator = UserContext(
            userID: try ids.decode("coordinator"), organizationID: organization, localAssociationID: try ids.decode("association"), role: .coordinator)
        let mentor = UserContext(userID: try ids.decode("mentor"), organizationID: organization, role: .peerMentor)
        return ScaleSubjects(organization: organization, coordinator: coordinator, mentor: mentor, openAssignments: open)
    }

    /// `count` open assignments past their expiry in a new organisation, each with a whole envelope
    /// (random, incompressible ciphertext of a 2 KiB case) and one wrapped sealed key: the expiry
    /// sweep's benchmark. Written like ``seedAtScale(superuser:assignments:dueReminders:at:)``, as
    /// the superuser with triggers off.
    public static func seedExpired(superuser db: PostgresConnection, count: Int, at time: Date) throws -> OrganizationID {
        let organization = OrganizationID(UUID())
        try db.execute("SET session_replication_role = replica")
        defer { try? db.execute("SET session_replication_role = DEFAULT") }
        try db.transaction { db in
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", [organization, "Expiry \(organization.uuid.uuidString.prefix(8))", time])
            try db.execute(
                """
                INSERT INTO users (id, organization_id, handle, role, created_at, updated_at)
                VALUES (md5($1::text || ':coordinator')::uuid, $1::uuid, 'coordinator', 'coordinator', $2::timestamptz, $2::timestamptz),
                       (md5($1::text || ':mentor')::uuid, $1::uuid, 'mentor', 'peer_mentor', $2::timestamptz, $2::timestamptz)
                """, [organization, time])
            try db.execute(
                """
                INSERT INTO device_keys (id, organization_id, user_id, encryption_public_key, signing_public_key, fingerprint, created_at)
                VALUES (md5($1::text || ':key')::uuid, $1::uuid, md5($1::text || ':mentor')::uuid, sha256(convert_to($1::text || 'e', 'UTF8')),
                        sha256(convert_to($1::text || 's', 'UTF8')),
                        sha256(sha256(convert_to($1::text || 'e', 'UTF8')) || sha256(convert_to($1::text || 's', 'UTF8'))), $2::timestamptz)
                """, [organization, time])
            try db.execute(
                """
                INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, algorithm, ciphertext, nonce,
                    sender_signature, sender_key_fingerprint, dispatched_at, expires_at, created_at, updated_at, last_state_change_at)
                SELECT md5($1::text || ':assignment:' || i)::uuid, $1::uuid, md5($1::text || ':coordinator')::uuid, md5($1::text || ':mentor')::uuid,
                       'Oppdrag', 'dispatched', $4, c.bytes, substring(sha256(convert_to($1::text || ':nonce:' || i, 'UTF8')) FROM 1 FOR 24),
                       sha512(convert_to($1::text || ':signature:' || i, 'UTF8')), sha256(convert_to($1::text || 'f', 'UTF8')),
                       $2::timestamptz - interval '2 days', $2::timestamptz - interval '1 hour',
                       $2::timestamptz - interval '2 days', $2::timestamptz - interval '2 days', $2::timestamptz - interval '2 days'
                  FROM generate_series(1, $3::integer) AS i,
                       LATERAL (SELECT substring(decode(string_agg(md5(random()::text || k || i), ''), 'hex') FROM 1 FOR 2320) AS bytes
                                  FROM generate_series(1, 145) AS g (k)) AS c
                """, [organization, time, count, EnvelopeFormat.v1.algorithmName])
            try db.execute(
                """
                INSERT INTO assignment_recipients (assignment_id, organization_id, position, device_key_id, recipient_fingerprint, sealed_key_hash,
                    sealed_key, erasure_epoch)
                SELECT a.id, a.organization_id, 0, md5($1::text || ':key')::uuid,
                       sha256(sha256(convert_to($1::text || 'e', 'UTF8')) || sha256(convert_to($1::text || 's', 'UTF8'))),
                       sha256(convert_to(a.id::text, 'UTF8')), sha512(convert_to(a.id::text, 'UTF8')) || sha512(convert_to(a.id::text || 'x', 'UTF8')),
                       ($2::timestamptz - interval '2 days')::date
                  FROM assignments a WHERE a.organization_id = $1::uuid
                """, [organization, time])
        }
        try db.execute("ANALYZE assignments, assignment_recipients")
        return organization
    }

    /// One statement doing what the expiry sweep does to open assignments past their expiry (the
    /// baseline of its benchmark): expire them (the lifecycle trigger destroys the ciphertext and
    /// sealed keys and writes the event and audit entry), notify both sides; run in a session whose
    /// actor is the system, as the sweep's is.
    public static func expiryBaselineSQL(at time: Date) -> String {
        let at = "'\(PostgresTimestamp.format(time))'::timestamptz"
        return """
            SET dispatch.actor_role = 'system';
            WITH expired AS (
                UPDATE assignments SET status = 'expired', next_reminder_at = NULL,
                       updated_at = greatest(updated_at, \(at)), last_state_change_at = greatest(last_state_change_at, \(at))
                 WHERE expires_at <= \(at) AND payload_destroyed_at IS NULL AND status IN ('dispatched', 'delivered', 'read', 'acknowledged')
             RETURNING id, organization_id, peer_mentor_id, coordinator_id, last_state_change_at)
            INSERT INTO notifications (id, organization_id, recipient_user_id, assignment_id, kind, next_attempt_at, created_at)
            SELECT gen_random_uuid(), e.organization_id, r.id, e.id, 'assignment_expired', e.last_state_change_at, e.last_state_change_at
              FROM expired e, LATERAL (VALUES (e.peer_mentor_id), (e.coordinator_id)) AS r (id);
            """
    }
}
