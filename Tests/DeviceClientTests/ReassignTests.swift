import AssignmentCore
import DatabaseTestSupport
import DeviceClient
import Envelope
import Foundation
import Postgres
import Storage
import Testing

/// `dispatch reassign` (issue 16, part 5): the coordinator's device sends the case again to someone
/// else, from its own copy, in the order that keeps the old one open if anything fails halfway.
extension EndToEndTests {
    @Test("reassign after a decline and while open: the new peer mentor opens the same case, the old one is closed, and a run that stopped halfway is finished by running again")
    func reassign() async throws {
        try await live { world in
            let (setup, clock) = (world.setup, world.clock)
            let database = setup.accounts.database
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let (mentor2, mentor2Device) = try await world.signedInDevice("mentor2")
            let payload = CasePayload(contactName: "Kari Nordmann", address: "Storgata 1", epikrise: "Svaksynt")
            func send(_ title: String) async throws -> AssignmentID {
                try await coordinator.send(
                    AssignmentDraft(recipient: "mentor", title: title, geographicRegion: "Vest"), payload: payload, from: coordinatorDevice
                ).assignment.assignmentID!
            }

            // After a decline: the server destroyed everything; the coordinator's device still has its copy.
            let declined = try await send("Oppdrag 1")
            _ = try await mentor.decline(declined, reason: .noCapacity)
            #expect(try await coordinator.sync(device: coordinatorDevice.fingerprint).sentCopiesWiped.isEmpty, "kept after a decline, to reassign")
            #expect(try await coordinator.suggestions(declined).map(\.handle) == ["mentor2"])
            let first = try await coordinator.reassign(declined, to: "mentor2", with: coordinatorDevice)
            let newID = try #require(first.assignment?.assignmentID)
            #expect(first.assignment?.reassignedFrom == declined.description && first.assignment?.geographicRegion == "Vest" && !first.cancelledOld)
            #expect(try await mentor2.sync(device: mentor2Device.fingerprint).downloaded == [newID])
            #expect(try await mentor2.open(newID, with: mentor2Device).payload == payload, "the same case, sealed anew for the new peer mentor")
            #expect(try await coordinator.overview().recentlyDeclined.isEmpty, "no longer waiting to be sent to someone else")
            #expect(try coordinator.folder.sentEnvelope(declined) == nil && (try coordinator.folder.sentEnvelope(newID)) != nil)
            let history = try await coordinator.subjectReport(name: "Kari Nordmann", phone: nil, with: coordinatorDevice)
            #expect(history.entries.map(\.assignment.id) == [newID.description], "the open one is found; the declined one has no case left")
            // Once only: the server refuses a second reassignment of the same assignment.
            await #expect { try await coordinator.reassign(declined, to: "mentor2", with: coordinatorDevice) } throws: {
                ($0 as? DeviceClientError)?.code == "no_sender_copy"
            }

            // While open (no contact made): the old one is cancelled after the new one exists.
            let quiet = try await send("Oppdrag 2")
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [quiet])
            let second = try await coordinator.reassign(quiet, to: "mentor2", with: coordinatorDevice)
            let secondID = try #require(second.assignment?.assignmentID)
            #expect(second.cancelledOld)
            let old = try await AssignmentStore(database: database).assignment(quiet, as: setup.accounts.user("coord", in: setup.organization.id).context)
            #expect(old.status == .cancelled && old.cancellationReason == "Reassigned to another peer mentor")
            let link = try await Self.scalar(
                "SELECT count(*) AS n FROM audit_entries WHERE subject_id = $1 AND action = 'assignment.reassigned' AND details->>'to' = $2",
                [quiet, secondID.description], in: database)
            #expect(link == 1, "the old assignment's audit names the new one")
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).wiped == [quiet], "the old peer mentor's copy goes")

            // Stopped halfway: the new assignment exists (made here as the device would have) but the
            // old one was never cancelled. It is still open; running reassign again finishes the job.
            let halfway = try await send("Oppdrag 3")
            let coordinatorContext = try await setup.accounts.user("coord", in: setup.organization.id).context
            let orphanID = AssignmentID(UUID())
            let mentor2ID = try await setup.accounts.user("mentor2", in: setup.organization.id).context.userID
            let envelope = try EnvelopeSealer().seal(
                payload: Array("{}".utf8), assignmentID: orphanID.uuid, organizationID: setup.organization.id.uuid, sender: coordinatorDevice,
                recipients: [mentor2Device.publicKeys, coordinatorDevice.publicKeys])
            _ = try await AssignmentStore(database: database).dispatch(
                DispatchSubmission(id: orphanID, recipientID: mentor2ID, title: "Oppdrag 3", envelope: envelope.serialized, reassignedFrom: halfway),
                by: coordinatorContext, at: clock.now)
            #expect(try await AssignmentStore(database: database).assignment(halfway, as: coordinatorContext).status == .dispatched, "the old one stays open")
            let finished = try await coordinator.reassign(halfway, to: "mentor2", with: coordinatorDevice)
            #expect(finished.assignment == nil && finished.cancelledOld)
            #expect(try await AssignmentStore(database: database).assignment(halfway, as: coordinatorContext).status == .cancelled)
            #expect(try await Self.scalar("SELECT count(*) AS n FROM assignments WHERE reassigned_from = $1", [halfway], in: database) == 1)

            // Refusals: the same peer mentor, a closed assignment, someone else's assignment, too late after a decline.
            let sentBefore = coordinator.folder.sentIDs().count
            let another = try await send("Oppdrag 4")
            await #expect { try await coordinator.reassign(another, to: "mentor", with: coordinatorDevice) } throws: {
                ($0 as? DeviceClientError)?.code == "reassign_to_same_peer_mentor"
            }
            #expect(coordinator.folder.sentIDs().count == sentBefore + 1, "the refused new assignment left no copy behind")
            _ = try await setup.accounts.addUser(to: setup.organization.id, handle: "coord2", role: .coordinator, at: clock.now)
            let coord2 = try await setup.accounts.user("coord2", in: setup.organization.id).context
            let stranger = AssignmentID(UUID())
            await #expect {
                try await AssignmentStore(database: database).dispatch(
                    DispatchSubmission(id: stranger, recipientID: mentor2ID, title: "Oppdrag 4", envelope: [], reassignedFrom: another), by: coord2, at: clock.now)
            } throws: { ($0 as? DomainError) != nil || ($0 as? EnvelopeError) != nil }
            _ = try await coordinator.cancel(another, reason: "No longer needed")
            await #expect { try await coordinator.reassign(another, to: "mentor2", with: coordinatorDevice) } throws: {
                ($0 as? DeviceClientError)?.code == "reassign_not_allowed"
            }
            let late = try await send("Oppdrag 5")
            _ = try await mentor.decline(late, reason: .tooFar)
            clock.advance(by: TimeInterval(Reassignment.declinedWindowDays + 1) * 86_400)
            // The set-up's tokens last 30 days: the coordinator signs in again.
            try await coordinator.login(
                server: world.server, token: try await setup.accounts.issueToken(for: "coord", in: setup.organization.id, lifetime: 86_400, at: clock.now).token)
            #expect(try await coordinator.sync(device: coordinatorDevice.fingerprint).sentCopiesWiped.contains(late), "the copy goes after the window")
            await #expect { try await coordinator.reassign(late, to: "mentor2", with: coordinatorDevice) } throws: {
                ($0 as? DeviceClientError)?.code == "no_sender_copy"
            }
        }
    }

    @Test("the reassignment rules, on the server: only the dispatching coordinator, only open or recently declined, never to the same peer mentor, once")
    func reassignRules() async throws {
        try await live { world in
            let (setup, clock) = (world.setup, world.clock)
            let database = setup.accounts.database
            let (coordinator, coordinatorDevice, _, _) = try await world.signedInPair()
            _ = try await setup.accounts.addUser(to: setup.organization.id, handle: "coord2", role: .coordinator, at: clock.now)
            let mentor2 = try await setup.accounts.addUser(to: setup.organization.id, handle: "mentor2", role: .peerMentor, at: clock.now)
            let mentor2Device = try DeviceKeyPair.generate()
            _ = try await DeviceKeyStore(database: database).register(mentor2Device.publicKeys, label: nil, for: mentor2.context, at: clock.now)
            let coord = try await setup.accounts.user("coord", in: setup.organization.id).context
            let coord2 = try await setup.accounts.user("coord2", in: setup.organization.id).context
            let store = AssignmentStore(database: database)
            let old = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 1"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice)
                .assignment.assignmentID!
            func attempt(by sender: UserContext, to recipient: UserID, from: AssignmentID, device: DeviceKeyPair) async throws -> AssignmentID {
                let id = AssignmentID(UUID())
                let envelope = try EnvelopeSealer().seal(
                    payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: setup.organization.id.uuid, sender: device,
                    recipients: [mentor2Device.publicKeys])
                _ = try await store.dispatch(
                    DispatchSubmission(id: id, recipientID: recipient, title: "Oppdrag 1", envelope: envelope.serialized, reassignedFrom: from), by: sender, at: clock.now)
                return id
            }
            let coord2Device = try DeviceKeyPair.generate()
            _ = try await DeviceKeyStore(database: database).register(coord2Device.publicKeys, label: nil, for: coord2, at: clock.now)
            await #expect { try await attempt(by: coord2, to: mentor2.id, from: old, device: coord2Device) } throws: {
                if case DomainError.actorNotPermitted = $0 { return true } else { return false }
            }
            let mentorID = try await setup.accounts.user("mentor", in: setup.organization.id).context.userID
            await #expect { try await attempt(by: coord, to: mentorID, from: old, device: coordinatorDevice) } throws: {
                ($0 as? DomainError) == .reassignToSamePeerMentor
            }
            await #expect { try await attempt(by: coord, to: mentor2.id, from: AssignmentID(UUID()), device: coordinatorDevice) } throws: {
                ($0 as? DomainError) == .notFound
            }
            let first = try await attempt(by: coord, to: mentor2.id, from: old, device: coordinatorDevice)
            await #expect { try await attempt(by: coord, to: mentor2.id, from: old, device: coordinatorDevice) } throws: {
                ($0 as? DomainError) == .alreadyReassigned(to: first)
            }
            // The link is part of the record: no update may change it.
            await #expect {
                try await database.transaction(.scheduler) { try $0.execute("UPDATE assignments SET reassigned_from = NULL WHERE id = $1", [first]) }
            } throws: { ($0 as? PostgresError)?.sqlState == "AD004" }
            _ = try await store.transition(old, to: .cancelled, by: coord, at: clock.now, reason: "Reassigned")
            let closedOne = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 2"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice)
                .assignment.assignmentID!
            _ = try await store.transition(closedOne, to: .cancelled, by: coord, at: clock.now, reason: "Not needed")
            await #expect { try await attempt(by: coord, to: mentor2.id, from: closedOne, device: coordinatorDevice) } throws: {
                ($0 as? DomainError) == .reassignNotAllowed(.cancelled)
            }
        }
    }
}
