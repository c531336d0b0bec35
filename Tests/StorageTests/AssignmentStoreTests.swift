import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Storage
import Testing

/// Dispatch, download and the lifecycle through the store, with real envelopes opened by the
/// recipient's device keys.
@Suite("Assignment store")
struct AssignmentStoreTests {
    let now = StorageFixtures.start

    struct World {
        var store: AssignmentStore
        var accounts: AccountStore
        var organization: OrganizationID
        var coordinator: UserContext
        var mentor: UserContext
        var otherMentor: UserContext
        var coordinatorDevice: DeviceKeyPair
        var mentorDevice: DeviceKeyPair
    }

    func world() async throws -> World {
        let database = try await TestPostgres.database()
        let accounts = AccountStore(database: database)
        let keys = DeviceKeyStore(database: database)
        let org = try await accounts.createOrganization(name: "Blindeforbundet", at: now)
        let coordinator = try await accounts.addUser(to: org.id, handle: "coord", role: .coordinator, at: now).context
        let mentor = try await accounts.addUser(to: org.id, handle: "mentor", role: .peerMentor, at: now).context
        let otherMentor = try await accounts.addUser(to: org.id, handle: "mentor2", role: .peerMentor, at: now).context
        let coordinatorDevice = try DeviceKeyPair.generate()
        let mentorDevice = try DeviceKeyPair.generate()
        _ = try await keys.register(coordinatorDevice.publicKeys, label: nil, for: coordinator, at: now)
        _ = try await keys.register(mentorDevice.publicKeys, label: nil, for: mentor, at: now)
        _ = try await keys.register(try DeviceKeyPair.generate().publicKeys, label: nil, for: otherMentor, at: now)
        return World(store: AssignmentStore(database: database), accounts: accounts, organization: org.id, coordinator: coordinator, mentor: mentor,
                      otherMentor: otherMentor, coordinatorDevice: coordinatorDevice, mentorDevice: mentorDevice)
    }

    func submission(_ world: World, id: AssignmentID = AssignmentID(UUID()), payload: String = #"{"contact_name":"Kari","version":1}"#,
                    title: String = "Oppdrag 42", to recipients: [DeviceKeyPair]? = nil, signer: DeviceKeyPair? = nil,
                    expiresAt: Date? = nil) throws -> DispatchSubmission {
        let envelope = try EnvelopeSealer().seal(
            payload: Array(payload.utf8), assignmentID: id.uuid, organizationID: world.organization.uuid, sender: signer ?? world.coordinatorDevice,
            recipients: (recipients ?? [world.mentorDevice]).map(\.publicKeys))
        return DispatchSubmission(id: id, recipientID: world.mentor.userID, title: title, expiresAt: expiresAt, envelope: envelope.serialized)
    }

    func open(_ bytes: [UInt8], _ world: World, id: AssignmentID) throws -> String {
        String(decoding: try EnvelopeOpener.open(
            AssignmentEnvelope.parse(bytes), recipient: world.mentorDevice, sender: world.coordinatorDevice.publicKeys,
            assignmentID: id.uuid, organizationID: world.organization.uuid), as: UTF8.self)
    }

    @Test("dispatch, download (delivered), read, acknowledge, contact, complete")
    func fullWalk() async throws {
        let world = try await world()
        let request = try submission(world)
        let result = try await world.store.dispatch(request, by: world.coordinator, at: now)
        let (dispatched, warnings) = (result.assignment, result.warnings)
        #expect(dispatched.status == .dispatched)
        #expect(warnings.isEmpty)
        #expect(dispatched.nextReminderAt != nil, "the first reminder is scheduled at dispatch")
        let envelope = try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: now + 60)
        #expect(try open(envelope, world, id: request.id) == #"{"contact_name":"Kari","version":1}"#)
        #expect(try await world.store.assignment(request.id, as: world.coordinator).status == .delivered)
        _ = try await world.store.transition(request.id, to: .read, by: world.mentor, at: now + 120)
        _ = try await world.store.transition(request.id, to: .acknowledged, by: world.mentor, at: now + 180)
        let contacted = try await world.store.recordContact(request.id, by: world.mentor, at: now + 240)
        #expect(contacted.contactMadeAt == now + 240)
        #expect(contacted.nextReminderAt == nil)
        let completed = try await world.store.transition(request.id, to: .completed, by: world.coordinator, at: now + 300)
        #expect(completed.status == .completed)
        #expect(completed.deliveredAt == now + 60 && completed.readAt == now + 120 && completed.acknowledgedAt == now + 180)
    }

    @Test("cancelling destroys the payload: the download answers payload_cancelled")
    func cancellation() async throws {
        let world = try await world()
        let request = try submission(world)
        _ = try await world.store.dispatch(request, by: world.coordinator, at: now)
        let cancelled = try await world.store.transition(request.id, to: .cancelled, by: world.coordinator, at: now + 60, reason: "Sent to the wrong mentor")
        #expect(cancelled.payloadDestroyedAt == now + 60)
        await #expect(throws: DomainError.payloadCancelled) {
            try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: now + 120)
        }
    }

    @Test("after expires_at the download answers payload_expired")
    func expiry() async throws {
        let world = try await world()
        let request = try submission(world, expiresAt: now + 3600)
        _ = try await world.store.dispatch(request, by: world.coordinator, at: now)
        await #expect(throws: DomainError.payloadExpired) {
            try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: now + 3600)
        }
    }

    @Test("where consent is asked for, the envelope is withheld until the recipient gives it")
    func consent() async throws {
        let world = try await world()
        var request = try submission(world)
        request.requiresConsent = true
        _ = try await world.store.dispatch(request, by: world.coordinator, at: now)
        await #expect(throws: DomainError.consentRequired) {
            try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: now + 60)
        }
        await #expect(throws: DomainError.actorNotPermitted(from: .dispatched, to: .dispatched)) {
            try await world.store.giveConsent(request.id, by: world.coordinator, at: now + 90)
        }
        #expect(try await world.store.giveConsent(request.id, by: world.mentor, at: now + 120).consentGivenAt == now + 120)
        let envelope = try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: now + 180)
        #expect(try open(envelope, world, id: request.id).contains("Kari"))
    }

    @Test("only the recipient downloads, and only to a device of theirs")
    func downloadScope() async throws {
        let world = try await world()
        let request = try submission(world)
        _ = try await world.store.dispatch(request, by: world.coordinator, at: now)
        await #expect(throws: DomainError.notFound) {
            try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.otherMentor, at: now)
        }
        await #expect(throws: DomainError.actorNotPermitted(from: .dispatched, to: .dispatched)) {
            try await world.store.downloadEnvelope(request.id, forDevice: world.mentorDevice.fingerprint, by: world.coordinator, at: now)
        }
        await #expect(throws: EnvelopeError.notARecipient) {
            try await world.store.downloadEnvelope(request.id, forDevice: world.coordinatorDevice.fingerprint, by: world.mentor, at: now)
        }
        #expect(try await world.store.assignment(request.id, as: world.coordinator).status == .dispatched, "no failed download counts as delivery")
    }

    @Test("hostile dispatches are refused and store nothing")
    func hostileDispatches() async throws {
        let world = try await world()
        let good = try submission(world)
        _ = try await world.store.dispatch(good, by: world.coordinator, at: now)

        // The same id again, and the same envelope (nonce) under a new id.
        await #expect(throws: AssignmentError.alreadyExists) { try await world.store.dispatch(try submission(world, id: good.id), by: world.coordinator, at: now) }
        var replay = good
        replay.id = AssignmentID(UUID())
        await #expect(throws: EnvelopeError.wrongAssignment) { try await world.store.dispatch(replay, by: world.coordinator, at: now) }

        // A new envelope that reuses an earlier envelope's nonce (randomness replayed).
        let randomness = (0..<120).map { UInt8($0) }
        var first = try submission(world)
        var second = try submission(world)
        for index in [0, 1] {
            let id = index == 0 ? first.id : second.id
            let envelope = try EnvelopeSealer(random: ReplayRandomSource(bytes: randomness)).seal(
                payload: Array("x".utf8), assignmentID: id.uuid, organizationID: world.organization.uuid, sender: world.coordinatorDevice,
                recipients: [world.mentorDevice.publicKeys])
            if index == 0 { first.envelope = envelope.serialized } else { second.envelope = envelope.serialized }
        }
        _ = try await world.store.dispatch(first, by: world.coordinator, at: now)
        await #expect(throws: AssignmentError.nonceReused) { try await world.store.dispatch(second, by: world.coordinator, at: now) }

        // A ciphertext moved from another assignment: the signature no longer matches.
        let other = try submission(world)
        var moved = try AssignmentEnvelope.parse(other.envelope)
        moved.ciphertext = try AssignmentEnvelope.parse(good.envelope).ciphertext
        var swapped = other
        swapped.envelope = moved.serialized
        await #expect(throws: EnvelopeError.badSignature) { try await world.store.dispatch(swapped, by: world.coordinator, at: now) }

        // Signed by a key that is not the coordinator's registered key.
        await #expect(throws: AssignmentError.senderKeyUnknown) {
            try await world.store.dispatch(try submission(world, signer: try DeviceKeyPair.generate()), by: world.coordinator, at: now)
        }
        // Sealed to a device that is not the recipient's.
        await #expect(throws: DomainError.keyFingerprintMismatch) {
            try await world.store.dispatch(try submission(world, to: [try DeviceKeyPair.generate()]), by: world.coordinator, at: now)
        }
        // Plaintext instead of an envelope.
        var plaintext = try submission(world)
        plaintext.envelope = Array(#"{"contact_name":"Kari Nordmann"}"#.utf8)
        await #expect(throws: EnvelopeError.malformed("it does not start with the envelope marker")) {
            try await world.store.dispatch(plaintext, by: world.coordinator, at: now)
        }
        // A peer mentor cannot dispatch; a paused recipient cannot receive; a title with a phone number is refused.
        await #expect(throws: DomainError.coordinatorRoleRequired) { try await world.store.dispatch(try submission(world), by: world.mentor, at: now) }
        await #expect { try await world.store.dispatch(try submission(world, title: "Ring 41234567"), by: world.coordinator, at: now) } throws: {
            ($0 as? DomainError)?.code == "personal_data_in_text"
        }
        _ = try await world.accounts.setStatus(of: "mentor", in: world.organization, to: .paused, at: now)
        await #expect(throws: DomainError.recipientNotActive(.paused)) { try await world.store.dispatch(try submission(world), by: world.coordinator, at: now) }
        _ = try await world.accounts.setStatus(of: "mentor", in: world.organization, to: .active, at: now)
        var settings = try await world.accounts.organization("Blindeforbundet").settings
        settings.encryptedAssignmentsEnabled = false
        _ = try await world.accounts.updateSettings(of: world.organization, to: settings, at: now)
        await #expect(throws: DomainError.moduleDisabled) { try await world.store.dispatch(try submission(world), by: world.coordinator, at: now) }

        let count = try await world.store.database.withOwnerConnection { try $0.query("SELECT count(*) AS n FROM assignments").first!.decode("n", as: Int.self) }
        #expect(count == 2, "only the two good dispatches were stored")
    }
}
