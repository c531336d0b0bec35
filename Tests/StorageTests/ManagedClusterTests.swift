import DatabaseTestSupport
import Foundation
import Logging
import Postgres
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The embedded default on clusters of their own (each test pays for an initdb).
@Suite("Embedded PostgreSQL")
struct ManagedClusterTests {
    func folder() -> String { "/tmp/dispatch-cluster-\(UUID().uuidString.prefix(8))" }

    /// A cluster in a scratch folder of its own, stopped and deleted after `body`.
    func withScratchCluster(_ body: (ManagedCluster) throws -> Void) throws {
        let path = folder()
        defer {
            if let cluster = try? ManagedCluster(dataDirectory: path, logger: TestPostgres.logger) { _ = try? cluster.stop() }
            try? FileManager.default.removeItem(atPath: path)
        }
        try body(try ManagedCluster(dataDirectory: path, logger: TestPostgres.logger))
    }

    @Test("open creates, starts and migrates nothing, logs in as the application role; close stops what it started")
    func openAndClose() async throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = DatabaseConfiguration(location: .embedded(dataDirectory: path, binDirectory: nil), scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: path + "/erasure.keyring", maximumConnections: 2)
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let cluster = try #require(database.embedded?.cluster)
        #expect(database.embedded?.lease == .owned)
        guard case .running = cluster.state() else { Issue.record("not running after open"); return }
        // The application logs in as its own role; the owner's connection is the owner role's.
        let logins = try await database.withConnection { try $0.query("SELECT current_user AS name, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser").first! }
        #expect(try logins.decode("name", as: String.self) == DatabaseRoles.application)
        #expect(try !logins.decode("superuser", as: Bool.self))
        #expect(try await database.withOwnerConnection { try $0.query("SELECT current_user AS name").first!.decode("name", as: String.self) } == DatabaseRoles.owner)
        // A second handle in the same process shares it and does not stop it.
        let second = try await Database.open(configuration, logger: TestPostgres.logger)
        #expect(second.embedded?.lease == .shared)
        try await second.close()
        guard case .running = cluster.state() else { Issue.record("stopped by a sharing handle"); return }
        try await database.close()
        #expect(cluster.state() == .stopped)
        // Listening on its socket only: no TCP port.
        let conf = try String(contentsOfFile: cluster.logFile, encoding: .utf8)
        #expect(conf.contains("listening on Unix socket"))
        #expect(!conf.contains("listening on IPv4"))
    }

    @Test("a server killed with SIGKILL leaves a stale pid file that the next start recovers from")
    func staleProcessRecovery() async throws {
        try withScratchCluster { cluster in
            #expect(try cluster.acquire() == .owned)
            guard case .running(let pid) = cluster.state() else { Issue.record("not running"); return }
            #expect(kill(pid, SIGKILL) == 0)
            var waited = 0
            while kill(pid, 0) == 0, waited < 100 {
                usleep(50_000)
                waited += 1
            }
            #expect(FileManager.default.fileExists(atPath: cluster.clusterDirectory + "/postmaster.pid"), "the crash leaves its pid file")
            #expect(cluster.state() == .stopped)
            #expect(try cluster.acquire() == .owned)
            let connection = try PostgresConnection(connectionString: cluster.connectionString())
            #expect(try connection.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
            try cluster.release(.owned)
            #expect(cluster.state() == .stopped)
        }
    }

    @Test("a cluster made before the owner role existed (everything owned by the superuser) is handed to dispatch_owner at the next start")
    func olderClusterIsHandedToTheOwner() throws {
        try withScratchCluster { cluster in
            _ = try cluster.acquire()
            do {
                let superuser = try PostgresConnection(connectionString: cluster.connectionString())
                try superuser.execute("ALTER DATABASE \(ManagedCluster.databaseName) OWNER TO \(ManagedCluster.superuser)")
                try superuser.execute("CREATE TABLE old_table (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY)")
                try superuser.execute("CREATE FUNCTION old_function() RETURNS integer LANGUAGE sql AS 'SELECT 1'")
            }
            try cluster.release(.owned)
            _ = try cluster.acquire()
            let owners = try PostgresConnection(connectionString: cluster.connectionString()).query(
                """
                SELECT (SELECT datdba::regrole::text FROM pg_database WHERE datname = current_database()) AS database,
                       (SELECT relowner::regrole::text FROM pg_class WHERE relname = 'old_table') AS table_owner,
                       (SELECT proowner::regrole::text FROM pg_proc WHERE proname = 'old_function') AS function_owner
                """
            ).first!
            #expect(try owners.decode("database", as: String.self) == DatabaseRoles.owner)
            #expect(try owners.decode("table_owner", as: String.self) == DatabaseRoles.owner)
            #expect(try owners.decode("function_owner", as: String.self) == DatabaseRoles.owner)
            try cluster.release(.owned)
        }
    }

    @Test("a pid file naming some other live process is treated as stale")
    func reusedProcessNumber() throws {
        try withScratchCluster { cluster in
            _ = try cluster.acquire()
            try cluster.release(.owned)
            // This test process is alive but is not PostgreSQL.
            let fake = "\(getpid())\n\(cluster.clusterDirectory)\n"
            try fake.write(toFile: cluster.clusterDirectory + "/postmaster.pid", atomically: true, encoding: .utf8)
            #expect(cluster.state() == .stopped)
            #expect(try cluster.acquire() == .owned)
            try cluster.release(.owned)
        }
    }

    @Test("a detached server keeps running until stopped, and others only share it")
    func detached() throws {
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cluster = try ManagedCluster(dataDirectory: path, logger: TestPostgres.logger)
        #expect(try cluster.acquire(detached: true) == .detached)
        #expect(try cluster.acquire() == .shared)
        try cluster.release(.shared)
        guard case .running = cluster.state() else { Issue.record("a sharer stopped it"); return }
        #expect(try cluster.stop())
        #expect(try !cluster.stop())
    }

    @Test("a server made detached while another process owned it outlives that owner")
    func detachedTakeover() throws {
        try withScratchCluster { cluster in
            #expect(try cluster.acquire() == .owned)
            #expect(try cluster.acquire(detached: true) == .detached)
            try cluster.release(.owned)
            guard case .running = cluster.state() else {
                Issue.record("the first owner stopped a server that had been made detached")
                return
            }
            #expect(try cluster.stop())
        }
    }

    @Test("unusable data folders are refused with a message that says what to do")
    func unusableFolders() throws {
        #expect(throws: ManagedClusterError.self) { try ManagedCluster(dataDirectory: "/tmp/it's-mine", logger: TestPostgres.logger) }
        let long = "/tmp/" + String(repeating: "d", count: 120)
        #expect(throws: ManagedClusterError.socketPathTooLong(path: long)) { try ManagedCluster(dataDirectory: long, logger: TestPostgres.logger) }
        #expect(ManagedClusterError.socketPathTooLong(path: long).description.contains("DISPATCH_DATA_DIR"))
        if geteuid() == 0 {
            // Root runs the server as 'postgres', which cannot enter /root.
            let hidden = "/root/dispatch-test-\(UUID().uuidString.prefix(6))"
            defer { try? FileManager.default.removeItem(atPath: hidden) }
            let cluster = try ManagedCluster(dataDirectory: hidden, logger: TestPostgres.logger)
            #expect { try cluster.acquire() } throws: { error in
                guard case .unusableDataDirectory(_, let reason) = error as? ManagedClusterError else { return false }
                return reason.contains("cannot reach it")
            }
        }
    }
}
