import AssignmentCore
import AsyncHTTPClient
import Envelope
import Foundation
import Logging
import Postgres
import Storage

/// What one delivery pass did.
public struct NotificationDeliveryReport: Sendable, Hashable, Codable {
    public var delivered = 0
    public var retried = 0
    public var deadLettered = 0

    public init() {}

    public var attempted: Int { delivered + retried + deadLettered }

    enum CodingKeys: String, CodingKey {
        case delivered, retried
        case deadLettered = "dead_lettered"
    }
}

/// Delivers the notification outbox: takes the due notifications in batches and hands each to
/// its channel; a failure is retried by ``NotificationRetryPolicy`` and given up to the
/// dead-letter state after the last attempt. One of the jobs of ``JobRunner`` (in `dispatch serve`
/// and `dispatch jobs run`); claims are leased with `SKIP LOCKED`, so several runners share the
/// outbox and each notification is delivered once.
public struct NotificationDeliveryJob: Sendable {
    let notifications: NotificationStore
    let channel: any NotificationChannel
    let retryPolicy: NotificationRetryPolicy
    let now: @Sendable () -> Date
    let batchSize: Int
    let logger: Logger

    public init(
        notifications: NotificationStore, channel: any NotificationChannel, retryPolicy: NotificationRetryPolicy = NotificationRetryPolicy(),
        now: @escaping @Sendable () -> Date, batchSize: Int = 50, logger: Logger
    ) {
        self.notifications = notifications
        self.channel = channel
        self.retryPolicy = retryPolicy
        self.now = now
        self.batchSize = batchSize
        self.logger = logger
    }

    /// The delivery `serve` and `jobs run` use: an organisation's signed webhook where it has one,
    /// the log otherwise.
    public static func standard(
        database: Database, serverKey: ServerKey, httpClient: HTTPClient, now: @escaping @Sendable () -> Date, logger: Logger
    ) -> NotificationDeliveryJob {
        NotificationDeliveryJob(
            notifications: NotificationStore(database: database),
            channel: OrganizationNotificationChannel(
                webhook: WebhookNotificationChannel(httpClient: httpClient, serverKey: serverKey), log: LogNotificationChannel(logger: logger)),
            now: now, logger: logger)
    }

    /// Delivers everything due now, batch after batch, until nothing due is left (or shutdown).
    public func deliverDue() async throws -> NotificationDeliveryReport {
        var report = NotificationDeliveryReport()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // The lease outlasts a batch of attempts that all time out.
            let batch = try await notifications.claimDue(at: now(), limit: batchSize, lease: 15 * 60)
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
