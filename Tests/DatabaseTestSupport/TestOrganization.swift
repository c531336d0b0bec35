import AssignmentCore
import Envelope
import Foundation
import Postgres
import Storage

/// A clock the test moves by hand, for code that takes `now` as a closure.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public var now: Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}

/// An organisation made through the stores, as the admin commands make it: a coordinator and a
/// peer mentor with registered device keys, and an organisation admin; and helpers to send them
/// real, sealed assignments.
public struct TestOrganization: Sendable {
    public let database: Database
    public let store: AssignmentStore
    public let id: OrganizationID
    public let coordinator: UserContext
    public let mentor: UserContext
    public let admin: UserContext
    public let coordinatorDevice: DeviceKeyPair
    public let mentorDevice: DeviceKeyPair

    public static func make(
        in database: Database, at time: Date, name: String = "Blindeforbundet", settings: ((inout OrganizationSettings) -> Void)? = nil
    ) async throws -> TestOrganization {
        let accounts = AccountStore(database: database)
        let keys = DeviceKeyStore(database: database)
        let org = try await accounts.createOrganization(name: name, at: time)
        if let settings {
            var changed = org.settings
            settings(&changed)
            _ = try await accounts.updateSettings(of: org.id, to: changed, at: time)
        }
        let coordinator = try await accounts.addUser(to: org.id, handle: "coord", role: .coordinator, at: time).context
        let mentor = try await accounts.addUser(to: org.id, handle: "mentor", role: .peerMentor, at: time).context
        let admin = try await accounts.addUser(to: org.id, handle: "admin", role: .organizationAdmin, at: time).context
        let coordinatorDevice = try DeviceKeyPair.generate()
        let mentorDevice = try DeviceKeyPair.generate()
        _ = try await keys.register(coordinatorDevice.publicKeys, label: nil, for: coordinator, at: time)
        _ = try await keys.register(mentorDevice.publicKeys, label: nil, for: mentor, at: time)
        return TestOrganization(
            database: database, store: AssignmentStore(database: database), id: org.id, coordinator: coordinator, mentor: mentor, admin: admin,
            coordinatorDevice: coordinatorDevice, mentorDevice: mentorDevice)
    }

    /// The same organisation, through another handle on its database (another server process).
    public func on(_ other: Database) -> TestOrganization {
        TestOrganization(
            database: other, store: AssignmentStore(database: other), id: id, coordinator: coordinator, mentor: mentor, admin: admin,
            coordinatorDevice: coordinatorDevice, mentorDevice: mentorDevice)
    }

    /// A real envelope from the coordinator to the mentor, dispatched at `time`.
    public func dispatch(at time: Date, honorariumEligible: Bool = true) async throws -> AssignmentID {
        let id = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: self.id.uuid, sender: coordinatorDevice, recipients: [mentorDevice.publicKeys])
        _ = try await store.dispatch(
            DispatchSubmission(id: id, recipientID: mentor.userID, title: "Oppdrag", honorariumEligible: honorariumEligible, envelope: envelope.serialized),
            by: coordinator, at: time)
        return id
    }

    /// Dispatched at `time`, then read and acknowledged by the mentor: ready to complete.
    public func acknowledged(at time: Date, honorariumEligible: Bool = true) async throws -> AssignmentID {
        let id = try await dispatch(at: time, honorariumEligible: honorariumEligible)
        _ = try await store.transition(id, to: .read, by: mentor, at: time + 60)
        _ = try await store.transition(id, to: .acknowledged, by: mentor, at: time + 120)
        return id
    }

    /// An SQL count (`SELECT count(*) AS n …`).
    public func count(_ sql: String) async throws -> Int {
        try await database.withOwnerConnection { try $0.query(sql).first!.decode("n", as: Int.self) }
    }
}
