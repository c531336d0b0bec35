import Envelope
import Foundation
import Logging
import Postgres
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// The throwaway PostgreSQL of one test process, started with the same code as the embedded
/// default (``ManagedCluster``) in a fresh temporary folder, and stopped and deleted when the
/// process exits. Each test gets its own database, copied from a migrated template, so tests run
/// in parallel without seeing each other's rows. Like the embedded default, the application logs
/// in as `dispatch_app` and `dispatch_owner` owns and migrates the schema.
public enum TestPostgres {
    public static let logger = Logger(label: "tests") { _ in SwiftLogNoOpLogHandler() }

    /// Started once, on first use (a `static let` initialises exactly once, even under concurrency).
    public static let cluster: ManagedCluster = {
        let folder = "/tmp/dispatch-tests-\(getpid())-\(UUID().uuidString.prefix(8))"
        do {
            let cluster = try ManagedCluster(dataDirectory: folder, logger: logger)
            var lease = try cluster.acquire()
            // Every test opens pools of its own on this one cluster, and hundreds run in parallel:
            // more connections than PostgreSQL's default 100, which takes a restart to change.
            let superuser = try PostgresConnection(connectionString: cluster.connectionString())
            try superuser.execute("ALTER SYSTEM SET max_connections = 400")
            superuser.close()
            try cluster.release(lease)
            lease = try cluster.acquire()
            _ = lease
            let connection = try PostgresConnection(connectionString: cluster.connectionString())
            try connection.execute("CREATE DATABASE migrated_template OWNER \(DatabaseRoles.owner)")
            let template = try PostgresConnection(connectionString: cluster.ownerConnectionString(database: "migrated_template"))
            try Migrator.schema.migrate(on: template, now: Date())
            try Database.installScopeProofKeys(scopeProofKeys, on: template)
            dataFolderToRemove = folder
            atexit {
                guard let folder = TestPostgres.dataFolderToRemove else { return }
                // pg_ctl by hand: the Swift runtime is shutting down, so keep this minimal.
                let runAs = geteuid() == 0 ? "runuser -u postgres -- " : ""
                let bin = (try? TestPostgres.binDirectory()) ?? "/usr/lib/postgresql/15/bin"
                _ = system("\(runAs)\(bin)/pg_ctl -D '\(folder)/pgdata' -m immediate stop >/dev/null 2>&1; rm -rf '\(folder)'")
            }
            return cluster
        } catch {
            fatalError("The test PostgreSQL could not be started: \(error)")
        }
    }()

    nonisolated(unsafe) static var dataFolderToRemove: String?

    /// The server key of this test process; the template holds its scope-proof keys.
    public static let serverKey: ServerKey = {
        do { return try ServerKey.generate() } catch { fatalError("no server key for the tests: \(error)") }
    }()
    public static var scopeProofKeys: [ScopeProofKey] {
        do { return try serverKey.scopeProofKeys() } catch { fatalError("no scope-proof keys for the tests: \(error)") }
    }

    /// A keyring of its own for each test database, so that one test's key sweep never destroys
    /// another's erasure keys.
    public static func keyringPath(of name: String) -> String {
        cluster.dataDirectory + "/keyrings/\(name).keyring"
    }

    /// A database's location as the application sees it: `dispatch_app`, with `dispatch_owner` as owner.
    static func location(of name: String) -> DatabaseConfiguration.Location {
        .external(connectionString: cluster.applicationConnectionString(database: name), ownerConnectionString: cluster.ownerConnectionString(database: name))
    }

    public static func binDirectory() throws -> String { cluster.binDirectory }

    /// The configuration of database `name` on the shared cluster. Waiting for a pooled connection
    /// may take a minute here, not the service's 10 seconds: the whole suite runs at once on a few
    /// cores (a server killed under load, two servers, benchmarks), and a test that is only slow
    /// must not fail for it. The deadline itself is tested with its own short wait.
    static func configuration(of name: String, maximumConnections: Int) -> DatabaseConfiguration {
        var configuration = DatabaseConfiguration(
            location: location(of: name), scopeProofKeys: .keys(scopeProofKeys), erasureKeyringPath: keyringPath(of: name), maximumConnections: maximumConnections)
        configuration.connectionWait = .seconds(60)
        return configuration
    }

    private static let creation = DatabaseCreation()

    /// The configuration of a new, migrated database of its own, for code that opens it itself
    /// (the server's `buildApplication`).
    public static func databaseConfiguration(maximumConnections: Int = 4) async throws -> DatabaseConfiguration {
        let name = try await creation.createDatabase(from: "migrated_template")
        return configuration(of: name, maximumConnections: maximumConnections)
    }

    /// A new, migrated database of its own, opened with a small pool.
    public static func database(maximumConnections: Int = 4) async throws -> Database {
        let name = try await creation.createDatabase(from: "migrated_template")
        return try await Database.open(configuration(of: name, maximumConnections: maximumConnections), logger: logger)
    }

    /// A new, empty database (nothing migrated), for the migration tests.
    public static func emptyDatabase() async throws -> Database {
        let name = try await creation.createDatabase(from: "template0")
        return try await Database.open(configuration(of: name, maximumConnections: 2), logger: logger)
    }

    /// A connection as the cluster's superuser to a database, for tests that play a hostile
    /// administrator (disabling triggers to tamper with the audit table).
    public static func superuserConnection(to database: Database) throws -> PostgresConnection {
        guard case .external(_, let owner?) = database.configuration.location else { fatalError("test databases are external, with an owner") }
        return try PostgresConnection(
            connectionString: owner.replacingOccurrences(of: "user='\(DatabaseRoles.owner)'", with: "user='\(ManagedCluster.superuser)'"))
    }
}

/// CREATE DATABASE … TEMPLATE refuses to copy a template that another session is copying at the
/// same moment, so creations take turns.
actor DatabaseCreation {
    func createDatabase(from template: String) throws -> String {
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let connection = try PostgresConnection(connectionString: TestPostgres.cluster.connectionString(database: "postgres"))
        try connection.execute("CREATE DATABASE \(name) TEMPLATE \(template) OWNER \(DatabaseRoles.owner)")
        return name
    }
}
