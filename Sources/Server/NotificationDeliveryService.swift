import AssignmentCore
import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// What one pass of the delivery service did.
public struct NotificationDeliveryReport: Sendable, Hashable {
    public var delivered = 0
    public var retried = 0
    public var deadLettered = 0

    public var attempted: Int { delivered + retried + deadLettered }
}

/// Delivers the notification outbox: every `interval`, takes the due notifications in batches and
/// hands each to its channel; a failure is retried by ``NotificationRetryPolicy`` and given up to
/// the dead-letter state after the last attempt. Runs inside `dispatch serve` and stops on
/// graceful shutdown (a batch in flight finishes first).
public struct NotificationDeliveryService: Service {
    let notifications: NotificationStore
    let channel: any NotificationChannel
    let retryPolicy: NotificationRetryPolicy
    let now: @Sendable () -> Date
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(
        notifications: NotificationStore, channel: any NotificationChannel, retryPolicy: NotificationRetryPolicy = NotificationRetryPolicy(),
        now: @escaping @Sendable () -> Date, interval: Duration = .seconds(5), batchSize: Int = 50, logger: Logger
    ) {
        self.notifications = notifications
        self.channel = channel
        self.retryPolicy = retryPolicy
        self.now = now
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                _ = try await deliverDue()
            } catch {
                logger.error("notification delivery pass failed", metadata: ["error": "\(type(of: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Delivers everything due now, batch after batch, until nothing due is left.
    public func deliverDue() async throws -> NotificationDeliveryReport {
        var report = NotificationDeliveryReport()
        while !Task.isShuttingDownGracefully {
            let time = now()
            // The lease outlasts a batch of attempts that all time out.
            let batch = try await notifications.claimDue(at: time, limit: batchSize, lease: 15 * 60)
            if batch.isEmpty { break }
            for notification in batch {
                do {
                    try await channel.deliver(notification, at: now())
                    try await notifications.markDelivered(notification.id, at: now())
                    report.delivered += 1
                } catch {
                    let code = (error as? NotificationChannelFailure)?.code ?? "channel_error"
                    let delay = retryPolicy.delay(afterFailedAttempt: notification.attempt)
                    try await notifications.markFailed(notification, error: code, retryAt: delay.map { now().addingTimeInterval($0) }, at: now())
                    if delay == nil {
                        report.deadLettered += 1
                        logger.warning("notification dead-lettered", metadata: ["notification_id": "\(notification.id.uuidString.lowercased())", "error": "\(code)"])
                    } else {
                        report.retried += 1
                    }
                }
            }
        }
        return report
    }
}
