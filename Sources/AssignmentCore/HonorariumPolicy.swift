import Foundation

/// How completed assignments are counted towards a peer mentor's honorarium (DESIGN.md §4).
///
/// An honorarium-eligible assignment counts once, when it reaches the counting status (completed,
/// or acknowledged where the organisation says so), in the period (calendar year in the
/// organisation's time zone) of the moment it got there. Reaching a tier (default 3 and 15) records
/// a threshold event once; an administrative correction that takes the count back below a tier
/// reverses that tier's event.
public struct HonorariumPolicy: Sendable, Hashable {
    public var tiers: [Int]
    public var countingStatus: AssignmentStatus
    public var calendar: Calendar

    public init(tiers: [Int] = [3, 15], countingStatus: AssignmentStatus = .completed, calendar: Calendar) {
        self.tiers = tiers
        self.countingStatus = countingStatus
        self.calendar = calendar
    }

    /// The period a count made at `date` belongs to: the calendar year, e.g. "2026".
    public func period(containing date: Date) -> String {
        String(calendar.component(.year, from: date))
    }

    /// Whether moving `assignment` into `status` makes it count now.
    public func counts(_ assignment: Assignment, reaching status: AssignmentStatus) -> Bool {
        assignment.honorariumEligible && !assignment.countedForHonorarium && status == countingStatus
    }

    /// The tiers reached by going from `oldCount` to `newCount` (each exactly once: `old < tier ≤ new`).
    public func tiersCrossed(from oldCount: Int, to newCount: Int) -> [Int] {
        tiers.filter { oldCount < $0 && $0 <= newCount }
    }

    /// The tiers no longer held after a correction from `oldCount` down to `newCount`.
    public func tiersReversed(from oldCount: Int, to newCount: Int) -> [Int] {
        tiers.filter { newCount < $0 && $0 <= oldCount }
    }

    /// The highest tier reached with `count` counted assignments, or `nil` below the first.
    public func tierReached(with count: Int) -> Int? {
        tiers.last { $0 <= count }
    }
}
