import Logging
import Postgres
import ServiceLifecycle

/// Keeps the embedded PostgreSQL that `serve` runs on running: every `interval` it checks the
/// cluster and starts it again when it is gone (a `kill -9` of the postmaster, a crash). Requests
/// meanwhile get `503 database_unavailable`, and the pool replaces its broken connections once the
/// database is back. It is added after ``DatabaseService``, so on shutdown it stops first and never
/// restarts a cluster that the database service is stopping.
public struct EmbeddedDatabaseWatchdog: Service {
    let database: Database
    let interval: Duration
    let logger: Logger

    public init(database: Database, interval: Duration, logger: Logger) {
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return }
            do {
                if try await database.restartEmbeddedIfStopped() { logger.notice("the embedded PostgreSQL had stopped; it was started again") }
            } catch {
                logger.error("the embedded PostgreSQL could not be started again; trying at the next check", metadata: ["error_type": "\(type(of: error))"])
            }
        }
    }
}
