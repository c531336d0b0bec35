import NIOPosix

/// A bounded pool of libpq connections whose blocking calls run on a thread pool, never on an
/// event loop or the cooperative executor.
///
/// At most `maximumConnections` connections exist; a borrower beyond that waits its turn. A
/// connection that broke, or that comes back with a transaction still open, is closed instead of
/// returned, so the next borrower always gets a clean session.
public actor PostgresConnectionPool {
    public nonisolated let maximumConnections: Int
    private let connectionString: String
    private let threadPool: NIOThreadPool
    private var idle: [PostgresConnection] = []
    private var openCount = 0
    /// Waiting borrowers. Resumed with a connection, or with `nil` meaning "open a new one".
    private var waiters: [CheckedContinuation<PostgresConnection?, any Error>] = []
    private var isClosed = false

    public init(connectionString: String, maximumConnections: Int, threadPool: NIOThreadPool) {
        precondition(maximumConnections >= 1, "a pool needs at least one connection")
        self.connectionString = connectionString
        self.maximumConnections = maximumConnections
        self.threadPool = threadPool
    }

    /// Borrows a connection, runs `body` with it on the thread pool, and returns it.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> Result
    ) async throws -> Result {
        let connection = try await acquire()
        do {
            let result = try await threadPool.runIfActive { try body(connection) }
            release(connection)
            return result
        } catch {
            release(connection)
            throw error
        }
    }

    /// Closes every idle connection and refuses new borrowers; waiting ones get an error.
    public func close() {
        isClosed = true
        idle.removeAll()
        openCount = 0
        let pending = waiters
        waiters.removeAll()
        for waiter in pending { waiter.resume(throwing: Self.closedError) }
    }

    /// How many connections are open (idle or lent), for the status report and tests.
    public var connectionCount: Int { openCount }

    private static let closedError = PostgresError(kind: .connection, message: "the database connection pool is closed")

    private func acquire() async throws -> PostgresConnection {
        guard !isClosed else { throw Self.closedError }
        if let connection = idle.popLast() { return connection }
        if openCount < maximumConnections {
            return try await openConnection()
        }
        let handedOver = try await withCheckedThrowingContinuation { waiters.append($0) }
        if let handedOver { return handedOver }
        return try await openConnection()
    }

    private func openConnection() async throws -> PostgresConnection {
        openCount += 1
        do {
            let connectionString = self.connectionString
            return try await threadPool.runIfActive { try PostgresConnection(connectionString: connectionString) }
        } catch {
            openCount -= 1
            // The slot is free again: let a waiter try.
            if !waiters.isEmpty { waiters.removeFirst().resume(returning: nil) }
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        guard !isClosed, connection.isHealthy, connection.isIdle else {
            if !isClosed { openCount -= 1 }
            if !waiters.isEmpty { waiters.removeFirst().resume(returning: nil) }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }
}
