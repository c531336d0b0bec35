import AssignmentCore
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

@Suite("libpq layer")
struct PostgresConnectionTests {
    @Test("values round-trip through bound parameters exactly, hostile text included")
    func roundTrip() async throws {
        let database = try await TestPostgres.database()
        let hostile = "Robert'); DROP TABLE users; -- \u{0}"
        let text = "Ærlig talt: «blå» 🦮 \"quoted\" \\ back"
        let bytes: [UInt8] = [0, 1, 2, 0xff, 0x5c, 0x78, 0]
        let date = PostgresTimestamp.truncatedToMicroseconds(Date(timeIntervalSince1970: 1_795_000_000.123456))
        let id = UUID()
        let row = try await database.withConnection { db in
            try db.query(
                "SELECT $1::text AS text, $2::bytea AS bytes, $3::timestamptz AS date, $4::uuid AS id, $5::boolean AS flag, $6::int AS number, $7::text AS missing, $8::text AS hostile",
                [text, bytes, date, id, true, -42, String?.none, hostile.replacingOccurrences(of: "\u{0}", with: "")]
            ).first!
        }
        #expect(try row.decode("text", as: String.self) == text)
        #expect(try row.decode("bytes", as: [UInt8].self) == bytes)
        #expect(try row.decode("date", as: Date.self) == date)
        #expect(try row.decode("id", as: UUID.self) == id)
        #expect(try row.decode("flag", as: Bool.self))
        #expect(try row.decode("number", as: Int.self) == -42)
        #expect(try row.decodeIfPresent("missing", as: String.self) == nil)
        #expect(try row.decode("hostile", as: String.self) == "Robert'); DROP TABLE users; -- ")
        #expect(throws: PostgresError.self) { try row.decode("missing", as: String.self) }
        #expect(throws: PostgresError.self) { try row.decode("text", as: Int.self) }
        #expect(throws: PostgresError.self) { try row.decode("no_such_column", as: Int.self) }
        let tablesLeft = try await database.withOwnerConnection { try $0.query("SELECT count(*) AS n FROM users").first!.decode("n", as: Int.self) }
        #expect(tablesLeft == 0)
        try await database.close()
    }

    @Test("timestamps format and parse in every form PostgreSQL uses")
    func timestamps() throws {
        let date = Date(timeIntervalSince1970: 1_795_000_000.5)
        // 1_795_000_000.5 is 2026-11-18 11:06:40.5 UTC (checked with Python's datetime).
        #expect(PostgresTimestamp.format(date) == "2026-11-18T11:06:40.500000Z")
        #expect(PostgresTimestamp.parse("2026-11-18 11:06:40.5+00") == date)
        #expect(PostgresTimestamp.parse("2026-11-18T12:06:40.500000+01:00") == date)
        #expect(PostgresTimestamp.parse("1969-12-31 23:59:59+00") == Date(timeIntervalSince1970: -1))
        #expect(PostgresTimestamp.format(Date(timeIntervalSince1970: -0.25)) == "1969-12-31T23:59:59.750000Z")
        // More than six fractional digits (found by the contract test: it used to trap): the rest is cut off.
        #expect(PostgresTimestamp.parse("2026-11-18T11:06:40.500000999Z") == date)
        #expect(PostgresTimestamp.parse("2026-11-18T11:06:40.5000000000000000000Z") == date)
        for bad in ["", "2026-13-01 00:00:00+00", "yesterday", "2026-11-18 09:46:40+00 trailing"] {
            #expect(PostgresTimestamp.parse(bad) == nil, "\(bad)")
        }
    }

    @Test("errors carry the SQLSTATE and PostgreSQL's message, but never the row values of DETAIL")
    func errorsWithoutValues() async throws {
        let database = try await TestPostgres.database()
        let marker = "MARKER-\(UUID().uuidString)"
        let syntax = try await #require(throws: PostgresError.self) { try await database.withConnection { try $0.execute("SELEC 1") } }
        #expect(syntax.sqlState == "42601")
        #expect(syntax.kind == .statement)
        let violation = try await #require(throws: PostgresError.self) {
            try await database.withOwnerConnection { db in
                try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, now(), now() - interval '1 day')", [UUID(), marker])
            }
        }
        #expect(violation.sqlState == PostgresError.checkViolation)
        #expect(violation.constraint == "organizations_check")
        #expect(!violation.description.contains(marker))
        #expect(!violation.message.contains(marker))
        try await database.close()
    }

    @Test("a transaction that throws leaves nothing behind")
    func rollback() async throws {
        let database = try await TestPostgres.database()
        struct Abort: Error {}
        await #expect(throws: Abort.self) {
            try await database.transaction(.scheduler) { db in
                try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, 'half', now(), now())", [UUID()])
                throw Abort()
            }
        }
        let count = try await database.withOwnerConnection { try $0.query("SELECT count(*) AS n FROM organizations").first!.decode("n", as: Int.self) }
        #expect(count == 0)
        try await database.close()
    }

    @Test("the pool never opens more than its limit, and runs the blocking calls on its thread pool")
    func boundedPool() async throws {
        let database = try await TestPostgres.database(maximumConnections: 3)
        let observations = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for _ in 0..<24 {
                group.addTask {
                    try await database.withConnection { db in
                        let open = try db.query(
                            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'"
                        ).first!.decode("n", as: Int.self)
                        try db.execute("SELECT pg_sleep(0.01)")
                        return (open, Thread.current.name ?? "")
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(observations.count == 24)
        #expect(observations.allSatisfy { $0.0 <= 3 }, "at most 3 sessions: \(observations.map(\.0))")
        #expect(observations.allSatisfy { $0.1.hasPrefix("TP-") }, "libpq calls ran on \(Set(observations.map(\.1)))")
        #expect(database.pool.connectionCount <= 3)
        try await database.close()
    }

    @Test("waiting for a connection has a deadline, and a cancelled waiter stops waiting")
    func waitingIsBounded() async throws {
        /// A pool of one connection, held by a borrower until `release` is signalled.
        func heldPool(wait: Duration) async throws -> (Database, DispatchSemaphore, Task<Void, any Error>) {
            var configuration = try await TestPostgres.databaseConfiguration(maximumConnections: 1)
            configuration.connectionWait = wait
            let database = try await Database.open(configuration, logger: TestPostgres.logger)
            let release = DispatchSemaphore(value: 0)
            let held = DispatchSemaphore(value: 0)
            // The borrower's body runs on the pool's own thread, where blocking is what it is for.
            let holder = Task { try await database.withConnection { _ in held.signal(); release.wait() } }
            while held.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(10)) }
            return (database, release, holder)
        }

        let (bounded, releaseBounded, holdingBounded) = try await heldPool(wait: .milliseconds(300))
        let started = ContinuousClock.now
        do {
            try await bounded.withConnection { _ in }
            Issue.record("a borrower got a connection that was lent")
        } catch let error as PostgresError {
            #expect(error.kind == .connection && error.message.contains("no database connection became free"), "\(error)")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(300), "it waited the deadline first")
        releaseBounded.signal()
        try await holdingBounded.value
        #expect(try await bounded.withConnection { try $0.query("SELECT 1 AS n").first!.decode("n", as: Int.self) } == 1, "the pool is whole afterwards")
        try await bounded.close()

        let (patient, releasePatient, holdingPatient) = try await heldPool(wait: .seconds(600))
        let waiter = Task { try await patient.withConnection { _ in } }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        releasePatient.signal()
        try await holdingPatient.value
        #expect(try await patient.withConnection { try $0.query("SELECT 1 AS n").first!.decode("n", as: Int.self) } == 1)
        try await patient.close()
    }

    @Test("every transaction has a statement timeout and a lock timeout")
    func transactionTimeouts() async throws {
        var configuration = try await TestPostgres.databaseConfiguration(maximumConnections: 2)
        configuration.statementTimeout = .milliseconds(200)
        configuration.lockTimeout = .milliseconds(100)
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let organization = OrganizationID(UUID())
        do {
            try await database.transaction(.scheduler) { try $0.execute("SELECT pg_sleep(3)") }
            Issue.record("a statement ran past the timeout")
        } catch let error as PostgresError {
            #expect(error.sqlState == "57014", "\(error)")
        }
        try await database.transaction(.scheduler) { db in
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, 'Locks', now(), now())", [organization])
        }
        // One transaction holds the row; another that wants it gives up after the lock timeout.
        let (locked, lockTaken) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await database.withOwnerConnection { db in
                    try db.transaction { db in
                        try db.execute("SELECT id FROM organizations WHERE id = $1 FOR UPDATE", [organization])
                        lockTaken.yield()
                        // Long enough that the other transaction meets the lock on a busy machine too.
                        try db.execute("SELECT pg_sleep(4)")
                    }
                }
            }
            for await _ in locked { break }
            do {
                try await database.transaction(.scheduler) { db in
                    try db.execute("UPDATE organizations SET name = 'Locked' WHERE id = $1", [organization])
                }
                Issue.record("the update waited for the lock instead of giving up")
            } catch let error as PostgresError {
                #expect(error.sqlState == "55P03", "\(error)")
            }
            try await group.waitForAll()
        }
        try await database.close()
    }

    @Test("a connection that breaks is replaced, and the pool goes on working")
    func brokenConnection() async throws {
        let database = try await TestPostgres.database(maximumConnections: 1)
        await #expect(throws: PostgresError.self) {
            try await database.withConnection { try $0.execute("SELECT pg_terminate_backend(pg_backend_pid())") }
        }
        let value = try await database.withConnection { try $0.query("SELECT 41 + 1 AS n").first!.decode("n", as: Int.self) }
        #expect(value == 42)
        try await database.close()
        await #expect(throws: PostgresError.self) { try await database.withConnection { _ in } }
    }

    @Test("a server that cannot be reached is a clear error, with no password in it")
    func unreachable() async throws {
        let configuration = DatabaseConfiguration(
            location: .external(connectionString: "postgresql://dispatch:s3cret-pw@127.0.0.1:1/dispatch?connect_timeout=2"), scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: NSTemporaryDirectory() + "dispatch-keyring-\(UUID().uuidString).keyring")
        #expect(!configuration.description.contains("s3cret"))
        #expect(configuration.description.contains("***"))
        #expect(DatabaseConfiguration.redacted("host=x password='a b' user=y") == "host=x password=*** user=y")
        let error = try await #require(throws: PostgresError.self) { try await Database.open(configuration, logger: TestPostgres.logger) }
        #expect(error.kind == .connection)
        #expect(error.description.contains("could not connect"))
        #expect(!error.description.contains("s3cret"))
    }
}
