import AsyncHTTPClient
import Envelope
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Storage

/// The job runner outside `dispatch serve`: `dispatch jobs run` (until SIGTERM or Ctrl-C) and
/// `dispatch jobs run --once` (cron, a systemd timer). Both open the database, apply pending
/// migrations, run every job (reminders, sweeps and notification delivery through the
/// organisation's webhook or the log) and close what they opened.
public enum StandaloneJobRunner {
    public static func runOnce(
        database configuration: DatabaseConfiguration, serverKey: ServerKey, now: @escaping @Sendable () -> Date, batchSize: Int, logger: Logger
    ) async throws -> JobRunReport {
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let report = try await Database.using(configuration, logger: logger) { database in
                try await database.prepareSchema(now: now())
                let delivery = NotificationDeliveryJob.standard(database: database, serverKey: serverKey, httpClient: httpClient, now: now, logger: logger)
                return try await JobRunner(database: database, delivery: delivery, now: now, batchSize: batchSize, logger: logger).runOnce()
            }
            try await httpClient.shutdown()
            return report
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    public static func runUntilStopped(
        database configuration: DatabaseConfiguration, serverKey: ServerKey, now: @escaping @Sendable () -> Date, interval: Duration, batchSize: Int,
        auditLinkInterval: Duration = .milliseconds(250), logger: Logger
    ) async throws {
        let database = try await Database.openMigrated(configuration, logger: logger, now: now())
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let runner = JobRunner(
            database: database, delivery: .standard(database: database, serverKey: serverKey, httpClient: httpClient, now: now, logger: logger),
            now: now, schedule: .init(work: interval), batchSize: batchSize, logger: logger)
        let chainer = AuditChainer(store: AuditChainStore(database: database), interval: auditLinkInterval, logger: logger)
        // Services stop in reverse order: the runner, then the HTTP client, the chainer, the database last.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: DatabaseService(database: database)), .init(service: chainer), .init(service: HTTPClientService(httpClient: httpClient)),
                    .init(service: runner),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
