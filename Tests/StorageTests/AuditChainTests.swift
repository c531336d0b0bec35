import AssignmentCore
import Envelope
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

@Suite("Audit chain")
struct AuditChainTests {
    func entries(_ org: SeededOrganization, in database: Database) async throws -> [AuditChain.Entry] {
        try await database.transaction(.scheduler) { try AuditChain.entries(of: org.id, on: $0) }
    }

    func makeHistory(_ database: Database) async throws -> SeededOrganization {
        let org = try await StorageFixtures.seedOrganization(in: database)
        let first = try await StorageFixtures.dispatch(in: database, organization: org)
        try await StorageFixtures.dispatch(in: database, organization: org, at: StorageFixtures.start + 10)
        try await StorageFixtures.move(first, to: .delivered, in: database, organization: org, actor: .user(org.peerMentor), at: StorageFixtures.start + 20)
        try await StorageFixtures.move(first, to: .read, in: database, organization: org, actor: .user(org.peerMentor), at: StorageFixtures.start + 30)
        return org
    }

    @Test("the chain the database writes verifies outside it, entry by entry")
    func cleanChainVerifies() async throws {
        let database = try await TestPostgres.database()
        let org = try await makeHistory(database)
        let chain = try await entries(org, in: database)
        #expect(chain.map(\.sequence) == [1, 2, 3, 4])
        #expect(chain.first?.previousHash == Hex.encode(AuditChain.genesisHash))
        #expect(AuditChain.verify(chain).isEmpty)
        try await database.close()
    }

    @Test("UPDATE, DELETE and TRUNCATE are refused, even for the superuser")
    func appendOnly() async throws {
        let database = try await TestPostgres.database()
        _ = try await makeHistory(database)
        let superuser = try TestPostgres.superuserConnection(to: database)
        for sql in ["UPDATE audit_entries SET action = 'x.y'", "DELETE FROM audit_entries", "TRUNCATE audit_entries",
                    "UPDATE assignment_events SET to_status = 'completed'", "DELETE FROM assignment_events"] {
            #expect(throws: PostgresError.self, "\(sql)") { try superuser.execute(sql) }
        }
        do {
            try superuser.execute("DELETE FROM audit_entries")
        } catch let error as PostgresError {
            #expect(error.sqlState == PostgresError.appendOnly)
            #expect(error.message == "audit_entries is append-only: DELETE is not allowed")
        }
        try await database.close()
    }

    @Test("an entry changed, removed or inserted behind the triggers' back is found, with its position")
    func tamperingIsFound() async throws {
        let database = try await TestPostgres.database()
        let org = try await makeHistory(database)
        let superuser = try TestPostgres.superuserConnection(to: database)
        try superuser.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER")

        try superuser.execute("UPDATE audit_entries SET details = '{\"from\":null,\"to\":\"completed\"}' WHERE organization_id = $1 AND sequence = 2", [org.id])
        #expect(AuditChain.verify(try await entries(org, in: database)) == [.altered(sequence: 2)])

        try superuser.execute("DELETE FROM audit_entries WHERE organization_id = $1 AND sequence = 2", [org.id])
        let afterDelete = AuditChain.verify(try await entries(org, in: database))
        #expect(afterDelete.contains(.gap(expected: 2, found: 3)))
        #expect(afterDelete.contains(.unlinked(sequence: 3)))

        // A forged entry with a self-consistent hash still does not link to its neighbours.
        try superuser.execute(
            """
            INSERT INTO audit_entries (organization_id, sequence, occurred_at, actor_role, action, subject_type, details, previous_hash, entry_hash)
            VALUES ($1, 2, now(), 'org_admin', 'assignment.status_changed', 'assignment', '{}', decode(repeat('ab', 32), 'hex'),
                    audit_entry_hash(decode(repeat('ab', 32), 'hex'), $1, 2, now(), NULL, 'org_admin', 'assignment.status_changed', 'assignment', NULL, '{}'))
            """, [org.id])
        let afterInsert = AuditChain.verify(try await entries(org, in: database))
        #expect(afterInsert.contains(.unlinked(sequence: 2)))
        #expect(afterInsert.contains(.unlinked(sequence: 3)))
        try superuser.execute("ALTER TABLE audit_entries ENABLE TRIGGER USER")
        try await database.close()
    }

    @Test("concurrent writers of one organisation keep one unbroken chain")
    func concurrentWriters() async throws {
        let database = try await TestPostgres.database(maximumConnections: 8)
        let org = try await StorageFixtures.seedOrganization(in: database)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await database.transaction(.tenant(org.id, actor: .user(org.admin))) { db in
                        try db.execute(
                            "INSERT INTO audit_entries (organization_id, occurred_at, actor_id, actor_role, action, subject_type, details) VALUES ($1, $2, $3, 'org_admin', 'test.concurrent', 'user', $4)",
                            [org.id, StorageFixtures.start + Double(index), org.admin.userID, "{\"n\":\(index)}"])
                    }
                }
            }
            try await group.waitForAll()
        }
        let chain = try await entries(org, in: database)
        #expect(chain.map(\.sequence) == Array(1...40))
        #expect(AuditChain.verify(chain).isEmpty)
        try await database.close()
    }
}
