import Foundation

/// How often a notification that could not be delivered is tried again, and when it is given up
/// (moved to the dead-letter state, where an admin can see it and send it again).
///
/// Attempt *n* failing schedules attempt *n + 1* after `firstDelay × factor^(n − 1)`, capped at
/// `maximumDelay`. After `maximumAttempts` failures the notification is dead. The defaults try 8
/// times over about a day: 30 s, 2 min, 8 min, 32 min, about 2 h, then every 6 h.
public struct NotificationRetryPolicy: Sendable, Hashable {
    public var firstDelay: TimeInterval
    public var factor: Double
    public var maximumDelay: TimeInterval
    public var maximumAttempts: Int

    public init(firstDelay: TimeInterval = 30, factor: Double = 4, maximumDelay: TimeInterval = 6 * 3600, maximumAttempts: Int = 8) {
        precondition(firstDelay > 0 && factor >= 1 && maximumDelay >= firstDelay && maximumAttempts >= 1)
        self.firstDelay = firstDelay
        self.factor = factor
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// The wait before the next attempt after attempt `attempt` (1-based) failed, or `nil` when
    /// that was the last attempt.
    public func delay(afterFailedAttempt attempt: Int) -> TimeInterval? {
        guard attempt < maximumAttempts else { return nil }
        return min(maximumDelay, firstDelay * pow(factor, Double(max(0, attempt - 1))))
    }
}
