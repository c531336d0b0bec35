import AssignmentCore
import Foundation
import Postgres

/// A notification taken from the outbox for one delivery attempt, with where its organisation
/// wants notifications sent. Only ids, a kind and times: nothing in it can be personal data.
public struct NotificationDelivery: Sendable, Hashable {
    public var id: UUID
    public var organizationID: OrganizationID
    public var recipientUserID: UserID
    public var assignmentID: AssignmentID?
    public var kind: String
    /// 1 for the first attempt.
    public var attempt: Int
    public var createdAt: Date
    public var webhookURL: String?
    public var webhookSecretVersion: Int
    public var webhookServerKeyVersion: Int
}

/// A notification as an admin lists it.
public struct NotificationRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var recipientUserID: UserID
    public var assignmentID: AssignmentID?
    public var kind: String
    public var status: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, kind, status, attempts
        case recipientUserID = "recipient_user_id"
        case assignmentID = "assignment_id"
        case lastError = "last_error"
        case createdAt = "created_at"
        case deliveredAt = "delivered_at"
    }
}

/// The notification outbox (DESIGN.md §4): rows are written in the same transaction as what they
/// report, and delivered afterwards, at least once, by the delivery service.
///
/// Delivery takes a batch with `FOR UPDATE SKIP LOCKED` and leases it by moving its next attempt
/// time forward, so that several servers never take the same notification at the same time and a
/// server that dies mid-delivery only delays it by the lease. Receivers deduplicate on the id.
public struct NotificationStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Queues `planned` about `assignment`, inside the caller's transaction.
    /// ``enqueue(_:about:at:on:)`` for many at once, in one statement: the sweeps' batches.
    static func enqueue(_ planned: [(planned: PlannedNotification, about: Assignment, at: Date)], on db: PostgresConnection) throws {
        guard !planned.isEmpty else { return }
        let rows = planned.map { item -> [String: String] in
            [
                "id": UUID().uuidString, "organization_id": item.about.organizationID.description, "recipient_user_id": item.planned.recipient.description,
                "assignment_id": item.about.id.description, "kind": item.planned.kind.rawValue, "at": PostgresTimestamp.format(item.at),
            ]
        }
        try db.execute(
            """
            INSERT INTO notifications (id, organization_id, recipient_user_id, assignment_id, kind, next_attempt_at, created_at)
            SELECT x.id, x.organization_id, x.recipient_user_id, x.assignment_id, x.kind, x.at, x.at
              FROM json_to_recordset($1::json) AS x (id uuid, organization_id uuid, recipient_user_id uuid, assignment_id uuid, kind text, at timestamptz)
            """, [String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)])
    }

    static func enqueue(_ planned: [PlannedNotification], about assignment: Assignment, at time: Date, on db: PostgresConnection) throws {
        for notification in planned {
            try db.execute(
                """
                INSERT INTO notifications (id, organization_id, recipient_user_id, assignment_id, kind, next_attempt_at, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $6)
                """,
                [UUID(), assignment.organizationID, notification.recipient, assignment.id, notification.kind.rawValue, time])
        }
    }

    /// Takes up to `limit` notifications that are due at `time`, oldest first, and leases them
    /// until `time + lease`.
    public func claimDue(at time: Date, limit: Int, lease: TimeInterval) async throws -> [NotificationDelivery] {
        try await database.transaction(.scheduler) { db in
            try db.query(
                """
                UPDATE notifications n
                   SET attempts = n.attempts + 1, last_attempt_at = $1, next_attempt_at = $3
                  FROM organizations o
                 WHERE o.id = n.organization_id
                   AND n.id IN (SELECT id FROM notifications
                                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= $1
                                 ORDER BY next_attempt_at, id
                                 LIMIT $2
                                 FOR UPDATE SKIP LOCKED)
                RETURNING n.id, n.organization_id, n.recipient_user_id, n.assignment_id, n.kind, n.attempts, n.created_at,
                          o.webhook_url, o.webhook_secret_version, o.webhook_server_key_version
                """, [time, limit, time.addingTimeInterval(lease)]
            ).map { row in
                NotificationDelivery(
                    id: try row.decode("id"), organizationID: try row.decode("organization_id"), recipientUserID: try row.decode("recipient_user_id"),
                    assignmentID: try row.decodeIfPresent("assignment_id"), kind: try row.decode("kind"), attempt: try row.decode("attempts"),
                    createdAt: try row.decode("created_at"), webhookURL: try row.decodeIfPresent("webhook_url"),
                    webhookSecretVersion: try row.decode("webhook_secret_version"), webhookServerKeyVersion: try row.decode("webhook_server_key_version"))
            }.sorted { ($0.createdAt, $0.id.uuidString) < ($1.createdAt, $1.id.uuidString) }
        }
    }

    public func markDelivered(_ id: UUID, at time: Date) async throws {
        try await database.transaction(.scheduler) { db in
            try db.execute(
                "UPDATE notifications SET status = 'delivered', delivered_at = $2, last_error = NULL WHERE id = $1 AND status IN ('pending', 'failed')",
                [id, time])
        }
    }

    /// Records a failed attempt: tried again at `retryAt`, or dead (and audited) when `retryAt` is `nil`.
    /// `error` is a short code such as `http_503` or `timeout`, never a response body.
    public func markFailed(_ delivery: NotificationDelivery, error: String, retryAt: Date?, at time: Date) async throws {
        try await database.transaction(.scheduler) { db in
            if let retryAt {
                try db.execute(
                    "UPDATE notifications SET status = 'failed', last_error = $2, next_attempt_at = $3 WHERE id = $1 AND status IN ('pending', 'failed')",
                    [delivery.id, error, retryAt])
            } else {
                try db.execute("UPDATE notifications SET status = 'dead', last_error = $2 WHERE id = $1 AND status IN ('pending', 'failed')", [delivery.id, error])
                try AuditLog.append(
                    AuditEntry(.notificationDeadLettered, .notification(delivery.id), details: AuditDetails.DeadLettered(attempts: delivery.attempt, error: error)),
                    organization: delivery.organizationID, at: time, on: db)
            }
        }
    }

    /// The organisation's notifications, newest first, optionally only those in `status`.
    public func notifications(of organization: OrganizationID, status: String? = nil, limit: Int = 100) async throws -> [NotificationRecord] {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.query(
                """
                SELECT id, recipient_user_id, assignment_id, kind, status, attempts, last_error, created_at, delivered_at FROM notifications
                 WHERE organization_id = $1 AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC, id LIMIT $3
                """, [organization, status, limit]
            ).map { row in
                NotificationRecord(
                    id: try row.decode("id"), recipientUserID: try row.decode("recipient_user_id"), assignmentID: try row.decodeIfPresent("assignment_id"),
                    kind: try row.decode("kind"), status: try row.decode("status"), attempts: try row.decode("attempts"),
                    lastError: try row.decodeIfPresent("last_error"), createdAt: try row.decode("created_at"), deliveredAt: try row.decodeIfPresent("delivered_at"))
            }
        }
    }

    /// Sends dead notifications of the organisation again (after the webhook was fixed), audited.
    /// Returns how many were requeued.
    public func requeueDead(of organization: OrganizationID, at time: Date) async throws -> Int {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            let requeued = try db.query(
                """
                UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = $2
                 WHERE organization_id = $1 AND status = 'dead' RETURNING id
                """, [organization, time]).count
            if requeued > 0 {
                try AuditLog.append(
                    AuditEntry(.notificationRequeued, .organization(organization), details: AuditDetails.Count(count: requeued)),
                    organization: organization, at: time, on: db)
            }
            return requeued
        }
    }
}
