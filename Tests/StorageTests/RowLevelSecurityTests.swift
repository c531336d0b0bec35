import AssignmentCore
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

/// Row-level security as the second wall: a tenant transaction that forgets its organisation
/// filter still sees and changes nothing of another organisation.
@Suite("Row-level security")
struct RowLevelSecurityTests {
    static let tenantTables = [
        "organizations", "local_associations", "users", "device_keys", "contacts", "assignments", "assignment_recipients",
        "assignment_events", "audit_entries", "notifications", "feed_tokens", "honorarium_counters", "honorarium_threshold_events",
        "api_tokens",
    ]

    /// Puts at least one row of each organisation in every tenant table.
    func seedEverything(in database: Database, _ org: SeededOrganization) async throws {
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        let start = StorageFixtures.start
        try await database.transaction(.system(actor: .system)) { db in
            try db.execute("INSERT INTO local_associations (id, organization_id, name, created_at) VALUES ($1, $2, 'Oslo', $3)", [UUID(), org.id, start])
            try db.execute("INSERT INTO contacts (id, organization_id, geographic_region, created_at) VALUES ($1, $2, 'Oslo', $3)", [UUID(), org.id, start])
            try db.execute(
                "INSERT INTO notifications (id, organization_id, recipient_user_id, assignment_id, kind, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'assignment_dispatched', $5, $5)",
                [UUID(), org.id, org.peerMentor.userID, id, start])
            try db.execute(
                "INSERT INTO feed_tokens (id, organization_id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                [UUID(), org.id, org.peerMentor.userID, (0..<32).map { _ in UInt8.random(in: 0...255) }, start])
            try db.execute(
                "INSERT INTO honorarium_counters (organization_id, peer_mentor_id, period, counted, updated_at) VALUES ($1, $2, '2026', 3, $3)",
                [org.id, org.peerMentor.userID, start])
            try db.execute(
                "INSERT INTO api_tokens (id, organization_id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [UUID(), org.id, org.peerMentor.userID, (0..<32).map { _ in UInt8.random(in: 0...255) }, start, start + 86_400])
            try db.execute(
                "INSERT INTO honorarium_threshold_events (id, organization_id, peer_mentor_id, period, tier, crossed_at) VALUES ($1, $2, $3, '2026', 3, $4)",
                [UUID(), org.id, org.peerMentor.userID, start])
        }
    }

    @Test("a tenant sees only its own rows in every tenant table, with no WHERE clause at all")
    func reads() async throws {
        let database = try await TestPostgres.database()
        let a = try await StorageFixtures.seedOrganization(in: database, name: "A")
        let b = try await StorageFixtures.seedOrganization(in: database, name: "B")
        try await seedEverything(in: database, a)
        try await seedEverything(in: database, b)
        for table in Self.tenantTables {
            let column = table == "organizations" ? "id" : "organization_id"
            let (all, ownInTotal) = try await database.transaction(.system(actor: .system)) { db in
                (try db.query("SELECT count(*) AS n FROM \(table)").first!.decode("n", as: Int.self),
                 try db.query("SELECT count(*) AS n FROM \(table) WHERE \(column) = $1", [a.id]).first!.decode("n", as: Int.self))
            }
            let (visible, foreign) = try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in
                (try db.query("SELECT count(*) AS n FROM \(table)").first!.decode("n", as: Int.self),
                 try db.query("SELECT count(*) AS n FROM \(table) WHERE \(column) = $1", [b.id]).first!.decode("n", as: Int.self))
            }
            #expect(ownInTotal > 0 && all > ownInTotal, "\(table) has rows of both organisations")
            #expect(visible == ownInTotal, "\(table): a tenant sees exactly its own rows")
            #expect(foreign == 0, "\(table): asking for the other organisation by id finds nothing")
        }
        try await database.close()
    }

    @Test("a tenant cannot write rows for another organisation, nor change or guess its rows")
    func writes() async throws {
        let database = try await TestPostgres.database()
        let a = try await StorageFixtures.seedOrganization(in: database, name: "A")
        let b = try await StorageFixtures.seedOrganization(in: database, name: "B")
        let foreignAssignment = try await StorageFixtures.dispatch(in: database, organization: b)
        let start = StorageFixtures.start
        await #expect {
            try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in
                try db.execute("INSERT INTO contacts (id, organization_id, created_at) VALUES ($1, $2, $3)", [UUID(), b.id, start])
            }
        } throws: { ($0 as? PostgresError)?.sqlState == PostgresError.insufficientPrivilege }
        let changed = try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in
            try db.query("UPDATE assignments SET title = 'hijacked' WHERE id = $1", [foreignAssignment]).affectedRows
        }
        #expect(changed == 0)
        let title = try await database.transaction(.system(actor: .system)) { db in
            try db.query("SELECT title FROM assignments WHERE id = $1", [foreignAssignment]).first!.decode("title", as: String.self)
        }
        #expect(title == "Oppdrag 42")
        // The tenant role has no DELETE at all, and cannot write history or skip the audit chain.
        for sql in ["DELETE FROM assignments", "INSERT INTO assignment_events (organization_id, assignment_id, kind, to_status, actor_role, occurred_at) VALUES ('\(a.id)', '\(foreignAssignment)', 'status_changed', 'completed', 'x', now())"] {
            await #expect {
                try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in try db.execute(sql) }
            } throws: { ($0 as? PostgresError)?.sqlState == PostgresError.insufficientPrivilege }
        }
        try await database.close()
    }

    @Test("the tenant role without an organisation set sees nothing")
    func noOrganizationNoRows() async throws {
        let database = try await TestPostgres.database()
        let a = try await StorageFixtures.seedOrganization(in: database, name: "A")
        try await StorageFixtures.dispatch(in: database, organization: a)
        let count = try await database.withConnection { db in
            try db.transaction { db in
                try db.execute("SET LOCAL ROLE \(DatabaseRoles.tenant)")
                return try db.query("SELECT count(*) AS n FROM assignments").first!.decode("n", as: Int.self)
            }
        }
        #expect(count == 0)
        try await database.close()
    }
}
