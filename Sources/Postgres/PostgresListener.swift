import CLibPQ
import NIOConcurrencyHelpers
import NIOPosix

/// One notification a committed transaction sent with `NOTIFY` or `pg_notify`.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
}

/// A connection of its own that LISTENs on one channel (``Database/listen(to:)``).
///
/// It is polled rather than waited on: ``poll()`` reads what has arrived on the socket without
/// blocking and returns the notifications in it, on the database's thread pool, so no thread is
/// tied up waiting. A poller that calls it every fraction of a second hears of a commit within that
/// fraction. A broken connection (the database restarted) throws; the caller makes a new listener.
public final class PostgresListener: Sendable {
    private let connection: NIOLockedValueBox<PostgresConnection>
    private let threadPool: NIOThreadPool

    init(connection: PostgresConnection, threadPool: NIOThreadPool) {
        self.connection = NIOLockedValueBox(connection)
        self.threadPool = threadPool
    }

    /// The notifications that arrived since the last poll, in the order they were committed.
    public func poll() async throws -> [PostgresNotification] {
        try await threadPool.runIfActive { try self.connection.withLockedValue { try $0.pendingNotifications() } }
    }

    public func close() async {
        try? await threadPool.runIfActive { self.connection.withLockedValue { $0.close() } }
    }
}

extension PostgresConnection {
    /// `LISTEN` on `channel` (quoted as an identifier: a channel is a name, never a value).
    func listen(_ channel: String) throws {
        try execute("LISTEN \"\(channel.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }
}
