import AssignmentCore
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

@Suite("Typed audit details")
struct AuditDetailsTests {
    /// Texts that exercise every rule of the canonical form: key order by UTF-8 bytes (not by
    /// length, not by locale), escapes, controls, non-ASCII, nesting, negative and large integers.
    static let samples = [
        #"{}"#,
        #"{"b":1,"a":2,"ab":3,"B":4,"_":5}"#,
        #"{"é":1,"z":2,"Z":3,"😀":4,"ﬀ":5}"#,
        #"{"text":"quote \" backslash \\ slash / tab \t newline \n cr \r bell \u0007 unit \u001f del \u007f nbsp \u00a0 ø 😀"}"#,
        #"{"list":[3,-1,0,9007199254740993,true,false,null,"x",[],{}],"nested":{"y":{"b":[],"a":null}}}"#,
        #"{"from" : null, "to" : "dispatched"}"#,
    ]

    @Test("the program's canonical text of details is byte for byte the database's")
    func canonicalTextAgrees() async throws {
        let database = try await TestPostgres.database()
        for sample in Self.samples {
            let swift = try #require(AuditDetailsJSON(text: sample), "\(sample)").canonicalText
            let postgres: String = try await database.withOwnerConnection {
                try $0.query("SELECT audit_canonical_json($1::jsonb) AS c", [sample]).first!.decode("c")
            }
            #expect(swift == postgres, "\(sample)")
        }
        try await database.close()
    }

    @Test("every entry is written with typed details, stored as a jsonb object, and the chain verifies")
    func typedDetails() async throws {
        let database = try await TestPostgres.database()
        let accounts = AccountStore(database: database)
        let created = try await accounts.createOrganization(name: "Typed", at: Date(timeIntervalSince1970: 1_795_000_000))
        _ = try await accounts.addUser(to: created.id, handle: "kari", role: .coordinator, at: Date(timeIntervalSince1970: 1_795_000_100))
        let rows = try await database.transaction(.scheduler) { db in
            try db.query(
                "SELECT action, jsonb_typeof(details) AS kind, details->>'role' AS role, legacy_details FROM audit_entries WHERE organization_id = $1 ORDER BY id",
                [created.id]
            ).map { (try $0.decode("action", as: String.self), try $0.decode("kind", as: String.self), try $0.decodeIfPresent("role", as: String.self),
                     try $0.decodeIfPresent("legacy_details", as: String.self)) }
        }
        #expect(rows.map(\.0) == ["organization.created", "user.created"])
        #expect(rows.allSatisfy { $0.1 == "object" && $0.3 == nil })
        #expect(rows.last?.2 == "coordinator")
        #expect(try await AuditChainStore(database: database).linkBacklog() == 2)
        let chain = try await database.transaction(.scheduler) { try AuditChain.entries(of: created.id, on: $0) }
        #expect(chain.map(\.details) == [#"{}"#, #"{"role":"coordinator"}"#])
        #expect(AuditChain.verify(chain).isEmpty)
        try await database.close()
    }

    @Test("details that are not a JSON object are refused by the database")
    func onlyObjects() async throws {
        let database = try await TestPostgres.database()
        let organization = try await AccountStore(database: database).createOrganization(name: "Objects", at: Date())
        for text in [#"[]"#, #""text""#, #"1"#, "not json"] {
            await #expect(throws: PostgresError.self, "\(text)") {
                try await database.transaction(.scheduler) { db in
                    try db.execute(
                        "INSERT INTO audit_entries (organization_id, occurred_at, actor_role, action, subject_type, details) VALUES ($1, now(), 'system', 'test.shape', 'organization', $2::jsonb)",
                        [organization.id, text])
                }
            }
        }
        try await database.close()
    }

    @Test("migration 0006 keeps a chain written before it verifying, old entries and new")
    func chainSurvivesMigration() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let organization = try await AuditMigrationHistory.writeBeforeMigration6(in: database)
        try await database.prepareSchema(now: Date())
        try await AuditMigrationHistory.appendAfterMigration6(in: database, organization: organization)
        #expect(try await AuditChainStore(database: database).linkBacklog() == 1, "the entry written after migration 0015 wait to be linked")

        let chain = try await database.transaction(.scheduler) { try AuditChain.entries(of: organization, on: $0) }
        #expect(chain.count == 4)
        #expect(AuditChain.verify(chain).isEmpty, "\(AuditChain.verify(chain))")
        // The lifecycle trigger's old text had spaces: it is kept as the hashed text; canonical ones are not kept twice.
        #expect(chain.map { $0.legacyDetails != nil } == [false, true, false, false])
        #expect(chain[1].details == #"{"from":null,"to":"dispatched"}"#)
        #expect(chain[3].details == #"{"role":"peer_mentor"}"#)
        try await database.close()
    }
}
