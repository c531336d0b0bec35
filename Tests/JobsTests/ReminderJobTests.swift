import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Jobs
import Storage
import Testing

/// Reminders with a clock the test controls: the seeds' 10-day rule, repeats, escalation, exactly
/// once, stopped by contact, caught up after an outage, and safe with several runners.
@Suite("Reminder job")
struct ReminderJobTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18
    let day: TimeInterval = 86_400

    typealias World = TestOrganization

    func world() async throws -> World {
        try await TestOrganization.make(in: try await TestPostgres.database(), at: start)
    }

    func dispatch(_ world: World, at time: Date) async throws -> AssignmentID {
        try await world.dispatch(at: time)
    }

    /// (kind, recipient) of every reminder notification, in order.
    func reminderNotifications(_ world: World) async throws -> [String] {
        try await world.database.withOwnerConnection { db in
            try db.query(
                """
                SELECT kind, recipient_user_id FROM notifications
                 WHERE kind IN ('contact_reminder', 'contact_overdue', 'contact_escalation') ORDER BY created_at, kind
                """
            ).map { row in
                let recipient: UserID = try row.decode("recipient_user_id")
                let who = recipient == world.mentor.userID ? "mentor" : recipient == world.coordinator.userID ? "coord" : "admin"
                return "\(try row.decode("kind", as: String.self)) to \(who)"
            }
        }
    }

    @Test("day 9 nothing; day 10 one reminder to each side; day 20 the second; after the last, the admins; each exactly once")
    func schedule() async throws {
        let world = try await world()
        let id = try await dispatch(world, at: start)
        func run(_ days: Double) async throws -> ReminderBatchReport {
            try await ReminderJob.run(database: world.database, now: start + days * day, batchSize: 10)
        }
        #expect(try await run(9).steps == 0)
        #expect(try await run(9.999).steps == 0)
        let first = try await run(10)
        #expect(first.reminders == 1 && first.notifications == 2)
        #expect(try await reminderNotifications(world) == ["contact_overdue to coord", "contact_reminder to mentor"])
        #expect(try await run(10).steps == 0, "the same reminder is never sent twice")
        #expect(try await run(15).steps == 0)
        var assignment = try await world.store.assignment(id, as: world.coordinator)
        #expect(assignment.reminderCount == 1)
        #expect(assignment.reminderSentAt == start + 10 * day)
        #expect(assignment.nextReminderAt == start + 20 * day)

        #expect(try await run(20).reminders == 1)
        #expect(try await run(30).reminders == 1)
        assignment = try await world.store.assignment(id, as: world.coordinator)
        #expect(assignment.reminderCount == 3)
        #expect(assignment.nextReminderAt == start + 40 * day, "the escalation is next")
        #expect(try await run(39).steps == 0)
        let escalation = try await run(40)
        #expect(escalation.escalations == 1 && escalation.notifications == 1)
        #expect(try await run(80).steps == 0, "nothing after the escalation")
        #expect(try await world.store.assignment(id, as: world.coordinator).nextReminderAt == nil)
        let notifications = try await reminderNotifications(world)
        #expect(notifications.filter { $0 == "contact_reminder to mentor" }.count == 3)
        #expect(notifications.filter { $0 == "contact_overdue to coord" }.count == 3)
        #expect(notifications.filter { $0 == "contact_escalation to admin" }.count == 1)
        // The overview shows it overdue, with its reminder count.
        let overview = try await world.store.overview(OverviewQuery(), as: world.coordinator, at: start + 41 * day)
        #expect(overview.assignments.first?.overdue == true)
        #expect(overview.assignments.first?.reminderCount == 3)
    }

    @Test("contact on day 9.99, or at the very moment a reminder falls due, means no reminder; closing stops them")
    func contactStops() async throws {
        let world = try await world()
        let early = try await dispatch(world, at: start)
        let onTheDot = try await dispatch(world, at: start)
        let completed = try await dispatch(world, at: start)
        let cancelled = try await dispatch(world, at: start)
        for id in [early, onTheDot, completed] {
            _ = try await world.store.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + day)
            _ = try await world.store.transition(id, to: .read, by: world.mentor, at: start + day)
        }
        _ = try await world.store.recordContact(early, by: world.mentor, at: start + 9.99 * day)
        _ = try await world.store.recordContact(onTheDot, by: world.mentor, at: start + 10 * day)
        _ = try await world.store.transition(completed, to: .acknowledged, by: world.mentor, at: start + 2 * day)
        _ = try await world.store.transition(completed, to: .completed, by: world.mentor, at: start + 3 * day)
        _ = try await world.store.transition(cancelled, to: .cancelled, by: world.coordinator, at: start + 3 * day, reason: "No longer needed")
        #expect(try await ReminderJob.run(database: world.database, now: start + 10 * day).steps == 0)
        #expect(try await ReminderJob.run(database: world.database, now: start + 100 * day).steps == 0)
        #expect(try await reminderNotifications(world).isEmpty)
    }

    @Test("after an outage, one step per assignment: the most advanced one due, not a burst")
    func catchUp() async throws {
        let world = try await world()
        let id = try await dispatch(world, at: start)
        let report = try await ReminderJob.run(database: world.database, now: start + 25 * day)
        #expect(report.reminders == 1 && report.notifications == 2)
        let assignment = try await world.store.assignment(id, as: world.coordinator)
        #expect(assignment.reminderCount == 2, "reminder 2 is the one due on day 25")
        #expect(assignment.nextReminderAt == start + 30 * day)
        let numbers = try await world.database.withOwnerConnection { db in
            try db.query("SELECT number FROM assignment_reminders WHERE assignment_id = $1", [id]).map { try $0.decode("number", as: Int.self) }
        }
        #expect(numbers == [2])
    }

    @Test("the organisation's own settings: after 3 days, every 2, at most 2 reminders")
    func settings() async throws {
        let world = try await TestOrganization.make(in: try await TestPostgres.database(), at: start) { settings in
            settings.reminderAfterDays = 3
            settings.reminderRepeatDays = 2
            settings.reminderMaximumCount = 2
        }
        _ = try await dispatch(world, at: start)
        #expect(try await ReminderJob.run(database: world.database, now: start + 2.9 * day).steps == 0)
        #expect(try await ReminderJob.run(database: world.database, now: start + 3 * day).reminders == 1)
        #expect(try await ReminderJob.run(database: world.database, now: start + 5 * day).reminders == 1)
        #expect(try await ReminderJob.run(database: world.database, now: start + 7 * day).escalations == 1)
    }

    @Test("two runners at once over a few thousand due assignments: every reminder exactly once")
    func concurrentRunners() async throws {
        let database = try await TestPostgres.database(maximumConnections: 6)
        let organization = try await BulkSeed.organization(in: database, at: start)
        let count = 3000
        try await BulkSeed.dispatchedAssignments(count, in: database, organization: organization, dispatchedAt: start, reminderDueAt: start + 10 * day)
        let now = start + 10 * day
        async let first = ReminderJob.run(database: database, now: now, batchSize: 25)
        async let second = ReminderJob.run(database: database, now: now, batchSize: 25)
        let reports = try await [first, second]
        #expect(reports[0].reminders + reports[1].reminders == count)
        #expect(reports[0].reminders > 0 && reports[1].reminders > 0, "both runners took part")
        let (steps, notifications, counted) = try await database.withOwnerConnection { db in
            (try db.query("SELECT count(*) AS n FROM assignment_reminders").first!.decode("n", as: Int.self),
             try db.query("SELECT count(*) AS n FROM notifications WHERE kind IN ('contact_reminder', 'contact_overdue')").first!.decode("n", as: Int.self),
             try db.query("SELECT count(*) AS n FROM assignments WHERE reminder_count = 1").first!.decode("n", as: Int.self))
        }
        #expect(steps == count)
        #expect(notifications == 2 * count)
        #expect(counted == count)
        #expect(try await ReminderJob.run(database: database, now: now).steps == 0)
        try await database.close()
    }
}
