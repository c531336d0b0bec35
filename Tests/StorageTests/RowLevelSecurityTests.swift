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
        "api_tokens", "idempotency_keys", "assignment_reminders", "honorarium_entries", "archived_assignments", "honorarium_rate_sets",
        "honorarium_rates", "honorarium_closed_periods", "web_sessions", "sign_in_links", "erasure_receipts",
    ]

    /// Besides the privileges and the policy (42501), the walls that refuse a foreign write before
    /// the policy is checked: the immutable fields of an assignment, the reference check of the
    /// honorarium entries (an assignment of the row's own organisation), and closed months, which
    /// are append-only.
    static let earlierWall: [String: String] = ["assignments": "AD004", "honorarium_entries": "23503", "honorarium_closed_periods": "AD003"]

    /// An INSERT of a copy of one of A's (`$1`) rows, relabelled as B's (`$2`), naming every column
    /// a client may write (not identity or generated ones).
    static func relabellingInsert(into table: String, column: String, database: Database) async throws -> String {
        let columns = try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position) AS names FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'NO' AND is_generated = 'NEVER'
                """, [table]
            ).first!.decode("names", as: String.self)
        }
        return """
            INSERT INTO \(table) (\(columns)) SELECT \(columns)
              FROM jsonb_populate_record(NULL::\(table), (SELECT to_jsonb(t) || jsonb_build_object('\(column)', $2::uuid) FROM \(table) t WHERE \(column) = $1 LIMIT 1))
            """
    }

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
            try db.execute("INSERT INTO honorarium_rate_sets (organization_id, valid_from, created_at) VALUES ($1, '2026-01-01', $2)", [org.id, start])
            try db.execute(
                "INSERT INTO honorarium_rates (organization_id, valid_from, kind, threshold, amount_ore) VALUES ($1, '2026-01-01', 'band', 3, 50000)", [org.id])
            try db.execute(
                "INSERT INTO honorarium_closed_periods (organization_id, period, closed_at, file_sha256) VALUES ($1, '2026-01', $2, $3)",
                [org.id, start, [UInt8](repeating: 7, count: 32)])
            try db.execute(
                "INSERT INTO web_sessions (id, organization_id, user_id, secret_hash, language, created_at, expires_at) VALUES ($1, $2, $3, $4, 'nb', $5, $6)",
                [UUID(), org.id, org.coordinator.userID, (0..<32).map { _ in UInt8.random(in: 0...255) }, start, start + 3_600])
            try db.execute(
                """
                INSERT INTO erasure_receipts (organization_id, assignment_id, device_key_id, erased_at, reason, signature, received_at)
                VALUES ($1, $2, $3, $4, 'completed', $5, $4)
                """, [org.id, id, org.peerMentorKeyID, start, [UInt8](repeating: 9, count: 64)])
            try db.execute(
                "INSERT INTO sign_in_links (id, organization_id, user_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [UUID(), org.id, org.coordinator.userID, (0..<32).map { _ in UInt8.random(in: 0...255) }, start, start + 900])
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
            let attempts = [
                try await Self.relabellingInsert(into: table, column: column, database: database),
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
                    #expect([PostgresError.insufficientPrivilege, Self.earlierWall[table]].contains(error.sqlState), "\(table): \(sql): \(error)")
                    continue
                }
                #expect(changed == 0, "\(table): \(sql) changed \(changed) rows")
            }
            let after = try await counts()
            #expect(after == before, "\(table): nothing of either organisation changed")
        }
        try await database.close()
    }

    @Test("every table that holds organisation data has forced row-level security and a policy, and the tests here cover it")
    func everyTenantTableIsCovered() async throws {
        let database = try await TestPostgres.database()
        let tables = try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT c.relname AS name, c.relrowsecurity AS secured, c.relforcerowsecurity AS forced,
                       EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid) AS has_policy
                  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
                   AND (c.relname = 'organizations'
                        OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND NOT a.attisdropped))
                 ORDER BY 1
                """
            ).map {
                (name: try $0.decode("name", as: String.self), secured: try $0.decode("secured", as: Bool.self), forced: try $0.decode("forced", as: Bool.self),
                 policy: try $0.decode("has_policy", as: Bool.self))
            }
        }
        #expect(tables.count >= Self.tenantTables.count)
        for table in tables {
            #expect(table.secured && table.forced && table.policy, "\(table.name) holds organisation data without forced row-level security and a policy")
        }
        #expect(Set(tables.map(\.name)) == Set(Self.tenantTables), "every tenant table is seeded and checked by the tests of this suite")
        try await database.close()
    }

    @Test("a hostile statement on the application's own connection (RESET ROLE, SET ROLE, set_config of the scope, a proof copied from another transaction) reaches no other organisation's row in any tenant table")
    func hostileStatementsStayInTheirOrganisation() async throws {
        let (database, a, b) = try await twoFilledOrganizations()
        // A proof that was valid once: B's own, from a transaction of B's.
        let stolen = try await database.transaction(.tenant(b.id, actor: .user(b.admin))) { db in
            let row = try db.query("SELECT current_setting('dispatch.scope_key') AS k, current_setting('dispatch.scope_proof') AS p").first!
            return [try row.decode("k", as: String.self), try row.decode("p", as: String.self)]
        }
        let other = b.id.description
        let hostile: [(sql: String, parameters: [String])] = [
            ("RESET ROLE", []),
            ("SET ROLE \(DatabaseRoles.tenant)", []),
            ("SELECT set_config('dispatch.organization_id', $1, true)", [other]),
            ("SELECT set_config('dispatch.organization_id', $1, false)", [other]),
            ("SELECT set_config('dispatch.organization_id', '*', true)", []),
            ("SELECT set_config('dispatch.organization_id', $1, true), set_config('dispatch.scope_key', $2, true), set_config('dispatch.scope_proof', $3, true)",
             [other] + stolen),
            ("RESET ALL", []),
            ("SET SESSION AUTHORIZATION \(ManagedCluster.superuser)", []),
        ]
        let before = try await DatabaseSnapshot.take(database)
        for table in Self.tenantTables {
            let column = table == "organizations" ? "id" : "organization_id"
            let attempts = [
                "SELECT count(*) AS n FROM \(table) WHERE \(column) = $2 AND $1::uuid IS NOT NULL",
                "UPDATE \(table) SET \(column) = \(column) WHERE \(column) = $2 AND $1::uuid IS NOT NULL",
                "DELETE FROM \(table) WHERE \(column) = $2 AND $1::uuid IS NOT NULL",
                try await Self.relabellingInsert(into: table, column: column, database: database),
            ]
            for prelude in hostile {
                for sql in attempts {
                    do {
                        let reached = try await database.transaction(.tenant(a.id, actor: .user(a.admin))) { db in
                            try db.execute(prelude.sql, prelude.parameters)
                            let result = try db.query(sql, [a.id, b.id])
                            return sql.hasPrefix("SELECT") ? try result.first!.decode("n", as: Int.self) : result.affectedRows
                        }
                        #expect(reached == 0, "\(table) after \(prelude.sql): \(sql) reached \(reached) of B's rows")
                    } catch let error as PostgresError {
                        // After RESET ALL no actor is named either, which the lifecycle trigger refuses first.
                        let resetWall = prelude.sql == "RESET ALL" && table == "assignments" ? "AD002" : nil
                        #expect(
                            [PostgresError.insufficientPrivilege, Self.earlierWall[table], resetWall].contains(error.sqlState),
                            "\(table) after \(prelude.sql): \(sql): \(error)")
                    }
                }
            }
        }
        #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(database)).isEmpty, "nothing changed anywhere")
        try await database.close()
    }

    @Test("a process whose server key was never installed cannot prove any scope; preparing the schema installs its keys beside the others")
    func uninstalledKeyIsRefused() async throws {
        var configuration = try await TestPostgres.databaseConfiguration()
        let installed = try await Database.open(configuration, logger: TestPostgres.logger)
        let organization = try await StorageFixtures.seedOrganization(in: installed, name: "A")
        configuration.scopeProofKeys = .keys(try ServerKey.generate().scopeProofKeys())
        let stranger = try await Database.open(configuration, logger: TestPostgres.logger)
        func users(_ database: Database) async throws -> Int {
            try await database.transaction(.tenant(organization.id, actor: .system)) { try $0.query("SELECT count(*) AS n FROM users").first!.decode("n", as: Int.self) }
        }
        let refused = try await #require(throws: PostgresError.self) { try await users(stranger) }
        #expect(refused.sqlState == PostgresError.insufficientPrivilege)
        #expect(refused.message.contains("no installed scope key"))
        try await stranger.prepareSchema(now: StorageFixtures.start)
        #expect(try await users(stranger) == 3)
        #expect(try await users(installed) == 3, "the keys installed before still prove their scopes")
        try await stranger.close()
        try await installed.close()
    }

    @Test("the application logs in as a role that is no superuser, cannot bypass row-level security and owns nothing")
    func applicationLoginRole() async throws {
        let database = try await TestPostgres.database()
        let login = try await database.withConnection { db in
            try db.query(
                """
                SELECT current_user AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
                       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid) + (SELECT count(*) FROM pg_proc p WHERE p.proowner = r.oid) AS owned,
                       has_table_privilege('dispatch_scope_keys', 'SELECT') AS reads_keys
                  FROM pg_roles r WHERE r.rolname = current_user
                """
            ).first!
        }
        #expect(try login.decode("name", as: String.self) == DatabaseRoles.application)
        #expect(try !login.decode("superuser", as: Bool.self) && !login.decode("bypass", as: Bool.self))
        #expect(try login.decode("owned", as: Int.self) == 0)
        #expect(try !login.decode("reads_keys", as: Bool.self), "the scope-proof keys are out of the application role's reach")
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
            // The poll's look-up (migration 0013): the same subject, with counts and times only.
            let versioned = try db.query("SELECT * FROM dispatch_feed_version($1)", [SHA256.hash(Array(feed.utf8))])
            #expect(versioned.columns == ["id", "organization_id", "user_id", "handle", "language", "created_at", "server_key_version", "time_zone", "assignments", "last_change"])
            #expect(try versioned.map { try $0.decode("user_id", as: UUID.self) } == [a.peerMentor.userID.uuid])
        }
        let callers = try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT has_function_privilege('public', 'dispatch_token_principal(bytea, timestamptz)', 'EXECUTE') AS token_public,
                       has_function_privilege('public', 'dispatch_feed_subject(bytea)', 'EXECUTE') AS feed_public,
                       has_function_privilege('public', 'dispatch_feed_version(bytea)', 'EXECUTE') AS version_public
                """
            ).first!
        }
        #expect(try !callers.decode("token_public", as: Bool.self) && !callers.decode("feed_public", as: Bool.self), "only the tenant role may call them")
        #expect(try !callers.decode("version_public", as: Bool.self))
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
