import AssignmentCore
import Foundation
import Postgres

/// What one batch of reminders did.
public struct ReminderBatchReport: Sendable, Hashable, Codable {
    public var reminders = 0
    public var escalations = 0
    public var notifications = 0

    public init() {}

    public var steps: Int { reminders + escalations }

    public mutating func add(_ other: ReminderBatchReport) {
        reminders += other.reminders
        escalations += other.escalations
        notifications += other.notifications
    }
}

/// Reminders when no contact is made (docs/reminders.md), as stored work.
///
/// What is due lives on the assignment (`next_reminder_at`, indexed), never only in memory. A batch
/// takes due assignments with `FOR UPDATE SKIP LOCKED` and, in the same transaction, records the
/// step in `assignment_reminders` (primary key: assignment and step number), queues its
/// notifications, and moves `next_reminder_at` on. Several runners therefore never send a step
/// twice; a runner killed mid-batch leaves nothing half done; a restart picks up whatever fell due
/// while it was down, one step per assignment.
public struct ReminderStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// The assignments with a reminder step due at $1, at most $2, taken so that two runners
    /// never take the same one.
    static let dueSQL = """
        SELECT \(AssignmentStore.columns(prefixedWith: "a.")),
               o.time_zone, o.reminder_after_days, o.reminder_repeat_days, o.reminder_maximum_count
          FROM assignments a JOIN organizations o ON o.id = a.organization_id
         WHERE a.next_reminder_at <= $1 AND a.contact_made_at IS NULL
           AND a.status IN ('dispatched', 'delivered', 'read', 'acknowledged')
         ORDER BY a.next_reminder_at, a.id
         LIMIT $2
         FOR UPDATE OF a SKIP LOCKED
        """

    /// The plan of one pass's selection of due assignments, executed: for the benchmark
    /// (docs/performance.md). Nothing is sent; the row locks it takes end with its transaction.
    public func explainDue(at time: Date, limit: Int) async throws -> QueryPlan {
        try await database.transaction(.scheduler) { db in try QueryPlan.explain(Self.dueSQL, [time, limit], timingOnly: false, on: db) }
    }

    /// Sends the reminder steps due at `time` for up to `limit` assignments, across organisations.
    public func sendDue(at time: Date, limit: Int) async throws -> ReminderBatchReport {
        try await database.transaction(.scheduler) { db in
            var report = ReminderBatchReport()
            let rows = try db.query(Self.dueSQL, [time, limit])
            for row in rows {
                let assignment = try AssignmentStore.assignment(from: row)
                let policy = OrganizationSettings(
                    timeZoneIdentifier: try row.decode("time_zone"), reminderAfterDays: try row.decode("reminder_after_days"),
                    reminderRepeatDays: try row.decode("reminder_repeat_days"), reminderMaximumCount: try row.decode("reminder_maximum_count")
                ).reminderPolicy
                guard let dispatchedAt = assignment.dispatchedAt, let step = policy.dueStep(for: assignment, at: time) else {
                    // Due by the row but not by the policy (settings changed since): reschedule.
                    let next = policy.nextReminderDue(for: assignment) ?? policy.escalationDue(for: assignment)
                    try db.execute("UPDATE assignments SET next_reminder_at = $2 WHERE id = $1", [assignment.id, next.flatMap { $0 > time ? $0 : nil }])
                    continue
                }
                let kind: String
                var recipients: [(NotificationKind, UserID)] = []
                switch step {
                case .reminder:
                    kind = "reminder"
                    recipients = [(.contactReminder, assignment.peerMentorID), (.contactOverdue, assignment.coordinatorID)]
                case .escalation:
                    kind = "escalation"
                    recipients = try AccountStore.activeAdmins(of: assignment.organizationID, on: db).map { (.contactEscalation, $0) }
                }
                let recorded = try db.query(
                    """
                    INSERT INTO assignment_reminders (assignment_id, organization_id, number, kind, due_at, sent_at) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (assignment_id, number) DO NOTHING RETURNING 1 AS recorded
                    """, [assignment.id, assignment.organizationID, step.number, kind, step.dueAt, time])
                let next = policy.nextDue(after: step, dispatchedAt: dispatchedAt)
                if case .reminder(let number, _) = step {
                    try db.execute(
                        "UPDATE assignments SET reminder_count = greatest(reminder_count, $2), reminder_sent_at = $3, next_reminder_at = $4, updated_at = greatest(updated_at, $3) WHERE id = $1",
                        [assignment.id, number, time, next])
                } else {
                    try db.execute(
                        "UPDATE assignments SET reminder_count = greatest(reminder_count, $2), next_reminder_at = NULL, updated_at = greatest(updated_at, $3) WHERE id = $1",
                        [assignment.id, policy.maximumReminders, time])
                }
                guard recorded.count > 0 else { continue }  // sent before: never twice
                for (notificationKind, recipient) in recipients {
                    try NotificationStore.enqueue([PlannedNotification(kind: notificationKind, recipient: recipient)], about: assignment, at: time, on: db)
                }
                try AuditLog.append(
                    AuditEntry(
                        kind == "reminder" ? .assignmentReminderSent : .assignmentEscalationSent, .assignment(assignment.id),
                        details: AuditDetails.ReminderSent(number: step.number)),
                    organization: assignment.organizationID, at: time, on: db)
                if kind == "reminder" { report.reminders += 1 } else { report.escalations += 1 }
                report.notifications += recipients.count
            }
            return report
        }
    }
}
