import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Storage
import Testing

/// The coordinators' status overview: order, filters, counts, pages and scope, on real rows.
@Suite("Status overview")
struct StatusOverviewTests {
    let start = StorageFixtures.start
    let day: TimeInterval = 86_400

    struct Office {
        var store: AssignmentStore
        var organization: OrganizationRecord
        var coordinator: UserContext
        var lokallagCoordinator: UserContext
        var admin: UserContext
        var mentors: [UserContext]
        var devices: [UserID: DeviceKeyPair]
        var lokallag: LocalAssociationID
    }

    func office() async throws -> Office {
        let database = try await TestPostgres.database()
        let accounts = AccountStore(database: database)
        let keys = DeviceKeyStore(database: database)
        let org = try await accounts.createOrganization(name: "Blindeforbundet", at: start)
        let lokallag = try await accounts.createLocalAssociation(in: org.id, name: "Bergen", at: start)
        let coordinator = try await accounts.addUser(to: org.id, handle: "coord", role: .coordinator, at: start).context
        let local = try await accounts.addUser(to: org.id, handle: "bergen-coord", role: .coordinator, localAssociation: "Bergen", at: start).context
        let admin = try await accounts.addUser(to: org.id, handle: "admin", role: .organizationAdmin, at: start).context
        var devices: [UserID: DeviceKeyPair] = [:]
        var mentors: [UserContext] = []
        for handle in ["anne", "bjorn"] {
            let mentor = try await accounts.addUser(to: org.id, handle: handle, role: .peerMentor, localAssociation: "Bergen", at: start).context
            mentors.append(mentor)
        }
        for user in [coordinator, local] + mentors {
            let device = try DeviceKeyPair.generate()
            devices[user.userID] = device
            _ = try await keys.register(device.publicKeys, label: nil, for: user, at: start)
        }
        return Office(
            store: AssignmentStore(database: database), organization: org, coordinator: coordinator, lokallagCoordinator: local, admin: admin,
            mentors: mentors, devices: devices, lokallag: lokallag)
    }

    @discardableResult
    func dispatch(
        _ office: Office, by sender: UserContext? = nil, to mentor: Int = 0, at time: Date, priority: Priority = .normal, urgent: Bool = false,
        region: String? = nil, deadline: Date? = nil, local: Bool = false
    ) async throws -> AssignmentID {
        let sender = sender ?? office.coordinator
        let id = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: office.organization.id.uuid, sender: office.devices[sender.userID]!,
            recipients: [office.devices[office.mentors[mentor].userID]!.publicKeys])
        _ = try await office.store.dispatch(
            DispatchSubmission(
                id: id, recipientID: office.mentors[mentor].userID, localAssociationID: local ? office.lokallag : nil, title: "Oppdrag",
                priority: priority, isUrgent: urgent, geographicRegion: region, contactDeadlineAt: deadline, envelope: envelope.serialized),
            by: sender, at: time)
        return id
    }

    @Test("most urgent first: overdue, then urgent, then priority, then the earliest deadline; overdue as the reminder policy says")
    func order() async throws {
        let office = try await office()
        let now = start + 20 * day
        let late = try await dispatch(office, at: start)  // first reminder day 10: overdue at day 20
        let lateLow = try await dispatch(office, at: start + day, priority: .low)
        let urgent = try await dispatch(office, at: start + 15 * day, urgent: true)
        let high = try await dispatch(office, at: start + 15 * day, priority: .high)
        let soon = try await dispatch(office, at: start + 15 * day, deadline: start + 21 * day)
        let later = try await dispatch(office, at: start + 16 * day)
        let pastDeadline = try await dispatch(office, at: start + 18 * day, deadline: start + 19 * day)
        let contacted = try await dispatch(office, to: 1, at: start)
        _ = try await office.store.downloadEnvelope(contacted, forDevice: office.devices[office.mentors[1].userID]!.fingerprint, by: office.mentors[1], at: start + day)
        _ = try await office.store.transition(contacted, to: .read, by: office.mentors[1], at: start + day)
        _ = try await office.store.recordContact(contacted, by: office.mentors[1], at: start + 2 * day)

        let overview = try await office.store.overview(OverviewQuery(), as: office.coordinator, at: now)
        // Contact made clears "overdue" but not the place by deadline.
        #expect(overview.assignments.map(\.id) == [late, pastDeadline, lateLow, urgent, high, contacted, soon, later])
        #expect(overview.assignments.filter(\.overdue).map(\.id) == [late, pastDeadline, lateLow])
        #expect(overview.overdueCount == 3)
        #expect(overview.counts["dispatched"] == 7 && overview.counts["read"] == 1 && overview.counts["delivered"] == 0)
        let policy = office.organization.settings.reminderPolicy
        for entry in overview.assignments {
            let assignment = try await office.store.assignment(entry.id, as: office.coordinator)
            #expect(entry.overdue == policy.isOverdue(assignment, at: now), "SQL and Swift agree on overdue for \(entry.id)")
        }
    }

    @Test("filters by status, peer mentor (id or handle), region and overdue; counts follow the filters")
    func filters() async throws {
        let office = try await office()
        let now = start + 12 * day
        let nord = try await dispatch(office, to: 0, at: start, region: "Nord")
        _ = try await dispatch(office, to: 1, at: start + 5 * day, region: "Vest")
        let delivered = try await dispatch(office, to: 1, at: start + 6 * day, region: "nord")
        _ = try await office.store.downloadEnvelope(delivered, forDevice: office.devices[office.mentors[1].userID]!.fingerprint, by: office.mentors[1], at: start + 7 * day)

        let byRegion = try await office.store.overview(OverviewQuery(region: "NORD"), as: office.coordinator, at: now)
        #expect(Set(byRegion.assignments.map(\.id)) == [nord, delivered])
        let byHandle = try await office.store.overview(OverviewQuery(peerMentor: "bjorn"), as: office.coordinator, at: now)
        #expect(byHandle.assignments.count == 2)
        #expect(byHandle.assignments.allSatisfy { $0.peerMentorHandle == "bjorn" })
        let byID = try await office.store.overview(OverviewQuery(peerMentor: office.mentors[0].userID.description), as: office.coordinator, at: now)
        #expect(byID.assignments.map(\.id) == [nord])
        let byStatus = try await office.store.overview(OverviewQuery(status: .delivered), as: office.coordinator, at: now)
        #expect(byStatus.assignments.map(\.id) == [delivered])
        #expect(byStatus.counts["dispatched"] == 2, "counts cover every status, whatever the status filter")
        let overdue = try await office.store.overview(OverviewQuery(overdue: true), as: office.coordinator, at: now)
        #expect(overdue.assignments.map(\.id) == [nord])
        #expect(overdue.counts.values.reduce(0, +) == 1)
        let onTime = try await office.store.overview(OverviewQuery(overdue: false), as: office.coordinator, at: now)
        #expect(onTime.assignments.count == 2)
    }

    @Test("pages follow each other without gaps or repeats, and keep the first page's idea of overdue")
    func pages() async throws {
        let office = try await office()
        for index in 0..<11 {
            try await dispatch(office, to: index % 2, at: start + Double(index) * 3600 * 7, priority: [.low, .normal, .high][index % 3], urgent: index % 4 == 0)
        }
        let now = start + 10 * day + 12 * 3600
        let whole = try await office.store.overview(OverviewQuery(limit: 200), as: office.coordinator, at: now)
        #expect(whole.assignments.count == 11 && whole.nextCursor == nil)
        var seen: [AssignmentID] = []
        var query = OverviewQuery(limit: 4)
        var pages = 0
        repeat {
            // Time moves on between pages; the cursor keeps the first page's time.
            let page = try await office.store.overview(query, as: office.coordinator, at: now + Double(pages) * 5 * day)
            seen += page.assignments.map(\.id)
            pages += 1
            guard let next = page.nextCursor else { break }
            query.cursor = next
        } while pages < 10
        #expect(pages == 3)
        #expect(seen == whole.assignments.map(\.id))
    }

    @Test("scope: a peer mentor sees their own, a local association's coordinator sees theirs, another organisation sees none")
    func scope() async throws {
        let office = try await office()
        let now = start + day
        let toAnne = try await dispatch(office, to: 0, at: start)
        let toBjorn = try await dispatch(office, to: 1, at: start)
        let bergen = try await dispatch(office, to: 1, at: start, local: true)
        let byLocal = try await dispatch(office, by: office.lokallagCoordinator, to: 0, at: start, local: true)

        #expect(try await office.store.overview(OverviewQuery(), as: office.mentors[0], at: now).assignments.map(\.id).sorted { $0.description < $1.description }
            == [toAnne, byLocal].sorted { $0.description < $1.description })
        #expect(try await office.store.overview(OverviewQuery(peerMentor: "bjorn"), as: office.mentors[0], at: now).assignments.isEmpty,
            "a peer mentor's filter cannot widen their scope")
        #expect(Set(try await office.store.overview(OverviewQuery(), as: office.lokallagCoordinator, at: now).assignments.map(\.id)) == [bergen, byLocal])
        #expect(Set(try await office.store.overview(OverviewQuery(), as: office.admin, at: now).assignments.map(\.id)) == [toAnne, toBjorn, bergen, byLocal])

        let accounts = AccountStore(database: office.store.database)
        let other = try await accounts.createOrganization(name: "Other", at: start)
        let stranger = try await accounts.addUser(to: other.id, handle: "coord", role: .organizationAdmin, at: start).context
        #expect(try await office.store.overview(OverviewQuery(), as: stranger, at: now).assignments.isEmpty)
        #expect(try await office.store.overview(OverviewQuery(peerMentor: office.mentors[0].userID.description), as: stranger, at: now).counts.values.reduce(0, +) == 0)
    }
}
