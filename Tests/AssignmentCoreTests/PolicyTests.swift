import AssignmentCore
import Foundation
import Testing

@Suite("Reminder and honorarium policies")
struct PolicyTests {
    let fixture = DomainFixture()
    let settings = OrganizationSettings()

    func oslo(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 9, _ minute: Int = 0) -> Date {
        settings.calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    }

    func dispatched(at time: Date) -> Assignment {
        var assignment = fixture.assignment(in: .dispatched)
        assignment.createdAt = time
        assignment.dispatchedAt = time
        assignment.lastStateChangeAt = time
        return assignment
    }

    @Test("day 9 nothing, day 10 the first reminder, day 20 the second, escalation after the last")
    func reminderDueTimes() {
        let policy = settings.reminderPolicy
        let start = oslo(2026, 11, 2)
        var assignment = dispatched(at: start)
        #expect(!policy.isReminderDue(for: assignment, at: oslo(2026, 11, 11, 8, 59)))
        #expect(policy.nextReminderDue(for: assignment) == oslo(2026, 11, 12))
        #expect(policy.isReminderDue(for: assignment, at: oslo(2026, 11, 12)))
        assignment.reminderCount = 1
        #expect(policy.nextReminderDue(for: assignment) == oslo(2026, 11, 22))
        assignment.reminderCount = 3
        #expect(policy.nextReminderDue(for: assignment) == nil)
        #expect(policy.escalationDue(for: assignment) == oslo(2026, 12, 12))
    }

    @Test("reminders keep their local time across a daylight-saving change")
    func daylightSaving() {
        // Dispatched on 20 October, due 30 October, after Norway leaves summer time on 25 October.
        let start = oslo(2026, 10, 20, 9)
        let due = settings.reminderPolicy.nextReminderDue(for: dispatched(at: start))!
        #expect(due == oslo(2026, 10, 30, 9))
        #expect(due.timeIntervalSince(start) == 10 * 86_400 + 3600)
    }

    @Test("contact made stops reminders, also one due at the very same moment")
    func contactStopsReminders() {
        let policy = settings.reminderPolicy
        let start = oslo(2026, 11, 2)
        var assignment = dispatched(at: start)
        let due = policy.nextReminderDue(for: assignment)!
        assignment.contactMadeAt = due
        #expect(policy.nextReminderDue(for: assignment) == nil)
        #expect(!policy.isReminderDue(for: assignment, at: due))
        #expect(policy.escalationDue(for: assignment) == nil)
        #expect(!policy.isOverdue(assignment, at: due + 86_400 * 30))
    }

    @Test("closed assignments are never reminded", arguments: [AssignmentStatus.completed, .cancelled, .expired, .draft])
    func closedNotReminded(status: AssignmentStatus) {
        var assignment = fixture.assignment(in: status)
        assignment.dispatchedAt = assignment.dispatchedAt ?? DomainFixture.epoch
        #expect(settings.reminderPolicy.nextReminderDue(for: assignment) == nil)
    }

    @Test("organisation settings change the schedule")
    func customSchedule() {
        var custom = settings
        custom.reminderAfterDays = 5
        custom.reminderRepeatDays = 2
        custom.reminderMaximumCount = 2
        let start = oslo(2026, 11, 2)
        var assignment = dispatched(at: start)
        #expect(custom.reminderPolicy.nextReminderDue(for: assignment) == oslo(2026, 11, 7))
        assignment.reminderCount = 1
        #expect(custom.reminderPolicy.nextReminderDue(for: assignment) == oslo(2026, 11, 9))
        assignment.reminderCount = 2
        #expect(custom.reminderPolicy.escalationDue(for: assignment) == oslo(2026, 11, 11))
    }

    @Test("overdue means past the contact deadline, or past the first reminder without one")
    func overdue() {
        let policy = settings.reminderPolicy
        let start = oslo(2026, 11, 2)
        var assignment = dispatched(at: start)
        #expect(!policy.isOverdue(assignment, at: oslo(2026, 11, 11)))
        #expect(policy.isOverdue(assignment, at: oslo(2026, 11, 12)))
        assignment.contactDeadlineAt = oslo(2026, 11, 5)
        #expect(policy.isOverdue(assignment, at: oslo(2026, 11, 5)))
    }

    @Test("tiers 3 and 15 are each crossed once, and reversed by a correction")
    func honorariumTiers() {
        let policy = settings.honorariumPolicy
        var crossed: [Int: [Int]] = [:]
        for count in 1...20 { crossed[count] = policy.tiersCrossed(from: count - 1, to: count) }
        #expect(crossed.filter { !$0.value.isEmpty }.mapValues { $0 } == [3: [3], 15: [15]])
        #expect(policy.tiersCrossed(from: 0, to: 20) == [3, 15], "a jump crosses every tier on the way")
        #expect(policy.tierReached(with: 2) == nil)
        #expect(policy.tierReached(with: 14) == 3)
        #expect(policy.tierReached(with: 15) == 15)
        #expect(policy.tiersReversed(from: 15, to: 14) == [15])
        #expect(policy.tiersReversed(from: 16, to: 15).isEmpty)
        #expect(policy.tiersReversed(from: 3, to: 0) == [3])
    }

    @Test("an assignment counts once, at the organisation's counting status")
    func honorariumCounting() {
        var assignment = fixture.assignment(in: .acknowledged)
        let completedPolicy = settings.honorariumPolicy
        #expect(completedPolicy.counts(assignment, reaching: .completed))
        #expect(!completedPolicy.counts(assignment, reaching: .acknowledged))
        var acknowledgedSettings = settings
        acknowledgedSettings.honorariumCountingStatus = .acknowledged
        #expect(acknowledgedSettings.honorariumPolicy.counts(assignment, reaching: .acknowledged))
        assignment.countedForHonorarium = true
        #expect(!completedPolicy.counts(assignment, reaching: .completed), "counted_for_honorarium guards a second count")
        assignment.countedForHonorarium = false
        assignment.honorariumEligible = false
        #expect(!completedPolicy.counts(assignment, reaching: .completed))
    }

    @Test("the period is the calendar year in the organisation's time zone")
    func honorariumPeriod() {
        let policy = settings.honorariumPolicy
        // 23:30 UTC on 31 December is already New Year's Day in Oslo.
        let lateUTC = Date(timeIntervalSince1970: 1_798_759_800)  // 2026-12-31T23:30:00Z
        #expect(policy.period(containing: lateUTC) == "2027")
        var utc = settings
        utc.timeZoneIdentifier = "UTC"
        #expect(utc.honorariumPolicy.period(containing: lateUTC) == "2026")
    }

    @Test("settings out of range are refused with the name of the setting")
    func settingsValidation() throws {
        try OrganizationSettings().validate()
        let broken: [(WritableKeyPath<OrganizationSettings, Int>, Int, String)] = [
            (\.reminderAfterDays, 0, "reminder_after_days"), (\.reminderRepeatDays, 400, "reminder_repeat_days"),
            (\.reminderMaximumCount, 0, "reminder_maximum_count"), (\.retentionDays, 10, "retention_days"),
        ]
        for (path, value, name) in broken {
            var settings = OrganizationSettings()
            settings[keyPath: path] = value
            #expect { try settings.validate() } throws: { error in
                guard case .settingInvalid(let reported, _) = error as? DomainError else { return false }
                return reported == name
            }
        }
        for tiers in [[], [15, 3], [3, 3], [0, 5]] {
            var settings = OrganizationSettings()
            settings.honorariumTiers = tiers
            #expect(throws: DomainError.self) { try settings.validate() }
        }
        var zone = OrganizationSettings()
        zone.timeZoneIdentifier = "Mars/Olympus"
        #expect(throws: DomainError.self) { try zone.validate() }
        var counting = OrganizationSettings()
        counting.honorariumCountingStatus = .read
        #expect(throws: DomainError.self) { try counting.validate() }
    }
}
