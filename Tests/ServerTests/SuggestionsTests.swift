import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// Reassignment suggestions (issue 16, part 5) through the real router: who may ask, who is
/// suggested, and in which order.
@Suite("Reassignment suggestions")
struct SuggestionsTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("ranked by local association, then region, then fewest open assignments; never the declining mentor, the paused, the keyless or the uncertified")
    func ranking() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let database = accounts.database
        let now = clock.now
        let org = try await accounts.createOrganization(name: "Blindeforbundet", at: now)
        let oslo = try await accounts.createLocalAssociation(in: org.id, name: "Oslo", at: now)
        _ = try await accounts.createLocalAssociation(in: org.id, name: "Bergen", at: now)
        let keys = DeviceKeyStore(database: database)
        let store = AssignmentStore(database: database)
        var devices: [String: DeviceKeyPair] = [:]
        var users: [String: UserRecord] = [:]
        for (handle, role, association) in [
            ("coord", Role.coordinator, "Oslo"), ("coord2", .coordinator, "Bergen"), ("coord3", .coordinator, nil), ("admin", .organizationAdmin, nil), ("declined", .peerMentor, "Oslo"),
            ("oslo-vest", .peerMentor, "Oslo"), ("oslo-busy", .peerMentor, "Oslo"), ("oslo-new", .peerMentor, "Oslo"), ("bergen-vest", .peerMentor, "Bergen"),
            ("paused", .peerMentor, "Oslo"), ("keyless", .peerMentor, "Oslo"), ("uncertified", .peerMentor, "Oslo"),
        ] as [(String, Role, String?)] {
            let user = try await accounts.addUser(to: org.id, handle: handle, role: role, localAssociation: association, at: now)
            users[handle] = user
            guard handle != "keyless" else { continue }
            let device = try DeviceKeyPair.generate()
            devices[handle] = device
            _ = try await keys.register(device.publicKeys, label: nil, for: user.context, at: now)
        }
        _ = try await accounts.setStatus(of: "paused", in: org.id, to: .paused, at: now)
        let uncertified = users["uncertified"]!.id
        try await database.transaction(.scheduler) { db in
            try db.execute("UPDATE users SET certification_expires_at = $2 WHERE id = $1", [uncertified, now - 86_400])
        }
        func send(to handle: String, region: String?) async throws -> AssignmentID {
            let id = AssignmentID(UUID())
            let envelope = try EnvelopeSealer().seal(
                payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: org.id.uuid, sender: devices["coord"]!, recipients: [devices[handle]!.publicKeys])
            _ = try await store.dispatch(
                DispatchSubmission(id: id, recipientID: users[handle]!.id, localAssociationID: oslo, title: "Oppdrag", geographicRegion: region, envelope: envelope.serialized),
                by: users["coord"]!.context, at: now)
            return id
        }
        // History: two know the region Vest; one has two open assignments.
        let old = try await send(to: "oslo-vest", region: "Vest")
        _ = try await store.transition(old, to: .cancelled, by: users["coord"]!.context, at: now, reason: "Planned otherwise")
        _ = try await send(to: "bergen-vest", region: "vest")
        _ = try await send(to: "oslo-busy", region: nil)
        _ = try await send(to: "oslo-busy", region: nil)
        _ = try await send(to: "oslo-new", region: nil)
        let declined = try await send(to: "declined", region: "Vest")
        _ = try await store.transition(declined, to: .declined, by: users["declined"]!.context, at: now, reason: "too_far")

        var issued: [String: String] = [:]
        for handle in ["coord", "coord2", "coord3", "admin", "declined"] {
            issued[handle] = try await accounts.issueToken(for: handle, in: org.id, lifetime: 86_400, at: now).token
        }
        let tokens = issued
        try await application.test(.router) { client in
            func ask(_ handle: String, _ id: AssignmentID) async throws -> TestResponse {
                try await client.execute(uri: "/v1/assignments/\(id)/suggestions", method: .get, headers: [.authorization: "Bearer \(tokens[handle]!)"])
            }
            let answer = try await ask("coord", declined)
            #expect(answer.status == .ok)
            let list = try #require(try JSONSerialization.jsonObject(with: Data(buffer: answer.body)) as? [[String: Any]])
            #expect(list.map { $0["handle"] as? String } == ["oslo-vest", "oslo-new", "oslo-busy", "bergen-vest"], "\(list)")
            #expect(list.first?["same_local_association"] as? Bool == true && list.first?["knows_region"] as? Bool == true)
            #expect(list.first { $0["handle"] as? String == "oslo-busy" }?["open_assignments"] as? Int == 2)
            #expect(try await ask("admin", declined).status == .ok)
            // A coordinator who sees it but did not send it: refused; one of another local association
            // does not see it at all; its peer mentor: refused; a guessed id: 404.
            #expect(try await ask("coord3", declined).status == .forbidden)
            #expect(try await ask("coord2", declined).status == .notFound)
            #expect(try await ask("declined", declined).status == .forbidden)
            #expect(try await ask("coord", AssignmentID(UUID())).status == .notFound)
        }
    }
}
