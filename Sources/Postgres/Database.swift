import AssignmentCore
import Envelope
import Logging
import NIOPosix

/// The application's handle on PostgreSQL: the connection pool, the thread pool its blocking calls
/// run on, and (on the embedded default) the managed cluster and this process's lease on it.
///
/// Open with ``open(_:logger:)``, close with ``close()``. All SQL of the project runs through the
/// Storage layer, inside ``transaction(_:_:)`` or ``withConnection(_:)``.
public final class Database: Sendable {
    public let configuration: DatabaseConfiguration
    public let pool: PostgresConnectionPool
    /// The managed cluster and how this process holds it; `nil` with `DATABASE_URL`.
    public let embedded: (cluster: ManagedCluster, lease: ManagedCluster.Lease)?
    /// How to reach the database as the schema's owner, for migrations and maintenance only; the
    /// pool logs in as the application role.
    private let ownerConnectionString: String
    /// How the pool logs in, for a listener's connection of its own (``listen(to:)``).
    private let applicationConnectionString: String
    /// This process's scope-proof keys, oldest first; the last proves its transactions.
    public let scopeProofKeys: [ScopeProofKey]
    /// The erasure keys that wrap every stored sealed key; they never enter the database.
    public let erasureKeyring: ErasureKeyring
    private let threadPool: NIOThreadPool
    private let logger: Logger

    private init(
        configuration: DatabaseConfiguration, pool: PostgresConnectionPool, connectionString: String, ownerConnectionString: String,
        scopeProofKeys: [ScopeProofKey], erasureKeyring: ErasureKeyring, embedded: (ManagedCluster, ManagedCluster.Lease)?, threadPool: NIOThreadPool,
        logger: Logger
    ) {
        self.configuration = configuration
        self.applicationConnectionString = connectionString
        self.scopeProofKeys = scopeProofKeys
        self.erasureKeyring = erasureKeyring
        self.ownerConnectionString = ownerConnectionString
        self.pool = pool
        self.embedded = embedded.map { (cluster: $0.0, lease: $0.1) }
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Starts the embedded cluster when there is no external server (creating it on first use),
    /// and checks that a connection can be made. Nothing is migrated here: see ``Migrator``.
    public static func open(_ configuration: DatabaseConfiguration, logger: Logger) async throws -> Database {
        let threadPool = NIOThreadPool(numberOfThreads: configuration.maximumConnections)
        threadPool.start()
        do {
            let connectionString: String
            let ownerConnectionString: String
            var embedded: (ManagedCluster, ManagedCluster.Lease)?
            switch configuration.location {
            case .external(let application, let owner):
                connectionString = application
                ownerConnectionString = owner ?? application
            case .embedded(let dataDirectory, let binDirectory):
                let cluster = try ManagedCluster(dataDirectory: dataDirectory, binDirectory: binDirectory, logger: logger)
                let lease = try await threadPool.runIfActive { try cluster.acquire() }
                embedded = (cluster, lease)
                connectionString = cluster.applicationConnectionString()
                ownerConnectionString = cluster.ownerConnectionString()
            }
            let pool = PostgresConnectionPool(
                connectionString: connectionString, maximumConnections: configuration.maximumConnections, threadPool: threadPool,
                waitLimit: .nanoseconds(Int64(configuration.connectionWait.components.seconds) * 1_000_000_000 + configuration.connectionWait.components.attoseconds / 1_000_000_000))
            // The keys are read only once the database answers: a command that cannot reach it
            // leaves no server key or keyring behind.
            let scopeProofKeys: [ScopeProofKey]
            let erasureKeyring: ErasureKeyring
            do {
                try await pool.withConnection { _ in }
                scopeProofKeys = try configuration.scopeProofKeys.resolve()
                erasureKeyring = try ErasureKeyring(path: configuration.erasureKeyringPath)
            } catch {
                pool.close()
                if let (cluster, lease) = embedded { try? await threadPool.runIfActive { try cluster.release(lease) } }
                throw error
            }
            let database = Database(
                configuration: configuration, pool: pool, connectionString: connectionString, ownerConnectionString: ownerConnectionString,
                scopeProofKeys: scopeProofKeys,
                erasureKeyring: erasureKeyring, embedded: embedded, threadPool: threadPool, logger: logger)
            return database
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
    }

    /// Opens the database, runs `body` with it, and closes it again, also when `body` throws: what
    /// a one-shot command does (stopping the embedded cluster if it started it).
    public static func using<Result>(
        _ configuration: DatabaseConfiguration, logger: Logger, _ body: (Database) async throws -> Result
    ) async throws -> Result {
        let database = try await open(configuration, logger: logger)
        let result: Result
        do {
            result = try await body(database)
        } catch {
            try? await database.close()
            throw error
        }
        try await database.close()
        return result
    }

    /// Closes the connections and stops the embedded cluster if this process started it.
    public func close() async throws {
        pool.close()
        if let embedded {
            let cluster = embedded.cluster
            let lease = embedded.lease
            try await threadPool.runIfActive { try cluster.release(lease) }
        }
        try await threadPool.shutdownGracefully()
    }

    /// Starts the embedded cluster again when it is not running (it was killed, or crashed): what
    /// `serve` checks every few seconds. Returns whether it had to; `false` with `DATABASE_URL`.
    /// The pool notices broken connections by itself and replaces them.
    public func restartEmbeddedIfStopped() async throws -> Bool {
        guard let cluster = embedded?.cluster else { return false }
        return try await threadPool.runIfActive {
            if case .running = cluster.state() { return false }
            _ = try cluster.acquire()
            return true
        }
    }

    /// Borrows one of the application's connections outside any transaction (a health check).
    /// Row-level security hides every organisation's rows here.
    public func withConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> Result) async throws -> Result {
        try await pool.withConnection(body)
    }

    /// A connection of its own as the schema's owner, closed after `body`: for migrations,
    /// installing the scope-proof keys, `VACUUM` and the operator's status counts, never for a
    /// request. With `DATABASE_URL` and no `DATABASE_OWNER_URL` it is the application's login.
    public func withOwnerConnection<Result: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> Result) async throws -> Result {
        let connectionString = ownerConnectionString
        return try await threadPool.runIfActive {
            let connection = try PostgresConnection(connectionString: connectionString)
            return try body(connection)
        }
    }

    /// A connection of its own, outside the pool, that listens on `channel` (LISTEN/NOTIFY):
    /// notifications arrive when the transactions that sent them commit, from any process on the
    /// database. Polled with ``PostgresListener/poll()``; closed by the caller.
    public func listen(to channel: String) async throws -> PostgresListener {
        let connectionString = applicationConnectionString
        let connection = try await threadPool.runIfActive {
            let connection = try PostgresConnection(connectionString: connectionString)
            try connection.listen(channel)
            return connection
        }
        return PostgresListener(connection: connection, threadPool: threadPool)
    }

    /// Runs `body` in one transaction in the given scope, proven with the newest scope-proof key:
    /// everything it does commits together or not at all. See ``TransactionScope`` for what each
    /// scope may see. Every statement in it is bounded by the configuration's statement and lock
    /// timeouts.
    public func transaction<Result: Sendable>(
        _ scope: TransactionScope,
        _ body: @escaping @Sendable (PostgresConnection) throws -> Result
    ) async throws -> Result {
        let limits = configuration
        let key = scopeProofKeys.last
        return try await pool.withConnection { connection in
            try connection.transaction { connection in
                try scope.apply(to: connection, limits: limits, proofKey: key)
                return try body(connection)
            }
        }
    }
}
