import AssignmentCore
import DatabaseTestSupport
import DeviceClient
import Envelope
import Foundation
import Jobs
import Postgres
import Storage
import Testing

/// Envelope formats 1 and 2 end to end (issue 17): which one a coordinator's device seals, that
/// each goes through send, sync, open, cancel and the sweeps, that a device can gain an X-Wing key
/// and keep its older assignments, and that an organisation can require format 2.
extension EndToEndTests {
    static func storedAlgorithm(_ id: AssignmentID, in database: Database) async throws -> String? {
        try await database.transaction(.scheduler) { try $0.query("SELECT algorithm FROM assignments WHERE id = $1", [id]).first?.decodeIfPresent("algorithm") }
    }

    @Test("format 2 to a device with an X-Wing key and format 1 to one without: each is sent, synced, opened, cancelled or completed, and swept")
    func bothFormats() async throws {
        try await live { world in
            let (setup, clock) = (world.setup, world.clock)
            let database = setup.accounts.database
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let (older, olderDevice) = try await world.signedInDevice("older", postQuantum: false)
            let payload = CasePayload(contactName: "Kari Nordmann", address: "Storgata 1", epikrise: "Svaksynt")
            func send(to handle: String, _ title: String, expiresAt: Date? = nil) async throws -> AssignmentID {
                try await coordinator.send(AssignmentDraft(recipient: handle, title: title, expiresAt: expiresAt), payload: payload, from: coordinatorDevice)
                    .assignment.assignmentID!
            }
            let modern = try await send(to: "mentor", "Oppdrag 1")
            let classical = try await send(to: "older", "Oppdrag 2")
            #expect(try await Self.storedAlgorithm(modern, in: database) == EnvelopeFormat.v2.algorithmName)
            #expect(try await Self.storedAlgorithm(classical, in: database) == EnvelopeFormat.v1.algorithmName)
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [modern])
            #expect(try await older.sync(device: olderDevice.fingerprint).downloaded == [classical])
            #expect(try AssignmentEnvelope.parse(try #require(try mentor.folder.cachedEnvelope(modern))).format == .v2)
            #expect(try AssignmentEnvelope.parse(try #require(try older.folder.cachedEnvelope(classical))).format == .v1)
            #expect(try await mentor.open(modern, with: mentorDevice).payload == payload)
            #expect(try await older.open(classical, with: olderDevice).payload == payload)
            #expect(try await coordinator.open(modern, with: coordinatorDevice).payload == payload, "the sender's copy, format 2 too")
            // Completed and cancelled: wiped from each device.
            for action in [ReceiptAction.acknowledge, .contact, .complete] { _ = try await mentor.report(action, on: modern) }
            _ = try await coordinator.cancel(classical, reason: "Sent twice")
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).wiped == [modern])
            #expect(try await older.sync(device: olderDevice.fingerprint).wiped == [classical])
            // The sweeps: a format 2 assignment past its expiry is expired and its sealed keys go.
            let expiring = try await send(to: "mentor", "Oppdrag 3", expiresAt: clock.now + 3_600)
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [expiring])
            clock.advance(by: 3_700)
            #expect(try await SweepJob.expiry(database: database, clock: { clock.now }).expired == [expiring])
            _ = try await SweepJob.keys(database: database, clock: { clock.now })
            let live = try await Self.scalar(
                "SELECT count(*) AS n FROM assignment_recipients WHERE assignment_id = $1 AND sealed_key IS NOT NULL", [expiring], in: database)
            #expect(live == 0)
            await #expect { try await mentor.open(expiring, with: mentorDevice) } throws: { ($0 as? DeviceClientError)?.code == "payload_expired" }
        }
    }

    @Test("a device that gains an X-Wing key registers it, its old key is retired, coordinators verify it aloud, and assignments sealed to the old key still open")
    func upgradedDevice() async throws {
        try await live { world in
            let setup = world.setup
            let coordinator = world.device("coordinator"), mentor = world.device("mentor")
            let coordinatorDevice = try DeviceKeyPair.generate()
            let before = try DeviceKeyPair.generate(postQuantum: false)
            try await coordinator.login(server: world.server, token: setup.coordinatorToken)
            try await mentor.login(server: world.server, token: setup.mentorToken)
            _ = try await coordinator.registerKeys(coordinatorDevice.publicKeys)
            _ = try await mentor.registerKeys(before.publicKeys)
            let payload = CasePayload(contactName: "Ola Nordmann")
            let old = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 1"), payload: payload, from: coordinatorDevice).assignment.assignmentID!
            #expect(try await Self.storedAlgorithm(old, in: setup.accounts.database) == EnvelopeFormat.v1.algorithmName)

            let after = try before.addingPostQuantumKey()
            let registered = try await mentor.registerKeys(after.publicKeys)
            #expect(registered.fingerprint == after.fingerprint.hex && registered.kemPublicKey != nil)
            let keys = try await mentor.keys(of: "mentor").keys.keys
            #expect(keys.map(\.fingerprint) == [after.fingerprint.hex], "the old registration is retired: only the new key is active")
            // The coordinator's device has pinned the old key: the new one must be verified aloud first.
            await #expect { try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 2"), payload: payload, from: coordinatorDevice) } throws: {
                ($0 as? DeviceClientError)?.code == "key_changed"
            }
            _ = try await coordinator.verifyKey(of: "mentor", fingerprint: after.fingerprint.readAloud.joined(separator: " "))
            let new = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 2"), payload: payload, from: coordinatorDevice).assignment.assignmentID!
            #expect(try await Self.storedAlgorithm(new, in: setup.accounts.database) == EnvelopeFormat.v2.algorithmName)

            // One sync downloads both, each under the fingerprint it was sealed to; both open.
            #expect(Set(try await mentor.sync(device: after.fingerprint, formerly: before.fingerprint).downloaded) == [old, new])
            #expect(try await mentor.open(old, with: after).payload == payload)
            #expect(try await mentor.open(new, with: after).payload == payload)
            // Its erasure receipts name the key each copy was sealed to, and verify.
            _ = try await coordinator.cancel(old, reason: "No longer needed")
            _ = try await coordinator.cancel(new, reason: "No longer needed")
            let report = try await mentor.sync(device: after.fingerprint, formerly: before.fingerprint, signingWith: after)
            #expect(report.erasureReceiptsSent == 2 && report.receiptsRefused.isEmpty, "\(report)")
        }
    }

    @Test("an organisation that requires format 2 refuses format 1 with a clear problem, and a downgraded envelope too; nothing is stored")
    func requiredFormatTwo() async throws {
        try await live { world in
            let (setup, clock) = (world.setup, world.clock)
            let database = setup.accounts.database
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let (older, olderDevice) = try await world.signedInDevice("older", postQuantum: false)
            var settings = setup.organization.settings
            settings.requirePostQuantum = true
            _ = try await setup.accounts.updateSettings(of: setup.organization.id, to: settings, at: clock.now)

            let snapshot = try await DatabaseSnapshot.take(database)
            let sentBefore = coordinator.folder.sentIDs().count
            await #expect { try await coordinator.send(AssignmentDraft(recipient: "older", title: "Oppdrag 1"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice) } throws: { error in
                guard case DeviceClientError.server(422, "post_quantum_required", let detail) = error else { return false }
                return detail.contains("dispatch keys upgrade") && detail.contains("register")
            }
            // A format 1 envelope for a device that has an X-Wing key: a downgrade, refused the same way.
            let coordinatorContext = try await setup.accounts.user("coord", in: setup.organization.id).context
            let mentorID = try await setup.accounts.user("mentor", in: setup.organization.id).id
            let id = AssignmentID(UUID())
            let downgraded = try EnvelopeSealer().seal(
                payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: setup.organization.id.uuid, sender: coordinatorDevice,
                recipients: [mentorDevice.publicKeys], format: .v1)
            await #expect(throws: DomainError.postQuantumRequired) {
                try await AssignmentStore(database: database).dispatch(
                    DispatchSubmission(id: id, recipientID: mentorID, title: "Oppdrag 2", envelope: downgraded.serialized), by: coordinatorContext, at: clock.now)
            }
            #expect(DatabaseSnapshot.changedTables(snapshot, try await DatabaseSnapshot.take(database)).isEmpty, "refused dispatches store nothing")
            #expect(coordinator.folder.sentIDs().count == sentBefore, "and leave no copy on the device")
            // Format 2 to the device with an X-Wing key goes through.
            let sent = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 3"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice)
            #expect(try await Self.storedAlgorithm(sent.assignment.assignmentID!, in: database) == EnvelopeFormat.v2.algorithmName)
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded.count == 1)
        }
    }
}
