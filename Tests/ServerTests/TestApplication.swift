import AsyncHTTPClient
import DatabaseTestSupport
import Foundation
import Hummingbird
import Logging
import Postgres
import Server
import Storage


/// The application as `dispatch serve` builds it (but without the delivery service and the audit
/// chainer: tests deliver notifications and link the chain themselves, where they look at it), on a
/// database of its own and a clock the test moves, plus an account store on the same database for
/// the test's own set-up. A chainer in each of the suite's many applications kept a connection of
/// the shared test cluster busy for every one of them; `AuditChainerTests`, `TwoServersTests` and
/// `ServerCrashTests` run it.
func makeApplication(clock: TestClock, logger: Logger = TestPostgres.logger) async throws -> (application: some ApplicationProtocol, accounts: AccountStore) {
    let databaseConfiguration = try await TestPostgres.databaseConfiguration()
    let application = try await buildApplication(
        configuration: ServerConfiguration(
            port: 0, database: databaseConfiguration, now: { clock.now }, notificationInterval: nil, jobInterval: nil, auditLinkInterval: nil,
            liveUpdateInterval: nil),
        logger: logger)
    let database = try await Database.open(databaseConfiguration, logger: TestPostgres.logger)
    return (application, AccountStore(database: database))
}

/// Runs `body` with an HTTP client that is shut down afterwards, also when `body` throws (a client
/// dropped without shutdown stops the test process).
func withHTTPClient<Result>(_ body: (HTTPClient) async throws -> Result) async throws -> Result {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
