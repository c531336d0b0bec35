import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// Declining on the teaser (docs/domain.md, "Declining"), through the real router: only the peer
/// mentor, only before reading, with a reason from the fixed list; the case and every sealed key go
/// in the same transaction; the coordinator is told (with nothing of the case) and sees it in the
/// overview; it never counts for the honorarium.
@Suite("Declining before reading")
struct DeclineTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("the peer mentor declines on the teaser: the case and its keys go at once, the coordinator is told and sees it; nothing else may decline")
    func declineFlow() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let database = accounts.database
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            func dispatch() async throws -> AssignmentID {
                let id = AssignmentID(UUID())
                let response = try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken)
                #expect(response.status == .created)
                return id
            }
            func decline(_ id: AssignmentID, reason: String, as token: String) async throws -> TestResponse {
                try await world.post(client, "/v1/assignments/\(id)/decline", body: #"{"reason":"\#(reason)"}"#, as: token)
            }
            let delivered = try await dispatch()
            let envelope = try await client.execute(
                uri: "/v1/assignments/\(delivered)/envelope?device=\(world.mentorDevice.fingerprint.hex)", method: .get,
                headers: [.authorization: "Bearer \(world.mentorToken)"])
            #expect(envelope.status == .ok)

            // Refused, and nothing changes: the coordinator, a reason off the list, free text.
            for (reason, token, status) in [
                ("no_capacity", world.coordinatorToken, HTTPResponse.Status.forbidden), ("busy", world.mentorToken, .badRequest),
                ("Ring 912 34 567", world.mentorToken, .badRequest),
            ] {
                let before = try await DatabaseSnapshot.take(database)
                #expect(try await decline(delivered, reason: reason, as: token).status == status, "\(reason)")
                #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(database)).isEmpty)
            }

            clock.advance(by: 60)
            let declined = try await decline(delivered, reason: "too_far", as: world.mentorToken)
            #expect(declined.status == .ok, "\(String(buffer: declined.body))")
            let body = try JSONSerialization.jsonObject(with: Data(buffer: declined.body)) as? [String: Any]
            #expect(body?["status"] as? String == "declined" && body?["decline_reason"] as? String == "too_far" && body?["payload_destroyed"] as? Bool == true)

            // In the database: no ciphertext, no sealed key, one event with the reason, one audit entry.
            let (ciphertexts, keys, reasons, audit) = try await database.transaction(.scheduler) { db in
                (try db.query("SELECT count(*) AS n FROM assignments WHERE id = $1 AND ciphertext IS NOT NULL", [delivered]).first!.decode("n", as: Int.self),
                 try db.query("SELECT count(*) AS n FROM assignment_recipients WHERE assignment_id = $1 AND sealed_key IS NOT NULL", [delivered]).first!.decode("n", as: Int.self),
                 try db.query("SELECT reason FROM assignment_events WHERE assignment_id = $1 AND to_status = 'declined'", [delivered]).map { try $0.decode("reason", as: String.self) },
                 try db.query("SELECT details::text AS d FROM audit_entries WHERE subject_id = $1 AND details ->> 'to' = 'declined'", [delivered]).map { try $0.decode("d", as: String.self) })
            }
            #expect(ciphertexts == 0 && keys == 0)
            #expect(reasons == ["too_far"])
            #expect(audit.count == 1 && audit[0].contains(#""reason": "too_far""#), "\(audit)")
            // The coordinator is told, in a sentence with nothing of the case or the reason.
            let notifications = try await database.transaction(.scheduler) { db in
                try db.query("SELECT kind, recipient_user_id FROM notifications WHERE assignment_id = $1 AND kind = 'assignment_declined'", [delivered])
                    .map { (try $0.decode("kind", as: String.self), try $0.decode("recipient_user_id", as: UserID.self)) }
            }
            #expect(notifications.map(\.1) == [world.coordinator.userID])

            // Closed: no envelope, no reading, no second decline.
            let gone = try await client.execute(
                uri: "/v1/assignments/\(delivered)/envelope?device=\(world.mentorDevice.fingerprint.hex)", method: .get,
                headers: [.authorization: "Bearer \(world.mentorToken)"])
            #expect(gone.status == .gone && String(buffer: gone.body).contains("payload_declined"))
            #expect(try await world.post(client, "/v1/assignments/\(delivered)/read", body: "", as: world.mentorToken).status == .conflict)
            #expect(try await decline(delivered, reason: "other", as: world.mentorToken).status == .conflict)

            // Once read, it can no longer be declined.
            let read = try await dispatch()
            #expect(try await world.post(client, "/v1/assignments/\(read)/read", body: "", as: world.mentorToken).status == .ok)
            let late = try await decline(read, reason: "no_capacity", as: world.mentorToken)
            #expect(late.status == .conflict && String(buffer: late.body).contains("invalid_transition"))

            // The coordinator's overview lists it among the recent declines.
            let overview = try await client.execute(uri: "/v1/assignments", method: .get, headers: [.authorization: "Bearer \(world.coordinatorToken)"])
            let page = try JSONSerialization.jsonObject(with: Data(buffer: overview.body)) as? [String: Any]
            let recent = page?["recently_declined"] as? [[String: Any]] ?? []
            #expect(recent.map { $0["id"] as? String } == [delivered.description])
            #expect(recent.first?["decline_reason"] as? String == "too_far" && recent.first?["peer_mentor_handle"] as? String == "mentor")
            #expect((page?["assignments"] as? [[String: Any]] ?? []).allSatisfy { $0["id"] as? String != delivered.description }, "closed: not among the open ones")
        }
        // Never counted for the honorarium.
        let counted = try await database.transaction(.scheduler) { db in
            try db.query("SELECT count(*) AS n FROM honorarium_entries WHERE peer_mentor_id = $1", [world.mentor.userID]).first!.decode("n", as: Int.self)
        }
        #expect(counted == 0)
    }
}
