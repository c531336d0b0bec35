import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Server
import Storage
import Testing

/// The decryption receipt (`POST /v1/assignments/{id}/opened`, docs/audit.md): each opening on a
/// device is an audit entry naming the device and the time it reports, the first marks the
/// assignment read, and impossible receipts are refused with nothing written.
@Suite("Decryption receipts over HTTP")
struct DecryptionReceiptTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    struct Opening: Sendable {
        var actorID: UserID
        var occurredAt: Date
        var openedAt: String
        var rightDevice: Bool
    }

    func openings(of id: AssignmentID, device: KeyFingerprint, in database: Database) async throws -> [Opening] {
        try await database.withOwnerConnection { db in
            try db.query(
                """
                SELECT a.actor_id, a.occurred_at, a.details->>'opened_at' AS opened_at, (a.details->>'device_key_id')::uuid = k.id AS right_device
                  FROM audit_entries a JOIN device_keys k ON k.fingerprint = $2
                 WHERE a.action = 'assignment.payload_opened' AND a.subject_id = $1
                 ORDER BY a.id
                """, [id, device.bytes]
            ).map {
                Opening(
                    actorID: try $0.decode("actor_id"), occurredAt: try $0.decode("occurred_at"), openedAt: try $0.decode("opened_at"),
                    rightDevice: try $0.decode("right_device"))
            }
        }
    }

    /// An organisation with a coordinator and a peer mentor with registered devices, and an
    /// assignment dispatched to the mentor a minute ago; `body` sends receipts through the router.
    func withDispatchedAssignment(
        _ body: @Sendable (any TestClientProtocol, DispatchWorld, AccountStore, AssignmentID) async throws -> Void
    ) async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let clock = self.clock
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let id = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken).status == .created)
            clock.advance(by: 60)
            try await body(client, world, accounts, id)
        }
    }

    @Test("every opening is an audit entry with the device and its time; the first marks the assignment read, once")
    func everyOpeningIsAudited() async throws {
        let clock = self.clock
        try await withDispatchedAssignment { client, world, accounts, id in
            let download = try await client.execute(
                uri: "/v1/assignments/\(id)/envelope?device=\(world.mentorDevice.fingerprint.hex)", method: .get,
                headers: [.authorization: "Bearer \(world.mentorToken)"])
            #expect(download.status == .ok)

            // Opened twice offline, an hour apart, reported together later.
            let firstOpening = clock.now.addingTimeInterval(60)
            let secondOpening = clock.now.addingTimeInterval(3_660)
            clock.advance(by: 7_200)
            let first = try await world.post(client, "/v1/assignments/\(id)/opened", body: openingReceipt(device: world.mentorDevice.fingerprint, openedAt: firstOpening), as: world.mentorToken)
            #expect(first.status == .ok)
            let readAt = clock.now
            clock.advance(by: 1)
            let second = try await world.post(client, "/v1/assignments/\(id)/opened", body: openingReceipt(device: world.mentorDevice.fingerprint, openedAt: secondOpening), as: world.mentorToken)
            #expect(second.status == .ok)
            // The same receipt again (its answer was lost): the same opening, not a third one.
            let replay = try await world.post(client, "/v1/assignments/\(id)/opened", body: openingReceipt(device: world.mentorDevice.fingerprint, openedAt: secondOpening), as: world.mentorToken)
            #expect(replay.status == .ok)

            let state = try await accounts.database.withOwnerConnection { db in
                try db.query("SELECT status, read_at FROM assignments WHERE id = $1", [id]).first!
            }
            #expect(try state.decode("status", as: String.self) == "read")
            #expect(try state.decode("read_at", as: Date.self) == PostgresTimestamp.truncatedToMicroseconds(readAt), "the first receipt sets the read time; the second does not move it")

            let rows = try await openings(of: id, device: world.mentorDevice.fingerprint, in: accounts.database)
            #expect(rows.count == 2, "two openings, each recorded once")
            #expect(rows.allSatisfy { $0.actorID == world.mentor.userID && $0.rightDevice })
            #expect(rows.map(\.openedAt) == [firstOpening, secondOpening].map { PostgresTimestamp.format($0) })
        }
    }

    @Test("receipts from the wrong person, an unknown device, an impossible time or a hostile body are refused and write nothing")
    func refusals() async throws {
        let clock = self.clock
        try await withDispatchedAssignment { client, world, accounts, id in
            let otherDevice = try DeviceKeyPair.generate()
            let now = clock.now
            let cases: [(String, String, String, HTTPResponse.Status, String?)] = [
                ("the coordinator is not the recipient", openingReceipt(device: world.coordinatorDevice.fingerprint, openedAt: now), world.coordinatorToken, .forbidden, "actor_not_permitted"),
                ("a device that was not sealed to", openingReceipt(device: otherDevice.fingerprint, openedAt: now), world.mentorToken, .unprocessableContent, "not_a_recipient"),
                ("opened in the future", openingReceipt(device: world.mentorDevice.fingerprint, openedAt: now.addingTimeInterval(3_600)), world.mentorToken, .unprocessableContent, "opened_at_impossible"),
                ("opened before it was sent", openingReceipt(device: world.mentorDevice.fingerprint, openedAt: now.addingTimeInterval(-86_400)), world.mentorToken, .unprocessableContent, "opened_at_impossible"),
                ("no time", #"{"device":"\#(world.mentorDevice.fingerprint.hex)"}"#, world.mentorToken, .badRequest, nil),
                ("not a fingerprint", #"{"device":"' OR 1=1 --","opened_at":"\#(ISO8601DateFormatter().string(from: now))"}"#, world.mentorToken, .unprocessableContent, "invalid_value"),
                ("an extra member", #"{"device":"\#(world.mentorDevice.fingerprint.hex)","opened_at":"\#(ISO8601DateFormatter().string(from: now))","status":"completed"}"#, world.mentorToken, .badRequest, nil),
            ]
            let before = try await count("SELECT count(*)::int AS n FROM audit_entries", accounts.database)
            for (name, text, token, status, code) in cases {
                let response = try await world.post(client, "/v1/assignments/\(id)/opened", body: text, as: token)
                #expect(response.status == status, "\(name)")
                if let code { #expect(problemCode(response) == code, "\(name)") }
            }
            #expect(try await count("SELECT count(*)::int AS n FROM audit_entries", accounts.database) == before)
            #expect(try await count("SELECT count(*)::int AS n FROM assignments WHERE status = 'dispatched'", accounts.database) == 1)
        }
    }

    @Test("an opening reported after the assignment was cancelled is still audited, and moves nothing")
    func afterCancellation() async throws {
        let clock = self.clock
        try await withDispatchedAssignment { client, world, accounts, id in
            let openedOffline = clock.now
            clock.advance(by: 600)
            let cancel = try await world.post(client, "/v1/assignments/\(id)/cancel", body: #"{"reason":"Sent to the wrong mentor"}"#, as: world.coordinatorToken)
            #expect(cancel.status == .ok)
            clock.advance(by: 600)
            let late = try await world.post(client, "/v1/assignments/\(id)/opened", body: openingReceipt(device: world.mentorDevice.fingerprint, openedAt: openedOffline), as: world.mentorToken)
            #expect(late.status == .ok)
            let rows = try await openings(of: id, device: world.mentorDevice.fingerprint, in: accounts.database)
            #expect(rows.map(\.openedAt) == [PostgresTimestamp.format(openedOffline)])
            #expect(try await count("SELECT count(*)::int AS n FROM assignments WHERE status = 'cancelled' AND read_at IS NULL", accounts.database) == 1)
        }
    }
}
