import AsyncHTTPClient
import Postgres
import ServiceLifecycle
import Storage

/// Keeps the database open while the application runs, and closes it on graceful shutdown:
/// the connections, and the embedded PostgreSQL if this process started it.
///
/// It is added to the application's service group before the HTTP server, so the server stops
/// first (requests in flight finish) and the database last.
public struct DatabaseService: Service {
    let database: Database

    public init(database: Database) { self.database = database }

    public func run() async throws {
        // Returns on graceful shutdown; throws only if the task is cancelled, which must also close.
        try? await gracefulShutdown()
        try await database.close()
    }
}

/// Shuts the outgoing HTTP client (webhooks) down on graceful shutdown, after the services that use
/// it have stopped.
public struct HTTPClientService: Service {
    let httpClient: HTTPClient

    public init(httpClient: HTTPClient) { self.httpClient = httpClient }

    public func run() async throws {
        try? await gracefulShutdown()
        try await httpClient.shutdown()
    }
}
