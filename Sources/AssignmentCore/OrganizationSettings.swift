import Foundation

/// The per-organisation settings that the rules and policies read. Defaults are the seeds':
/// remind after 10 days, honorarium tiers at the 3rd and 15th counted assignment.
public struct OrganizationSettings: Sendable, Hashable, Codable {
    public var encryptedAssignmentsEnabled: Bool
    /// An IANA time zone name; days and years are counted in it.
    public var timeZoneIdentifier: String
    public var reminderAfterDays: Int
    public var reminderRepeatDays: Int
    public var reminderMaximumCount: Int
    public var honorariumTiers: [Int]
    public var honorariumCountingStatus: AssignmentStatus
    public var retentionDays: Int
    /// The longest an assignment may stay open after dispatch: its expiry is at most this many days
    /// after dispatch (and exactly that when the coordinator names none). It bounds how long an
    /// erasure key must live, and so how long copies of a sealed key (WAL, archives, backups) can
    /// open anything (`docs/security.md`, "Erasure").
    public var assignmentLifetimeDays: Int
    /// How many days after an assignment closed a recipient device that has not confirmed erasure
    /// counts as overdue (``ErasureConfirmation``): the compliance officer's list of phones to chase.
    public var erasureConfirmationDays: Int
    /// Whether every dispatch must be a format 2 (post-quantum) envelope: a device without an
    /// X-Wing key then receives nothing until it is upgraded and registered again.
    public var requirePostQuantum: Bool

    public static let defaultAssignmentLifetimeDays = 90
    public static let assignmentLifetimeRange = 7...730

    public init(
        encryptedAssignmentsEnabled: Bool = true,
        timeZoneIdentifier: String = "Europe/Oslo",
        reminderAfterDays: Int = 10,
        reminderRepeatDays: Int = 10,
        reminderMaximumCount: Int = 3,
        honorariumTiers: [Int] = [3, 15],
        honorariumCountingStatus: AssignmentStatus = .completed,
        retentionDays: Int = 365,
        assignmentLifetimeDays: Int = OrganizationSettings.defaultAssignmentLifetimeDays,
        erasureConfirmationDays: Int = ErasureConfirmation.defaultOverdueDays,
        requirePostQuantum: Bool = false
    ) {
        self.encryptedAssignmentsEnabled = encryptedAssignmentsEnabled
        self.timeZoneIdentifier = timeZoneIdentifier
        self.reminderAfterDays = reminderAfterDays
        self.reminderRepeatDays = reminderRepeatDays
        self.reminderMaximumCount = reminderMaximumCount
        self.honorariumTiers = honorariumTiers
        self.honorariumCountingStatus = honorariumCountingStatus
        self.retentionDays = retentionDays
        self.assignmentLifetimeDays = assignmentLifetimeDays
        self.erasureConfirmationDays = erasureConfirmationDays
        self.requirePostQuantum = requirePostQuantum
    }

    /// Throws `setting_invalid` naming the first setting that is out of range.
    public func validate() throws {
        guard TimeZone(identifier: timeZoneIdentifier) != nil else {
            throw DomainError.settingInvalid(name: "time_zone", problem: "is not a known time zone (for example Europe/Oslo)")
        }
        guard (1...365).contains(reminderAfterDays) else {
            throw DomainError.settingInvalid(name: "reminder_after_days", problem: "must be between 1 and 365")
        }
        guard (1...365).contains(reminderRepeatDays) else {
            throw DomainError.settingInvalid(name: "reminder_repeat_days", problem: "must be between 1 and 365")
        }
        guard (1...20).contains(reminderMaximumCount) else {
            throw DomainError.settingInvalid(name: "reminder_maximum_count", problem: "must be between 1 and 20")
        }
        guard !honorariumTiers.isEmpty, honorariumTiers.count <= 10,
            honorariumTiers.allSatisfy({ (1...10_000).contains($0) }),
            zip(honorariumTiers, honorariumTiers.dropFirst()).allSatisfy({ $0 < $1 })
        else {
            throw DomainError.settingInvalid(name: "honorarium_tiers", problem: "must be 1 to 10 increasing whole numbers between 1 and 10000")
        }
        guard honorariumCountingStatus == .completed || honorariumCountingStatus == .acknowledged else {
            throw DomainError.settingInvalid(name: "honorarium_counting_status", problem: "must be completed or acknowledged")
        }
        guard (30...3650).contains(retentionDays) else {
            throw DomainError.settingInvalid(name: "retention_days", problem: "must be between 30 and 3650")
        }
        guard Self.assignmentLifetimeRange.contains(assignmentLifetimeDays) else {
            throw DomainError.settingInvalid(
                name: "assignment_lifetime_days",
                problem: "must be between \(Self.assignmentLifetimeRange.lowerBound) and \(Self.assignmentLifetimeRange.upperBound)")
        }
        guard ErasureConfirmation.overdueDaysRange.contains(erasureConfirmationDays) else {
            throw DomainError.settingInvalid(
                name: "erasure_confirmation_days",
                problem: "must be between \(ErasureConfirmation.overdueDaysRange.lowerBound) and \(ErasureConfirmation.overdueDaysRange.upperBound)")
        }
    }

    /// The organisation's calendar: Gregorian, in its time zone. Only valid after ``validate()``.
    public var calendar: Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: timeZoneIdentifier) ?? TimeZone(identifier: "UTC")!
        return calendar
    }

    public var reminderPolicy: ReminderPolicy {
        ReminderPolicy(
            firstAfterDays: reminderAfterDays, repeatEveryDays: reminderRepeatDays,
            maximumReminders: reminderMaximumCount, calendar: calendar
        )
    }

    public var honorariumPolicy: HonorariumPolicy {
        HonorariumPolicy(tiers: honorariumTiers, countingStatus: honorariumCountingStatus, calendar: calendar)
    }
}
