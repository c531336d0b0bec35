import AssignmentCore
import AsyncHTTPClient
import DatabaseTestSupport
import DeviceClient
import Envelope
import Foundation
import Jobs
import NIOCore
import NIOHTTP1
import Postgres
import Storage
import Testing

/// Signed erasure receipts (issue 16, part 4), from the peer mentor's device to the compliance view.
extension EndToEndTests {
    /// A request as a device would make it, with `token`; the answer's status and body.
    static func call(
        _ world: Live, _ method: HTTPMethod, _ path: String, token: String, body: String? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: world.server + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await world.httpClient.execute(request, timeout: .seconds(30))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 10 << 20)))
    }

    /// The JSON body of an erasure receipt; `signature` signs by default what is sent.
    static func receiptBody(_ receipt: ErasureReceipt, signature: [UInt8], reason: ErasureReason? = nil, erasedAt: String? = nil) -> String {
        let time = erasedAt ?? ISO8601DateFormatter().string(from: receipt.erasedAtDate)
        return #"{"device":"\#(receipt.device.hex)","erased_at":"\#(time)","reason":"\#((reason ?? receipt.reason).rawValue)","signature":"\#(Data(signature).base64EncodedString())"}"#
    }

    static func scalar(_ sql: String, _ values: [any PostgresEncodable] = [], in database: Database) async throws -> Int {
        try await database.transaction(.scheduler) { try $0.query(sql, values).first!.decode("n", as: Int.self) }
    }

    @Test("erasure receipts: each wipe on the device is signed once the keystore is unlocked, verified and stored once; the compliance view and the overdue report show who has not confirmed")
    func erasureReceipts() async throws {
        try await live { world in
            let (setup, clock) = (world.setup, world.clock)
            let database = setup.accounts.database
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let officerToken = try await world.newUser("officer", role: .complianceOfficer)
            func send(_ title: String, expiresAt: Date? = nil) async throws -> AssignmentID {
                try await coordinator.send(
                    AssignmentDraft(recipient: "mentor", title: title, expiresAt: expiresAt), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice
                ).assignment.assignmentID!
            }
            let completed = try await send("Oppdrag 1"), cancelled = try await send("Oppdrag 2"), declined = try await send("Oppdrag 3")
            let expiring = try await send("Oppdrag 4", expiresAt: clock.now + 3 * 86_400), open = try await send("Oppdrag 5")
            #expect(Set(try await mentor.sync(device: mentorDevice.fingerprint).downloaded) == [completed, cancelled, declined, expiring, open])
            let neverDownloaded = try await send("Oppdrag 6")
            _ = try await coordinator.cancel(neverDownloaded, reason: "Sent by mistake")

            _ = try await mentor.open(completed, with: mentorDevice)
            for action in [ReceiptAction.acknowledge, .contact, .complete] { _ = try await mentor.report(action, on: completed) }
            _ = try await coordinator.cancel(cancelled, reason: "No longer needed")
            _ = try await mentor.decline(declined, reason: .tooFar)
            clock.advance(by: 4 * 86_400)

            // A sync needs no passphrase: it wipes, and the receipts wait for the key.
            let unsigned = try await mentor.sync(device: mentorDevice.fingerprint)
            #expect(Set(unsigned.wiped) == [completed, cancelled, expiring])
            #expect(unsigned.erasureReceiptsWaiting == 4 && unsigned.erasureReceiptsSent == 0)
            #expect(try mentor.folder.cachedEnvelope(open) != nil, "an open assignment stays")
            #expect(try await Self.scalar("SELECT count(*) AS n FROM erasure_receipts", in: database) == 0)

            // The expiry sweep closes the expired one on the server too; then the compliance view
            // lists every closed assignment with the device that held it, none confirmed.
            _ = try await SweepJob.expiry(database: database, clock: { clock.now })
            let before = try await Self.call(world, .GET, "/v1/erasure-confirmations", token: officerToken)
            #expect(before.status == 200)
            let listed = try JSONDecoder().decode([ClosedErasure].self, from: Data(before.body.utf8))
            #expect(Set(listed.map(\.assignment_id)) == Set([completed, cancelled, declined, expiring, neverDownloaded].map(\.description)))
            #expect(listed.first { $0.assignment_id == neverDownloaded.description }?.devices.isEmpty == true, "nothing downloaded, nothing to confirm")
            for id in [completed, cancelled, declined, expiring] {
                let devices = listed.first { $0.assignment_id == id.description }?.devices ?? []
                #expect(devices.map(\.device) == [mentorDevice.fingerprint.hex] && devices.allSatisfy { $0.confirmed_at == nil && !$0.overdue }, "\(id)")
            }
            // Past the organisation's 14 days, the device is overdue for all four.
            clock.advance(by: 15 * 86_400)
            let overdue = try await ErasureReceiptStore(database: database).overdueDevices(in: .scheduler, at: clock.now)
            #expect(overdue.map(\.handle) == ["mentor"] && overdue.first?.assignments == 4 && overdue.first?.device == mentorDevice.fingerprint)

            // Unlocked: every waiting erasure is signed and sent, once.
            let signed = try await mentor.sync(device: mentorDevice.fingerprint, signingWith: mentorDevice)
            #expect(signed.erasureReceiptsSent == 4 && signed.erasureReceiptsWaiting == 0 && signed.receiptsRefused.isEmpty, "\(signed)")
            #expect(try await mentor.sync(device: mentorDevice.fingerprint, signingWith: mentorDevice).erasureReceiptsSent == 0, "nothing sent twice")
            let rows = try await database.transaction(.scheduler) { db in
                try db.query("SELECT assignment_id, erased_at, reason, signature FROM erasure_receipts ORDER BY reason").map { row in
                    (id: try row.decode("assignment_id", as: UUID.self), erasedAt: try row.decode("erased_at", as: Date.self),
                     reason: try row.decode("reason", as: ErasureReason.self), signature: try row.decode("signature", as: [UInt8].self))
                }
            }
            #expect(rows.map(\.reason) == [.cancelled, .completed, .declined, .expired])
            for row in rows {
                let receipt = ErasureReceipt(assignmentID: row.id, organizationID: setup.organization.id.uuid, device: mentorDevice.fingerprint, erasedAt: row.erasedAt, reason: row.reason)
                #expect(receipt.isSigned(row.signature, by: mentorDevice.publicKeys), "the stored signature covers exactly the stored receipt")
            }
            #expect(try await Self.scalar("SELECT count(*) AS n FROM audit_entries WHERE action = 'assignment.erasure_confirmed'", in: database) == 4)
            #expect(try await ErasureReceiptStore(database: database).overdueDevices(in: .scheduler, at: clock.now).isEmpty)
            let after = try JSONDecoder().decode(
                [ClosedErasure].self, from: Data(try await Self.call(world, .GET, "/v1/erasure-confirmations", token: officerToken).body.utf8))
            #expect(after.flatMap(\.devices).allSatisfy { $0.confirmed_at != nil && !$0.overdue })

            // Hostile and out-of-order receipts: each refused with its code, and nothing written.
            let organization = setup.organization.id.uuid
            let fresh = ErasureReceipt(assignmentID: open.uuid, organizationID: organization, device: mentorDevice.fingerprint, erasedAt: clock.now, reason: .completed)
            let forged = try DeviceKeyPair.generate()
            let closedReceipt = ErasureReceipt(assignmentID: cancelled.uuid, organizationID: organization, device: mentorDevice.fingerprint, erasedAt: clock.now, reason: .cancelled)
            let hostile: [(String, String, String, Int, String)] = [
                ("still open", "/v1/assignments/\(open)/erasure-receipts", Self.receiptBody(fresh, signature: try fresh.signature(by: mentorDevice)), 409, "erasure_not_due"),
                ("signed by another key", "/v1/assignments/\(completed)/erasure-receipts",
                 Self.receiptBody(closedReceipt, signature: forged.sign(closedReceipt.signedBytes)), 422, "erasure_signature_invalid"),
                ("reason changed after signing", "/v1/assignments/\(completed)/erasure-receipts",
                 Self.receiptBody(closedReceipt, signature: try closedReceipt.signature(by: mentorDevice), reason: .completed), 422, "erasure_signature_invalid"),
                ("in the future", "/v1/assignments/\(completed)/erasure-receipts",
                 Self.receiptBody(closedReceipt, signature: try closedReceipt.signature(by: mentorDevice), erasedAt: "2031-01-01T00:00:00Z"), 422, "erased_at_impossible"),
                ("not whole seconds", "/v1/assignments/\(completed)/erasure-receipts",
                 Self.receiptBody(closedReceipt, signature: try closedReceipt.signature(by: mentorDevice), erasedAt: "2026-11-20T10:00:00.5Z"), 422, "invalid_value"),
                ("a device that was never a recipient", "/v1/assignments/\(neverDownloaded)/erasure-receipts",
                 Self.receiptBody(
                    ErasureReceipt(assignmentID: neverDownloaded.uuid, organizationID: organization, device: forged.fingerprint, erasedAt: clock.now, reason: .cancelled),
                    signature: forged.sign([1])), 422, "not_a_recipient"),
                ("a signature of the wrong length", "/v1/assignments/\(completed)/erasure-receipts",
                 Self.receiptBody(closedReceipt, signature: [1, 2, 3]), 422, "invalid_value"),
            ]
            let snapshot = try await DatabaseSnapshot.take(database)
            for (name, path, body, status, code) in hostile {
                let answer = try await Self.call(world, .POST, path, token: setup.mentorToken, body: body)
                #expect(answer.status == status && answer.body.contains("\"\(code)\""), "\(name): \(answer.status) \(answer.body)")
            }
            // The coordinator cannot confirm for the peer mentor's device.
            let coordinatorTry = try await Self.call(
                world, .POST, "/v1/assignments/\(cancelled)/erasure-receipts", token: setup.coordinatorToken,
                body: Self.receiptBody(closedReceipt, signature: try closedReceipt.signature(by: mentorDevice)))
            #expect(coordinatorTry.status == 403)
            #expect(DatabaseSnapshot.changedTables(snapshot, try await DatabaseSnapshot.take(database)).isEmpty, "a refused receipt writes nothing")
            // The same receipt again (its answer lost on the way) gets the stored one, not a second row.
            let again = try await Self.call(
                world, .POST, "/v1/assignments/\(cancelled)/erasure-receipts", token: setup.mentorToken,
                body: Self.receiptBody(closedReceipt, signature: try closedReceipt.signature(by: mentorDevice)))
            #expect(again.status == 200 && again.body.contains("\"received_at\""))
            #expect(DatabaseSnapshot.changedTables(snapshot, try await DatabaseSnapshot.take(database)).isEmpty, "exactly once")
        }
    }
}

/// `GET /v1/erasure-confirmations`, as a client reads it.
struct ClosedErasure: Decodable {
    struct Device: Decodable {
        var device: String
        var handle: String
        var confirmed_at: String?
        var overdue: Bool
    }

    var assignment_id: String
    var status: String
    var devices: [Device]
}
