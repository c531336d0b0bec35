import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bounded pool of libpq connections whose blocking calls run on a thread pool, never on an
/// event loop or the cooperative executor.
///
/// At most `maximumConnections` connections exist; a borrower beyond that waits its turn, for at
/// most `waitLimit` (then ``PostgresError/Kind/connection`` "no database connection became free"),
/// and stops waiting at once when its task is cancelled. A connection that broke, or that comes
/// back with a transaction still open, is closed instead of returned, so the next borrower always
/// gets a clean session; closing (`PQfinish`) happens on the thread pool too, never under the
/// pool's lock or on an event loop.
public final class PostgresConnectionPool: Sendable {
    public let maximumConnections: Int
    /// How long a borrower waits for a connection when all are lent.
    public let waitLimit: TimeAmount
    private let connectionString: String
    private let threadPool: NIOThreadPool
    private let state = NIOLockedValueBox(State())

    private struct State {
        var idle: [PostgresConnection] = []
        var openCount = 0
        /// Waiting borrowers in arrival order, resumed with a connection or with `nil` ("open one").
        var waiters: [(id: UInt64, continuation: CheckedContinuation<PostgresConnection?, any Error>)] = []
        /// Waiters whose task was cancelled (or timed out) before they were queued.
        var abandoned: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
        var isClosed = false
    }

    public init(connectionString: String, maximumConnections: Int, threadPool: NIOThreadPool, waitLimit: TimeAmount = .seconds(10)) {
        precondition(maximumConnections >= 1, "a pool needs at least one connection")
        self.connectionString = connectionString
        self.maximumConnections = maximumConnections
        self.threadPool = threadPool
        self.waitLimit = waitLimit
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
        let (idle, waiters) = state.withLockedValue { state in
            state.isClosed = true
            defer {
                state.idle.removeAll()
                state.waiters.removeAll()
                state.openCount = 0
            }
            return (state.idle, state.waiters)
        }
        for waiter in waiters { waiter.continuation.resume(throwing: Self.closedError) }
        for connection in idle { finish(connection) }
    }

    /// How many connections are open (idle or lent), for the status report and tests.
    public var connectionCount: Int { state.withLockedValue { $0.openCount } }

    static let closedError = PostgresError(kind: .connection, message: "the database connection pool is closed")

    private enum Decision {
        case use(PostgresConnection)
        case open
        case wait(UInt64)
    }

    private func acquire() async throws -> PostgresConnection {
        let decision = try state.withLockedValue { state -> Decision in
            guard !state.isClosed else { throw Self.closedError }
            if let connection = state.idle.popLast() { return .use(connection) }
            if state.openCount < maximumConnections {
                state.openCount += 1
                return .open
            }
            state.nextWaiter += 1
            return .wait(state.nextWaiter)
        }
        switch decision {
        case .use(let connection):
            return connection
        case .open:
            return try await openConnection()
        case .wait(let id):
            let handedOver = try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let queued = state.withLockedValue { state -> Bool in
                        if state.abandoned.remove(id) != nil { return false }
                        if state.isClosed { return false }
                        state.waiters.append((id, continuation))
                        return true
                    }
                    guard queued else {
                        continuation.resume(throwing: Task.isCancelled ? CancellationError() : Self.closedError)
                        return
                    }
                    let waitLimit = self.waitLimit
                    MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: waitLimit) { [self] in
                        abandon(id, with: PostgresError(kind: .connection, message: "no database connection became free within \(waitLimit.nanoseconds / 1_000_000_000) seconds"))
                    }
                }
            } onCancel: {
                abandon(id, with: CancellationError())
            }
            if let handedOver { return handedOver }
            return try await openConnection()
        }
    }

    /// Stops a waiter that is still waiting (timed out or cancelled); one not yet queued is
    /// refused when it queues.
    private func abandon(_ id: UInt64, with error: any Error) {
        let continuation = state.withLockedValue { state -> CheckedContinuation<PostgresConnection?, any Error>? in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                return state.waiters.remove(at: index).continuation
            }
            state.abandoned.insert(id)
            return nil
        }
        continuation?.resume(throwing: error)
    }

    /// Opens a connection in a slot already counted.
    private func openConnection() async throws -> PostgresConnection {
        do {
            let connectionString = self.connectionString
            return try await threadPool.runIfActive { try PostgresConnection(connectionString: connectionString) }
        } catch {
            // The slot is free again: let a waiter try.
            let waiter = state.withLockedValue { state -> CheckedContinuation<PostgresConnection?, any Error>? in
                state.openCount -= 1
                guard !state.waiters.isEmpty else { return nil }
                state.openCount += 1
                return state.waiters.removeFirst().continuation
            }
            waiter?.resume(returning: nil)
            throw error
        }
    }

    private func release(_ connection: PostgresConnection) {
        let healthy = connection.isHealthy
        let reusable = healthy && connection.isIdle
        let (waiter, discard, stale) = state.withLockedValue { state -> (CheckedContinuation<PostgresConnection?, any Error>?, Bool, [PostgresConnection]) in
            if state.isClosed { return (nil, true, []) }
            guard reusable else {
                // A broken or dirty connection is never handed out again; its slot goes to a waiter.
                // A broken one means the server went away: the idle ones are most likely broken too,
                // so they go as well, and the next borrowers open fresh ones.
                var stale: [PostgresConnection] = []
                if !healthy {
                    stale = state.idle
                    state.idle.removeAll()
                    state.openCount -= stale.count
                }
                if state.waiters.isEmpty {
                    state.openCount -= 1
                    return (nil, true, stale)
                }
                return (state.waiters.removeFirst().continuation, true, stale)
            }
            if !state.waiters.isEmpty { return (state.waiters.removeFirst().continuation, false, []) }
            state.idle.append(connection)
            return (nil, false, [])
        }
        for connection in stale { finish(connection) }
        if discard {
            finish(connection)
            waiter?.resume(returning: nil)
        } else {
            waiter?.resume(returning: connection)
        }
    }

    /// `PQfinish` on the thread pool (it can block on a broken network).
    private func finish(_ connection: PostgresConnection) {
        threadPool.submit { _ in connection.close() }
    }
}
