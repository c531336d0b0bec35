import AssignmentCore
import Foundation
import Logging
import Postgres
import ServiceLifecycle
import Storage

/// What one pass of the jobs did.
public struct JobRunReport: Sendable, Hashable, Codable {
    public var reminders: ReminderBatchReport
    public var expiry: SweepReport
    public var keys: SweepReport
    public var retention: SweepReport
    public var startedAt: Date

    enum CodingKeys: String, CodingKey {
        case reminders, expiry, keys, retention
        case startedAt = "started_at"
    }
}

/// The scheduler: runs every job (reminders, the expiry, key and retention sweeps) on an interval, inside `dispatch serve` (a `Service` in its group)
/// or on its own (`dispatch jobs run`), or once (`dispatch jobs run --once`, for cron or a systemd
/// timer). Everything it knows about what is due is in the database, so any number of runners may
/// run against one database, and a runner that stops loses nothing.
public struct JobRunner: Service {
    let database: Database
    let now: @Sendable () -> Date
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(database: Database, now: @escaping @Sendable () -> Date, interval: Duration = .seconds(60), batchSize: Int = 100, logger: Logger) {
        self.database = database
        self.now = now
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Runs every job once, at the current time.
    public func runOnce() async throws -> JobRunReport {
        let time = now()
        let stop: @Sendable () -> Bool = { Task.isShuttingDownGracefully || Task.isCancelled }
        let reminders = try await ReminderJob.run(database: database, now: time, batchSize: batchSize, shouldStop: stop)
        if reminders.steps > 0 {
            logger.info("reminders sent", metadata: ["reminders": "\(reminders.reminders)", "escalations": "\(reminders.escalations)"])
        }
        let expiry = try await SweepJob.expiry(database: database, now: time, batchSize: batchSize, shouldStop: stop)
        let keys = try await SweepJob.keys(database: database, now: time, batchSize: batchSize, shouldStop: stop)
        let retention = try await SweepJob.retention(database: database, now: time, batchSize: batchSize, shouldStop: stop)
        if expiry.done + keys.done + retention.done > 0 {
            logger.info(
                "sweeps done", metadata: [
                    "expired": "\(expiry.done)", "archived": "\(retention.done)",
                    "sealed_keys_destroyed": "\(expiry.sealedKeysDestroyed + keys.sealedKeysDestroyed + retention.sealedKeysDestroyed)",
                ])
        }
        return JobRunReport(reminders: reminders, expiry: expiry, keys: keys, retention: retention, startedAt: time)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await runOnce()
            } catch {
                logger.error("a job pass failed; trying again at the next interval", metadata: ["error_type": "\(type(of: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
