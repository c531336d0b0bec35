import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// A coordinator's device and a peer mentor's device walk an assignment through the real router.
@Suite("Assignment flow over HTTP")
struct AssignmentFlowTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    /// Every response body the test saw, to search for the payload's marker afterwards.
    final class Transcript: @unchecked Sendable {
        private let lock = NSLock()
        private var bodies: [[UInt8]] = []
        func record(_ response: TestResponse) { lock.withLock { bodies.append(Array(buffer: response.body)) } }
        func contains(_ marker: String) -> Bool { lock.withLock { bodies.contains { String(decoding: $0, as: UTF8.self).contains(marker) } } }
        var count: Int { lock.withLock { bodies.count } }
    }

    @Test("dispatch → delivered → read → acknowledged → contact → completed, and cancel; the payload's marker is in no response")
    func walk() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let org = try await accounts.createOrganization(name: "Blindeforbundet", at: clock.now)
        let other = try await accounts.createOrganization(name: "Other", at: clock.now)
        _ = try await accounts.addUser(to: org.id, handle: "coord", role: .coordinator, at: clock.now)
        let mentor = try await accounts.addUser(to: org.id, handle: "mentor", role: .peerMentor, at: clock.now)
        _ = try await accounts.addUser(to: other.id, handle: "stranger", role: .organizationAdmin, at: clock.now)
        var tokens: [String: String] = [:]
        for (handle, orgID) in [("coord", org.id), ("mentor", org.id), ("stranger", other.id)] {
            tokens[handle] = try await accounts.issueToken(for: handle, in: orgID, lifetime: 86_400, at: clock.now).token
        }
        try await accounts.database.close()
        let bearer = tokens
        let coordinatorDevice = try DeviceKeyPair.generate()
        let mentorDevice = try DeviceKeyPair.generate()
        let marker = "MARKER\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let payload = try JSONEncoder().encode(CasePayload(contactName: "Kari \(marker)", address: "Gate \(marker)", epikrise: marker))
        let transcript = Transcript()
        let clock = self.clock

        try await application.test(.router) { client in
            func call(_ method: HTTPRequest.Method, _ uri: String, as handle: String, body: String? = nil) async throws -> TestResponse {
                let response = try await client.execute(
                    uri: uri, method: method, headers: [.authorization: "Bearer \(bearer[handle]!)", .contentType: "application/json"],
                    body: body.map { ByteBuffer(string: $0) })
                transcript.record(response)
                return response
            }
            func register(_ device: DeviceKeyPair, as handle: String) async throws {
                let body = keyRegistrationBody(device.publicKeys)
                #expect(try await call(.post, "/v1/keys", as: handle, body: body).status == .created)
            }
            try await register(coordinatorDevice, as: "coord")
            try await register(mentorDevice, as: "mentor")

            // The coordinator's device fetches the mentor's keys, checks the fingerprint, seals and dispatches.
            let keys = try await call(.get, "/v1/users/\(mentor.id)/keys", as: "coord")
            #expect(String(buffer: keys.body).contains(mentorDevice.fingerprint.hex))
            func dispatch(_ id: AssignmentID) async throws -> TestResponse {
                let envelope = try EnvelopeSealer().seal(
                    payload: Array(payload), assignmentID: id.uuid, organizationID: org.id.uuid, sender: coordinatorDevice, recipients: [mentorDevice.publicKeys])
                let body = #"{"id":"\#(id)","recipient_id":"\#(mentor.id)","title":"Oppdrag 42","expires_at":"2027-02-01T09:00:00Z","contact_deadline_at":"2026-12-01T09:00:00+01:00","envelope":"\#(Data(envelope.serialized).base64EncodedString())"}"#
                return try await call(.post, "/v1/assignments", as: "coord", body: body)
            }
            let id = AssignmentID(UUID())
            let created = try await dispatch(id)
            #expect(created.status == .created)
            #expect(String(buffer: created.body).contains(#""status":"dispatched""#))
            #expect(String(buffer: created.body).contains(#""expires_at":"2027-02-01T09:00:00Z""#))
            #expect(String(buffer: created.body).contains(#""contact_deadline_at":"2026-12-01T08:00:00Z""#))

            // The mentor's device downloads (delivery receipt), opens, and reports read.
            let download = try await call(.get, "/v1/assignments/\(id)/envelope?device=\(mentorDevice.fingerprint.hex)", as: "mentor")
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "application/octet-stream")
            let opened = try EnvelopeOpener.open(
                AssignmentEnvelope.parse(Array(buffer: download.body)), recipient: mentorDevice, sender: coordinatorDevice.publicKeys,
                assignmentID: id.uuid, organizationID: org.id.uuid)
            #expect(try JSONDecoder().decode(CasePayload.self, from: Data(opened)).epikrise == marker)
            for (step, handle) in [("read", "mentor"), ("acknowledge", "mentor"), ("contact", "mentor"), ("complete", "coord")] {
                clock.advance(by: 60)
                let response = try await call(.post, "/v1/assignments/\(id)/\(step)", as: handle)
                #expect(response.status == .ok, "\(step)")
            }
            let final = try await call(.get, "/v1/assignments/\(id)", as: "coord")
            let json = try JSONSerialization.jsonObject(with: Data(buffer: final.body)) as? [String: Any]
            #expect(json?["status"] as? String == "completed")
            for timestamp in ["dispatched_at", "delivered_at", "read_at", "acknowledged_at", "contact_made_at", "completed_at"] {
                #expect(json?[timestamp] is String, "\(timestamp)")
            }

            // Out of order, and from another organisation.
            #expect(try await call(.post, "/v1/assignments/\(id)/read", as: "mentor").status == .conflict)
            #expect(try await call(.get, "/v1/assignments/\(id)", as: "stranger").status == .notFound)

            // Cancel: the envelope is gone, and the answer says so.
            let cancelledID = AssignmentID(UUID())
            #expect(try await dispatch(cancelledID).status == .created)
            #expect(try await call(.post, "/v1/assignments/\(cancelledID)/cancel", as: "mentor", body: #"{"reason":"x"}"#).status == .forbidden)
            #expect(try await call(.post, "/v1/assignments/\(cancelledID)/cancel", as: "coord", body: #"{"reason":"Sent twice","extra":1}"#).status == .badRequest)
            #expect(try await call(.post, "/v1/assignments/\(cancelledID)/cancel", as: "coord", body: #"{"reason":"Sent twice"}"#).status == .ok)
            let gone = try await call(.get, "/v1/assignments/\(cancelledID)/envelope?device=\(mentorDevice.fingerprint.hex)", as: "mentor")
            #expect(gone.status == .gone)
            #expect((try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: gone.body)))?.code == "payload_cancelled")

            // Hostile: the same envelope again, a non-base64 envelope, a bad device fingerprint.
            #expect(try await dispatch(id).status == .conflict)
            let junk = #"{"id":"\#(UUID())","recipient_id":"\#(mentor.id)","title":"x","envelope":"not base64!"}"#
            #expect(try await call(.post, "/v1/assignments", as: "coord", body: junk).status == .badRequest)
            #expect(try await call(.get, "/v1/assignments/\(id)/envelope?device=abc", as: "mentor").status == .unprocessableContent)

            // Fields stored in plain text are checked before the database sees them: 4xx, never 500.
            func dispatchWith(_ extra: String) async throws -> (HTTPResponse.Status, String?) {
                let fresh = AssignmentID(UUID())
                let envelope = try EnvelopeSealer().seal(
                    payload: Array(payload), assignmentID: fresh.uuid, organizationID: org.id.uuid, sender: coordinatorDevice, recipients: [mentorDevice.publicKeys])
                let body = #"{"id":"\#(fresh)","recipient_id":"\#(mentor.id)","title":"Oppdrag","envelope":"\#(Data(envelope.serialized).base64EncodedString())"\#(extra)}"#
                let response = try await call(.post, "/v1/assignments", as: "coord", body: body)
                return (response.status, (try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body)))?.code)
            }
            let long = String(repeating: "x", count: 101)
            let hostile: [(String, HTTPResponse.Status, String)] = [
                (#","geographic_region":"\#(long)""#, .unprocessableContent, "text_invalid"),
                (#","geographic_region":"Ring 41234567""#, .unprocessableContent, "personal_data_in_text"),
                (#","assignment_type":"Robert'); DROP TABLE assignments; --""#, .unprocessableContent, "text_invalid"),
                (#","local_association_id":"\#(UUID())""#, .notFound, "local_association_not_found"),
                (#","recipient_id2":"x""#, .badRequest, "unknown_member"),
                (#","priority":"extreme""#, .badRequest, "malformed_request"),
                (#","expires_at":"yesterday""#, .badRequest, "malformed_request"),
                (#","expires_at":"2027-06-01T09:00:00Z""#, .unprocessableContent, "expiry_beyond_lifetime"),
            ]
            for (extra, status, code) in hostile {
                let (got, gotCode) = try await dispatchWith(extra)
                #expect(got == status, "\(extra)")
                #expect(gotCode == code, "\(extra)")
            }
        }
        #expect(transcript.count > 15)
        #expect(!transcript.contains(marker), "the payload's marker appeared in a response")
    }
}
