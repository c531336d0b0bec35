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
    /// `nil` when this runner does not deliver notifications.
    public var notifications: NotificationDeliveryReport?
    /// Audit entries linked into their chains at the end of the pass (``runOnce()`` only).
    public var auditEntriesLinked = 0
    public var startedAt: Date

    enum CodingKeys: String, CodingKey {
        case reminders, expiry, keys, retention, notifications
        case auditEntriesLinked = "audit_entries_linked"
        case startedAt = "started_at"
    }
}

/// The scheduler, the one loop of every job: reminders, the expiry, key and retention sweeps (every
/// `schedule.work`; the key sweep always ends with a `VACUUM`, so what a request destroyed since
/// the last pass, a cancel, leaves the data files too), and notification delivery (every
/// `schedule.delivery`). It runs inside
/// `dispatch serve` (a `Service` in its group), on its own (`dispatch jobs run`), or once
/// (`dispatch jobs run --once`, for cron or a systemd timer). Everything it knows about what is due
/// is in the database, so any number of runners may run against one database, and a runner that
/// stops loses nothing.
///
/// Domain time (what is due, what a report says) comes from the injected `now` only; the
/// intervals between passes are measured on the monotonic clock.
public struct JobRunner: Service {
    /// How often each kind of work runs; `nil` leaves it to the caller (tests run it themselves).
    public struct Schedule: Sendable {
        public var work: Duration?
        public var delivery: Duration?

        public init(work: Duration? = .seconds(60), delivery: Duration? = .seconds(5)) {
            self.work = work
            self.delivery = delivery
        }
    }

    let database: Database
    let delivery: NotificationDeliveryJob?
    let now: @Sendable () -> Date
    let schedule: Schedule
    let batchSize: Int
    let logger: Logger

    public init(
        database: Database, delivery: NotificationDeliveryJob?, now: @escaping @Sendable () -> Date, schedule: Schedule = Schedule(),
        batchSize: Int = 100, logger: Logger
    ) {
        self.database = database
        self.delivery = delivery
        self.now = now
        self.schedule = schedule
        self.batchSize = batchSize
        self.logger = logger
    }

    /// Runs every job once: the scheduled work, then delivery of what is due (including what the
    /// work just queued), then links the audit entries written so far (for a runner started by
    /// cron, where no ``AuditChainer`` runs).
    public func runOnce() async throws -> JobRunReport {
        var report = try await runWork()
        report.notifications = try await delivery?.deliverDue()
        report.auditEntriesLinked = try await AuditChainStore(database: database).linkBacklog()
        return report
    }

    /// Reminders and sweeps, at the clock's current time.
    func runWork() async throws -> JobRunReport {
        let time = now()
        let stop: @Sendable () -> Bool = { Task.isShuttingDownGracefully || Task.isCancelled }
        let reminders = try await ReminderJob.run(database: database, now: time, batchSize: batchSize, shouldStop: stop)
        if reminders.steps > 0 {
            logger.info("reminders sent", metadata: ["reminders": "\(reminders.reminders)", "escalations": "\(reminders.escalations)"])
        }
        let expiry = try await SweepJob.expiry(database: database, clock: now, batchSize: batchSize, shouldStop: stop)
        let keys = try await SweepJob.keys(database: database, clock: now, batchSize: batchSize, shouldStop: stop)
        let retention = try await SweepJob.retention(database: database, clock: now, batchSize: batchSize, shouldStop: stop)
        if expiry.done + keys.done + retention.done > 0 {
            logger.info(
                "sweeps done", metadata: [
                    "expired": "\(expiry.done)", "archived": "\(retention.done)",
                    "sealed_keys_destroyed": "\(expiry.sealedKeysDestroyed + keys.sealedKeysDestroyed + retention.sealedKeysDestroyed)",
                ])
        }
        return JobRunReport(reminders: reminders, expiry: expiry, keys: keys, retention: retention, notifications: nil, startedAt: time)
    }

    public func run() async throws {
        let clock = ContinuousClock()
        var nextWork = schedule.work.map { _ in clock.now }
        var nextDelivery = delivery != nil ? schedule.delivery.map { _ in clock.now } : nil
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if let due = nextWork, let interval = schedule.work, clock.now >= due {
                do {
                    _ = try await runWork()
                } catch {
                    logger.error("a job pass failed; trying again at the next interval", metadata: ["error_type": "\(type(of: error))"])
                }
                nextWork = clock.now + interval
            }
            if let due = nextDelivery, let interval = schedule.delivery, let delivery, clock.now >= due {
                do {
                    _ = try await delivery.deliverDue()
                } catch {
                    logger.error("notification delivery pass failed", metadata: ["error_type": "\(type(of: error))"])
                }
                nextDelivery = clock.now + interval
            }
            guard let wake = [nextWork, nextDelivery].compactMap({ $0 }).min() else {
                // Nothing is scheduled: wait for shutdown.
                try? await gracefulShutdown()
                return
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(until: wake, clock: clock) }
        }
    }
}
