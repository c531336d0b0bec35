import AssignmentCore
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
        try await database.withOwnerConnection { try $0.execute("VACUUM ANALYZE") }
        return organization
    }
}
