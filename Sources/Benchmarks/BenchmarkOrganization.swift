import AssignmentCore
import Envelope
import Foundation
import Postgres
import Storage

/// An organisation made through the stores, as the admin commands make one: a coordinator and a
/// peer mentor, each with a registered device, for the benchmarks that go through the HTTP API.
struct BenchmarkOrganization: Sendable {
    let organization: OrganizationRecord
    let coordinator: UserRecord
    let mentor: UserRecord
    /// The coordinator's device, which seals, and the peer mentor's, which the envelopes are for.
    let sender: DeviceKeyPair
    let device: DeviceKeyPair
    let mentorKey: RegisteredDeviceKey
    /// One sealer for every envelope of the run, as a device keeps one (its guarded workspace is reused).
    let sealer = EnvelopeSealer()

    static func make(named name: String, database: Database, at time: Date) async throws -> BenchmarkOrganization {
        let accounts = AccountStore(database: database)
        let organization = try await accounts.createOrganization(name: name, at: time)
        let coordinator = try await accounts.addUser(to: organization.id, handle: "coordinator", role: .coordinator, at: time)
        let mentor = try await accounts.addUser(to: organization.id, handle: "mentor", role: .peerMentor, at: time)
        let sender = try DeviceKeyPair.generate(), device = try DeviceKeyPair.generate()
        let keys = DeviceKeyStore(database: database)
        _ = try await keys.register(sender.publicKeys, label: nil, for: coordinator.context, at: time)
        let mentorKey = try await keys.register(device.publicKeys, label: nil, for: mentor.context, at: time)
        return BenchmarkOrganization(
            organization: organization, coordinator: coordinator, mentor: mentor, sender: sender, device: device, mentorKey: mentorKey)
    }

    /// A sealed envelope of `payload` for the peer mentor's device, as the coordinator's device makes it.
    func seal(_ payload: [UInt8], for assignment: UUID) throws -> AssignmentEnvelope {
        try sealer.seal(payload: payload, assignmentID: assignment, organizationID: organization.id.uuid, sender: sender, recipients: [device.publicKeys])
    }
}
