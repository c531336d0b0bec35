import Foundation

/// Timestamps only move forward: an assignment is created, then dispatched, then delivered, read,
/// acknowledged and completed, each no earlier than the one before; contact is made after reading.
/// The database has the same checks as constraints.
public enum TimestampOrder {
    /// Throws `timestamp_not_monotonic` when any later milestone is dated before an earlier one, or
    /// a later milestone is set while an earlier one is missing.
    public static func check(_ assignment: Assignment) throws {
        let chain: [Date?] = [
            assignment.dispatchedAt, assignment.deliveredAt, assignment.readAt, assignment.acknowledgedAt, assignment.completedAt,
        ]
        var previous: Date? = assignment.createdAt
        var sawGap = false
        for milestone in chain {
            guard let milestone else {
                sawGap = true
                continue
            }
            if sawGap { throw DomainError.timestampNotMonotonic }
            if let previous, milestone < previous { throw DomainError.timestampNotMonotonic }
            previous = milestone
        }
        if let contact = assignment.contactMadeAt {
            guard let read = assignment.readAt, contact >= read else { throw DomainError.timestampNotMonotonic }
        }
        for closing in [assignment.cancelledAt, assignment.completedAt] {
            if let closing, let dispatched = assignment.dispatchedAt, closing < dispatched { throw DomainError.timestampNotMonotonic }
        }
        if assignment.lastStateChangeAt < assignment.createdAt || assignment.updatedAt < assignment.createdAt {
            throw DomainError.timestampNotMonotonic
        }
    }
}
