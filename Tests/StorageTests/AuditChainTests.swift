import AssignmentCore
import Envelope
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

@Suite("Audit chain")
struct AuditChainTests {
    /// The organisation's chain, after a link pass (as the chainer of a running server would make).
    func entries(_ org: SeededOrganization, in database: Database) async throws -> [AuditChain.Entry] {
        _ = try await AuditChainStore(database: database).linkBacklog()
        return try await database.transaction(.scheduler) { try AuditChain.entries(of: org.id, on: $0) }
    }

    func insertEntry(_ org: SeededOrganization, number: Int, on db: PostgresConnection) throws {
        try db.execute(
            "INSERT INTO audit_entries (organization_id, occurred_at, actor_id, actor_role, action, subject_type, details) VALUES ($1, $2, $3, 'org_admin', 'test.concurrent', 'user', $4)",
            [org.id, StorageFixtures.start + Double(number), org.admin.userID, "{\"n\":\(number)}"])
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
        #expect(try await entries(org, in: database).count == 4)
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

    @Test("concurrent writers and concurrent link passes of one organisation keep one unbroken chain")
    func concurrentWriters() async throws {
        let database = try await TestPostgres.database(maximumConnections: 8)
        let org = try await StorageFixtures.seedOrganization(in: database)
        let chainer = AuditChainStore(database: database)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await database.transaction(.tenant(org.id, actor: .user(org.admin))) { try insertEntry(org, number: index, on: $0) }
                    if index % 5 == 0 { _ = try await chainer.linkPending(batchSize: 3) }
                }
            }
            try await group.waitForAll()
        }
        let chain = try await entries(org, in: database)
        #expect(chain.map(\.sequence) == Array(1...40))
        #expect(Set(chain.map(\.details)).count == 40, "every entry is in the chain once")
        #expect(AuditChain.verify(chain).isEmpty)
        try await database.close()
    }

    @Test("a writer does not wait for another writer of its organisation; the chain takes entries in the order they commit")
    func writersDoNotQueue() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let open = try TestPostgres.superuserConnection(to: database)
        try open.execute("BEGIN")
        try insertEntry(org, number: 1, on: open)
        // Before migration 0015 this second writer waited for the first one's advisory lock until
        // it committed: here it would run into the lock timeout.
        try await database.transaction(.tenant(org.id, actor: .user(org.admin))) { db in
            try db.execute("SET LOCAL lock_timeout = '2s'")
            try insertEntry(org, number: 2, on: db)
        }
        #expect(try await AuditChainStore(database: database).linkBacklog() == 1, "only the committed entry is linked")
        try open.execute("COMMIT")
        let chain = try await entries(org, in: database)
        #expect(chain.map(\.details) == [#"{"n":2}"#, #"{"n":1}"#])
        #expect(chain.map(\.sequence) == [1, 2])
        #expect(AuditChain.verify(chain).isEmpty)
        #expect(try await AuditChainStore(database: database).backlog(of: org.id) == AuditLinkBacklog(unlinked: 0, oldestOccurredAt: nil))
        try await database.close()
    }

    @Test("an entry arrives unlinked whatever its writer says, and linking is the only change the database lets happen to it")
    func linkingIsTheOnlyUpdate() async throws {
        let database = try await TestPostgres.database()
        let org = try await makeHistory(database)
        let linked = try await entries(org, in: database)
        let superuser = try TestPostgres.superuserConnection(to: database)
        try superuser.execute(
            """
            INSERT INTO audit_entries (organization_id, sequence, occurred_at, actor_role, action, subject_type, details, previous_hash, entry_hash)
            VALUES ($1, 5, now(), 'org_admin', 'test.forged', 'user', '{}', decode(repeat('ab', 32), 'hex'), decode(repeat('cd', 32), 'hex'))
            """, [org.id])
        let backlog = try await AuditChainStore(database: database).backlog(of: org.id)
        #expect(backlog.unlinked == 1, "the writer's sequence and hashes are dropped")
        let last = try #require(linked.last)
        let pending = "organization_id = '\(org.id)' AND sequence IS NULL"
        for (sql, why) in [
            ("UPDATE audit_entries SET action = 'x.y' WHERE organization_id = '\(org.id)' AND sequence = 1", "a linked entry never changes"),
            ("UPDATE audit_entries SET sequence = 9 WHERE organization_id = '\(org.id)' AND sequence = 1", "a linked entry is never relinked"),
            ("UPDATE audit_entries SET sequence = 7, previous_hash = decode('\(last.entryHash)', 'hex') WHERE \(pending)", "no gap in the sequence"),
            ("UPDATE audit_entries SET sequence = 5, previous_hash = decode(repeat('00', 32), 'hex') WHERE \(pending)", "no link to anything but the last entry"),
            ("UPDATE audit_entries SET sequence = 5, previous_hash = decode('\(last.entryHash)', 'hex'), action = 'x.y' WHERE \(pending)", "no change while linking"),
        ] {
            #expect(throws: PostgresError.self, "\(why)") { try superuser.execute(sql) }
        }
        // A link at the end with a hash of the linker's choosing: the database computes the hash itself.
        try superuser.execute(
            "UPDATE audit_entries SET sequence = 5, previous_hash = decode('\(last.entryHash)', 'hex'), entry_hash = decode(repeat('ef', 32), 'hex') WHERE \(pending)")
        let chain = try await entries(org, in: database)
        #expect(chain.count == 5)
        #expect(chain.last?.action == "test.forged")
        #expect(chain.last?.entryHash != String(repeating: "ef", count: 32))
        #expect(AuditChain.verify(chain).isEmpty)
        try await database.close()
    }

    @Test("a link pass skips an organisation another pass is linking instead of waiting for it")
    func passesDoNotWait() async throws {
        let database = try await TestPostgres.database()
        let org = try await makeHistory(database)
        let other = try TestPostgres.superuserConnection(to: database)
        try other.execute("BEGIN")
        try other.execute("SELECT pg_advisory_xact_lock(hashtextextended('dispatch.audit:' || $1::text, 0))", [org.id])
        let chainer = AuditChainStore(database: database)
        #expect(try await chainer.linkPending() == 0)
        #expect(try await chainer.backlog(of: org.id).unlinked == 4)
        try other.execute("COMMIT")
        #expect(try await chainer.linkPending() == 4)
        try await database.close()
    }
}
