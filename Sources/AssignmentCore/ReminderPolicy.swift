import Foundation

/// When a peer mentor who has not made contact is reminded (DESIGN.md §4, issue 4).
///
/// Reminder *n* (1-based) falls due `firstAfterDays + (n − 1) × repeatEveryDays` calendar days after
/// dispatch, at the same local time of day in the organisation's time zone (so a daylight-saving
/// change does not move it by an hour). After the last reminder, the organisation admins are told
/// one repeat interval later if there is still no contact. Contact made, or the assignment leaving
/// the open states, stops everything; a reminder that falls due at the very moment contact is made
/// is not sent.
public struct ReminderPolicy: Sendable, Hashable {
    public var firstAfterDays: Int
    public var repeatEveryDays: Int
    public var maximumReminders: Int
    public var calendar: Calendar

    public init(firstAfterDays: Int = 10, repeatEveryDays: Int = 10, maximumReminders: Int = 3, calendar: Calendar) {
        self.firstAfterDays = firstAfterDays
        self.repeatEveryDays = repeatEveryDays
        self.maximumReminders = maximumReminders
        self.calendar = calendar
    }

    /// When reminder `number` (1-based) falls due for an assignment dispatched at `dispatchedAt`.
    public func dueDate(ofReminder number: Int, dispatchedAt: Date) -> Date {
        precondition(number >= 1, "reminders are numbered from 1")
        let days = firstAfterDays + (number - 1) * repeatEveryDays
        return calendar.date(byAdding: .day, value: days, to: dispatchedAt) ?? dispatchedAt.addingTimeInterval(Double(days) * 86_400)
    }

    /// Whether reminders apply to the assignment at all: dispatched, still open, no contact yet.
    public func applies(to assignment: Assignment) -> Bool {
        assignment.status.isOpen && assignment.contactMadeAt == nil && assignment.dispatchedAt != nil
    }

    /// When the next reminder falls due, or `nil` when none will (contact made, closed, or all sent).
    public func nextReminderDue(for assignment: Assignment) -> Date? {
        guard applies(to: assignment), let dispatchedAt = assignment.dispatchedAt,
            assignment.reminderCount < maximumReminders
        else { return nil }
        return dueDate(ofReminder: assignment.reminderCount + 1, dispatchedAt: dispatchedAt)
    }

    /// Whether the next reminder is due at `time`.
    public func isReminderDue(for assignment: Assignment, at time: Date) -> Bool {
        guard let due = nextReminderDue(for: assignment) else { return false }
        return time >= due
    }

    /// When the organisation admins are told that all reminders went unanswered, or `nil` while
    /// reminders remain or reminders no longer apply.
    public func escalationDue(for assignment: Assignment) -> Date? {
        guard applies(to: assignment), let dispatchedAt = assignment.dispatchedAt,
            assignment.reminderCount >= maximumReminders
        else { return nil }
        return dueDate(ofReminder: maximumReminders + 1, dispatchedAt: dispatchedAt)
    }

    /// Whether the contact deadline (or, without one, the first reminder time) has passed without
    /// contact: the status overview's "overdue" flag.
    public func isOverdue(_ assignment: Assignment, at time: Date) -> Bool {
        guard applies(to: assignment), let dispatchedAt = assignment.dispatchedAt else { return false }
        let deadline = assignment.contactDeadlineAt ?? dueDate(ofReminder: 1, dispatchedAt: dispatchedAt)
        return time >= deadline
    }

    /// The step due at `time` for an assignment with `reminderCount` reminders sent: the most
    /// advanced one that has fallen due, so that a runner catching up after an outage sends one
    /// step, not a burst. `nil` when nothing is due (or reminders no longer apply).
    public func dueStep(for assignment: Assignment, at time: Date) -> ReminderStep? {
        guard applies(to: assignment), let dispatchedAt = assignment.dispatchedAt else { return nil }
        let escalation = dueDate(ofReminder: maximumReminders + 1, dispatchedAt: dispatchedAt)
        if time >= escalation {
            return .escalation(number: maximumReminders + 1, dueAt: escalation)
        }
        guard assignment.reminderCount < maximumReminders else { return nil }
        let due = ((assignment.reminderCount + 1)...maximumReminders).last { dueDate(ofReminder: $0, dispatchedAt: dispatchedAt) <= time }
        return due.map { .reminder(number: $0, dueAt: dueDate(ofReminder: $0, dispatchedAt: dispatchedAt)) }
    }

    /// When the step after `step` falls due: the next reminder, then the escalation, then nothing.
    public func nextDue(after step: ReminderStep, dispatchedAt: Date) -> Date? {
        switch step {
        case .reminder(let number, _): dueDate(ofReminder: number + 1, dispatchedAt: dispatchedAt)
        case .escalation: nil
        }
    }
}

/// One step of the reminder schedule: reminder *n* (to the peer mentor, with the coordinator told),
/// or the escalation to the organisation admins after the last reminder (numbered M + 1).
public enum ReminderStep: Sendable, Hashable {
    case reminder(number: Int, dueAt: Date)
    case escalation(number: Int, dueAt: Date)

    public var number: Int {
        switch self {
        case .reminder(let number, _), .escalation(let number, _): number
        }
    }

    public var dueAt: Date {
        switch self {
        case .reminder(_, let dueAt), .escalation(_, let dueAt): dueAt
        }
    }
}
