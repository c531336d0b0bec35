import AssignmentCore
import DatabaseTestSupport
import Envelope
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
        "api_tokens", "idempotency_keys", "assignment_reminders", "honorarium_entries", "archived_assignments",
    ]

    /// Puts at least one row of each organisation in every tenant table.
    func seedEverything(in database: Database, _ org: SeededOrganization) async throws {
        let id = try await StorageFixtures.dispatch(in: database, organization: org)
        let start = StorageFixtures.start
        try await database.transaction(.scheduler) { db in
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
            try db.execute(
                """
                INSERT INTO idempotency_keys (organization_id, user_id, idempotency_key, request_hash, state, created_at, claimed_until)
                VALUES ($1, $2, $3, $4, 'in_progress', $5, $6)
                """, [org.id, org.coordinator.userID, "key-\(UUID())", [UInt8](repeating: 1, count: 32), start, start + 60])
            try db.execute(
                "INSERT INTO assignment_reminders (assignment_id, organization_id, number, kind, due_at, sent_at) VALUES ($1, $2, 1, 'reminder', $3, $3)",
                [id, org.id, start])
            try db.execute(
                "INSERT INTO honorarium_entries (assignment_id, organization_id, peer_mentor_id, period, number, counted_at) VALUES ($1, $2, $3, '2026', 1, $4)",
                [id, org.id, org.peerMentor.userID, start])
            try db.execute(
                """
                INSERT INTO archived_assignments (id, organization_id, coordinator_id, peer_mentor_id, assignment_type, status, dispatched_at,
                    completed_at, closed_at, honorarium_eligible, counted_for_honorarium, created_at, archived_at)
                VALUES ($1, $2, $3, $4, 'general', 'completed', $5, $5, $5, false, false, $5, $5)
                """, [UUID(), org.id, org.coordinator.userID, org.peerMentor.userID, start])
        }
    }

    /// Organisations A and B, each with rows in every tenant table.
    func twoFilledOrganizations() async throws -> (Database, SeededOrganization, SeededOrganization) {
        let database = try await TestPostgres.database()
        let a = try await StorageFixtures.seedOrganization(in: database, name: "A")
        let b = try await StorageFixtures.seedOrganization(in: database, name: "B")
        try await seedEverything(in: database, a)
        try await seedEverything(in: database, b)
        return (database, a, b)
    }

    @Test("a tenant sees only its own rows in every tenant table, with no WHERE clause at all")
    func reads() async throws {
        let (database, a, b) = try await twoFilledOrganizations()
        for table in Self.tenantTables {
            let column = table == "organizations" ? "id" : "organization_id"
            let (all, ownInTotal) = try await database.transaction(.scheduler) { db in
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
        let title = try await database.transaction(.scheduler) { db in
            try db.query("SELECT title FROM assignments WHERE id = $1", [foreignAssignment]).first!.decode("title", as: String.self)
        }
        #expect(title == "Oppdrag 42")
        // A delete reaches only the organisation's own rows, and the hot row of an assignment only
        // once it is archived; history cannot be written by hand.
        let ownAssignment = try await StorageFixtures.dispatch(in: database, organization: a)
        await #expect {
            try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in try db.execute("DELETE FROM assignments") }
        } throws: { ($0 as? PostgresError)?.sqlState == "AD006" }
        let survivors = try await database.transaction(.scheduler) { db in
            try db.query("SELECT count(*) AS n FROM assignments WHERE id = ANY(ARRAY[$1, $2]::uuid[])", [ownAssignment, foreignAssignment]).first!.decode("n", as: Int.self)
        }
        #expect(survivors == 2)
        let sql = "INSERT INTO assignment_events (organization_id, assignment_id, kind, to_status, actor_role, occurred_at) VALUES ('\(a.id)', '\(foreignAssignment)', 'status_changed', 'completed', 'x', now())"
        await #expect {
            try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in try db.execute(sql) }
        } throws: { ($0 as? PostgresError)?.sqlState == PostgresError.insufficientPrivilege }
        try await database.close()
    }

    @Test("in every tenant table, another organisation's rows cannot be inserted, changed or deleted, and own rows cannot be moved to it")
    func everyTableRefusesForeignWrites() async throws {
        let (database, a, b) = try await twoFilledOrganizations()
        for table in Self.tenantTables {
            let column = table == "organizations" ? "id" : "organization_id"
            func counts() async throws -> (a: Int, b: Int) {
                try await database.transaction(.scheduler) { db in
                    (try db.query("SELECT count(*) AS n FROM \(table) WHERE \(column) = $1", [a.id]).first!.decode("n", as: Int.self),
                     try db.query("SELECT count(*) AS n FROM \(table) WHERE \(column) = $1", [b.id]).first!.decode("n", as: Int.self))
                }
            }
            let before = try await counts()
            // Every column a client may write (not identity or generated ones).
            let columns = try await database.withOwnerConnection { db in
                try db.query(
                    """
                    SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS names FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'NO' AND is_generated = 'NEVER'
                    """, [table]
                ).first!.decode("names", as: String.self)
            }
            let attempts = [
                // A copy of one of A's own rows, relabelled as B's.
                """
                INSERT INTO \(table) (\(columns)) SELECT \(columns)
                  FROM jsonb_populate_record(NULL::\(table), (SELECT to_jsonb(t) || jsonb_build_object('\(column)', $2::uuid) FROM \(table) t WHERE \(column) = $1 LIMIT 1))
                """,
                "UPDATE \(table) SET \(column) = \(column) WHERE \(column) = $2 AND $1::uuid IS NOT NULL",
                "DELETE FROM \(table) WHERE \(column) = $2 AND $1::uuid IS NOT NULL",
                "UPDATE \(table) SET \(column) = $2 WHERE \(column) = $1",
            ]
            for sql in attempts {
                let changed: Int
                do {
                    changed = try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in
                        try db.query(sql, [a.id, b.id]).affectedRows
                    }
                } catch let error as PostgresError {
                    // Refused by the privileges or the policy, or by a trigger that runs before the
                    // policy is checked: the immutable fields of an assignment, and the reference
                    // check of the honorarium entries (an assignment of the row's own organisation).
                    let earlierWall: [String: String] = ["assignments": "AD004", "honorarium_entries": "23503"]
                    #expect([PostgresError.insufficientPrivilege, earlierWall[table]].contains(error.sqlState), "\(table): \(sql): \(error)")
                    continue
                }
                #expect(changed == 0, "\(table): \(sql) changed \(changed) rows")
            }
            let after = try await counts()
            #expect(after == before, "\(table): nothing of either organisation changed")
        }
        try await database.close()
    }

    @Test("every table that holds organisation data has row-level security and a policy, and the tests here cover it")
    func everyTenantTableIsCovered() async throws {
        let database = try await TestPostgres.database()
        let tables = try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT c.relname AS name, c.relrowsecurity AS secured, EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                   AND (c.relname = 'organizations'
                        OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped))
                 ORDER BY 1
                """
            ).map { (name: try $0.decode("name", as: String.self), secured: try $0.decode("secured", as: Bool.self), policy: try $0.decode("has_policy", as: Bool.self)) }
        }
        #expect(tables.count >= Self.tenantTables.count)
        for table in tables {
            #expect(table.secured && table.policy, "\(table.name) holds organisation data without row-level security and a policy")
        }
        #expect(Set(tables.map(\.name)) == Set(Self.tenantTables), "every tenant table is seeded and checked by the tests of this suite")
        try await database.close()
    }

    @Test("before anyone is known, a look-up transaction reaches no row, only the narrow token and feed functions, which return nothing more than they must")
    func lookupsAreNarrow() async throws {
        let (database, a, _) = try await twoFilledOrganizations()
        let start = StorageFixtures.start
        let token = "adt_" + String(repeating: "A", count: 43)
        let feed = "cal_" + String(repeating: "B", count: 43)
        try await database.transaction(.scheduler) { db in
            try db.execute(
                "INSERT INTO api_tokens (id, organization_id, user_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [UUID(), a.id, a.coordinator.userID, SHA256.hash(Array(token.utf8)), start, start + 86_400])
            try db.execute("UPDATE feed_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", [a.peerMentor.userID, start])
            try db.execute(
                "INSERT INTO feed_tokens (id, organization_id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                [UUID(), a.id, a.peerMentor.userID, SHA256.hash(Array(feed.utf8)), start])
        }
        try await database.transaction(.lookup) { db in
            for table in Self.tenantTables {
                #expect(try db.query("SELECT count(*) AS n FROM \(table)").first!.decode("n", as: Int.self) == 0, "\(table) is out of reach")
            }
            let principal = try db.query("SELECT * FROM dispatch_token_principal($1, $2)", [SHA256.hash(Array(token.utf8)), start + 60])
            #expect(principal.columns == ["id", "organization_id", "local_association_id", "handle", "role", "status"])
            #expect(try principal.map { try $0.decode("id", as: UUID.self) } == [a.coordinator.userID.uuid])
            #expect(try db.query("SELECT * FROM dispatch_token_principal($1, $2)", [SHA256.hash(Array(token.utf8)), start + 86_401]).first == nil, "expired")
            let subject = try db.query("SELECT * FROM dispatch_feed_subject($1)", [SHA256.hash(Array(feed.utf8))])
            #expect(try subject.map { try $0.decode("user_id", as: UUID.self) } == [a.peerMentor.userID.uuid])
            #expect(!subject.columns.contains("token_hash"))
        }
        let callers = try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT has_function_privilege('public', 'dispatch_token_principal(bytea, timestamptz)', 'EXECUTE') AS token_public,
                       has_function_privilege('public', 'dispatch_feed_subject(bytea)', 'EXECUTE') AS feed_public
                """
            ).first!
        }
        #expect(try !callers.decode("token_public", as: Bool.self) && !callers.decode("feed_public", as: Bool.self), "only the tenant role may call them")
        try await database.close()
    }

    @Test("the tenant role without an organisation set sees nothing")
    func noOrganizationNoRows() async throws {
        let database = try await TestPostgres.database()
        let a = try await StorageFixtures.seedOrganization(in: database, name: "A")
        try await StorageFixtures.dispatch(in: database, organization: a)
        let count = try await database.withOwnerConnection { db in
            try db.transaction { db in
                try db.execute("SET LOCAL ROLE \(DatabaseRoles.tenant)")
                return try db.query("SELECT count(*) AS n FROM assignments").first!.decode("n", as: Int.self)
            }
        }
        #expect(count == 0)
        try await database.close()
    }
}
