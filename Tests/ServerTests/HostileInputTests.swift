import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// Malformed, oversized, mistyped, replayed and swapped input at every endpoint: a 4xx with the
/// right code, and not one row of the database changed.
@Suite("Hostile input at every endpoint")
struct HostileInputTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("every hostile request is a 4xx with its code, and the database is exactly as before")
    func hostile() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let database = accounts.database
        let clock = self.clock
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            // Two real assignments to aim at; the first one's envelope is downloaded once (delivered).
            let first = AssignmentID(UUID())
            let second = AssignmentID(UUID())
            let firstBody = try world.dispatchBody(id: first)
            #expect(try await world.post(client, "/v1/assignments", body: firstBody, as: world.coordinatorToken).status == .created)
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: second), as: world.coordinatorToken).status == .created)
            // A revoked second device of the mentor, and an expired token.
            let lost = try DeviceKeyPair.generate()
            let lostKey = try await DeviceKeyStore(database: database).register(lost.publicKeys, label: nil, for: world.mentor, at: clock.now)
            _ = try await DeviceKeyStore(database: database).change(lostKey.id, .revoke, by: world.mentor, at: clock.now)
            let shortLived = try await accounts.issueToken(for: "mentor", in: world.organization.id, lifetime: 3600, at: clock.now).token
            clock.advance(by: 3601)

            // Envelopes that are real but wrong: the first one's envelope under a new id (swapped), and its
            // nonce replayed under a fresh, correctly bound envelope is impossible to forge; so replay the whole body.
            let firstEnvelope = try #require(firstBody.split(separator: "\"").drop { $0 != "envelope" }.dropFirst(2).first.map(String.init))
            let swapped = #"{"id":"\#(UUID())","recipient_id":"\#(world.mentor.userID)","title":"Oppdrag","envelope":"\#(firstEnvelope)"}"#
            let replayedNonce = firstBody.replacingOccurrences(of: first.description, with: UUID().uuidString.lowercased())
            var tampered = [UInt8](Data(base64Encoded: firstEnvelope)!)
            tampered[tampered.count - 10] ^= 0x01
            let flipped = #"{"id":"\#(first)","recipient_id":"\#(world.mentor.userID)","title":"Oppdrag","envelope":"\#(Data(tampered).base64EncodedString())"}"#
            let oversized = #"{"id":"\#(UUID())","recipient_id":"\#(world.mentor.userID)","title":"Oppdrag","envelope":"\#(String(repeating: "A", count: 1_100_000))"}"#

            let before = try await DatabaseSnapshot.take(database)
            typealias Attempt = (name: String, method: HTTPRequest.Method, uri: String, body: String?, token: String?, status: HTTPResponse.Status, code: String)
            let attempts: [Attempt] = [
                // Authentication.
                ("no token", .get, "/v1/me", nil, nil, .unauthorized, "unauthorized"),
                ("expired token", .get, "/v1/me", nil, shortLived, .unauthorized, "unauthorized"),
                ("garbage token", .get, "/v1/assignments", nil, "adt_" + String(repeating: "x", count: 43), .unauthorized, "unauthorized"),
                ("not a bearer token", .post, "/v1/keys", "{}", "a b c", .unauthorized, "unauthorized"),
                // Keys.
                ("keys: not JSON", .post, "/v1/keys", "{", world.mentorToken, .badRequest, "malformed_request"),
                ("keys: wrong types", .post, "/v1/keys", #"{"encryption_public_key":1,"signing_public_key":true}"#, world.mentorToken, .badRequest, "malformed_request"),
                ("keys: short key", .post, "/v1/keys", #"{"encryption_public_key":"AAAA","signing_public_key":"AAAA"}"#, world.mentorToken, .unprocessableContent, "invalid_value"),
                ("keys: unknown member", .post, "/v1/keys", #"{"encryption_public_key":"x","signing_public_key":"y","admin":true}"#, world.mentorToken, .badRequest, "unknown_member"),
                ("keys: oversized", .post, "/v1/keys", "{\"label\":\"\(String(repeating: "x", count: 1_100_000))\"}", world.mentorToken, .contentTooLarge, "payload_too_large"),
                ("keys: bad id", .post, "/v1/keys/123/revoke", nil, world.mentorToken, .badRequest, "invalid_identifier"),
                ("keys: a null member", .post, "/v1/keys", #"{"label":null}"#, world.mentorToken, .badRequest, "malformed_request"),
                ("feed: a null language", .post, "/v1/users/me/feed", #"{"language":null}"#, world.mentorToken, .badRequest, "malformed_request"),
                ("keys: hostile handle", .get, "/v1/users/..%2F..%2Fetc/keys", nil, world.coordinatorToken, .badRequest, "invalid_identifier"),
                ("keys: bad status", .get, "/v1/users/mentor/keys?status=deleted", nil, world.coordinatorToken, .badRequest, "malformed_request"),
                // Dispatch.
                ("dispatch: empty", .post, "/v1/assignments", "", world.coordinatorToken, .badRequest, "malformed_request"),
                ("dispatch: array", .post, "/v1/assignments", "[]", world.coordinatorToken, .badRequest, "malformed_request"),
                ("dispatch: wrong types", .post, "/v1/assignments", #"{"id":5,"recipient_id":"x","title":[],"envelope":null}"#, world.coordinatorToken, .badRequest, "malformed_request"),
                ("dispatch: oversized", .post, "/v1/assignments", oversized, world.coordinatorToken, .contentTooLarge, "payload_too_large"),
                ("dispatch: same id again", .post, "/v1/assignments", firstBody, world.coordinatorToken, .conflict, "assignment_exists"),
                ("dispatch: envelope swapped to another id", .post, "/v1/assignments", swapped, world.coordinatorToken, .unprocessableContent, "envelope_wrong_assignment"),
                ("dispatch: envelope replayed under a new id", .post, "/v1/assignments", replayedNonce, world.coordinatorToken, .unprocessableContent, "envelope_wrong_assignment"),
                ("dispatch: a flipped bit", .post, "/v1/assignments", flipped, world.coordinatorToken, .unprocessableContent, "envelope_malformed"),
                ("dispatch: as a peer mentor", .post, "/v1/assignments", try world.dispatchBody(id: AssignmentID(UUID())), world.mentorToken, .forbidden, "coordinator_role_required"),
                ("dispatch: idempotency key too long", .post, "/v1/assignments", try world.dispatchBody(id: AssignmentID(UUID())), world.coordinatorToken, .badRequest, "idempotency_key_invalid"),
                // The overview.
                ("overview: unknown filter", .get, "/v1/assignments?colour=red", nil, world.coordinatorToken, .badRequest, "unknown_member"),
                ("overview: closed status", .get, "/v1/assignments?status=cancelled", nil, world.coordinatorToken, .badRequest, "malformed_request"),
                ("overview: limit", .get, "/v1/assignments?limit=10000", nil, world.coordinatorToken, .unprocessableContent, "invalid_value"),
                ("overview: forged cursor", .get, "/v1/assignments?cursor=eyJ0IjoxfQ", nil, world.coordinatorToken, .unprocessableContent, "invalid_value"),
                ("overview: overdue", .get, "/v1/assignments?overdue=maybe", nil, world.coordinatorToken, .badRequest, "malformed_request"),
                // One assignment.
                ("assignment: bad id", .get, "/v1/assignments/not-a-uuid", nil, world.mentorToken, .badRequest, "invalid_identifier"),
                ("envelope: no device", .get, "/v1/assignments/\(first)/envelope", nil, world.mentorToken, .badRequest, "malformed_request"),
                ("envelope: revoked device", .get, "/v1/assignments/\(first)/envelope?device=\(lost.fingerprint.hex)", nil, world.mentorToken, .unprocessableContent, "key_revoked"),
                ("envelope: someone else's device", .get, "/v1/assignments/\(first)/envelope?device=\(world.coordinatorDevice.fingerprint.hex)", nil, world.mentorToken, .unprocessableContent, "not_a_recipient"),
                ("acknowledge before read", .post, "/v1/assignments/\(first)/acknowledge", nil, world.mentorToken, .conflict, "invalid_transition"),
                ("complete before acknowledge", .post, "/v1/assignments/\(first)/complete", nil, world.coordinatorToken, .conflict, "invalid_transition"),
                ("contact before read", .post, "/v1/assignments/\(first)/contact", nil, world.mentorToken, .conflict, "contact_not_allowed"),
                ("consent where none is asked", .post, "/v1/assignments/\(first)/consent", nil, world.mentorToken, .conflict, "consent_not_applicable"),
                ("cancel without a reason", .post, "/v1/assignments/\(first)/cancel", "{}", world.coordinatorToken, .badRequest, "malformed_request"),
                ("cancel with a phone number as reason", .post, "/v1/assignments/\(first)/cancel", #"{"reason":"Ring 41234567"}"#, world.coordinatorToken, .unprocessableContent, "personal_data_in_text"),
                ("cancel with an oversized reason", .post, "/v1/assignments/\(first)/cancel", #"{"reason":"\#(String(repeating: "x", count: 600))"}"#, world.coordinatorToken, .unprocessableContent, "text_invalid"),
                ("report: not an admin", .get, "/v1/reports/honorarium?period=2026", nil, world.coordinatorToken, .forbidden, "organization_admin_required"),
                ("unknown route", .get, "/v1/everything", nil, world.coordinatorToken, .notFound, "not_found"),
                ("a method the address does not take", .delete, "/v1/assignments/\(first)", nil, world.coordinatorToken, .methodNotAllowed, "method_not_allowed"),
            ]
            for attempt in attempts {
                var headers = HTTPFields()
                if let token = attempt.token { headers[.authorization] = token.contains(" ") ? token : "Bearer \(token)" }
                headers[.contentType] = "application/json"
                if attempt.name.hasPrefix("dispatch: idempotency") { headers[.idempotencyKey] = String(repeating: "k", count: 300) }
                let response = try await client.execute(uri: attempt.uri, method: attempt.method, headers: headers, body: attempt.body.map { ByteBuffer(string: $0) })
                #expect(response.status == attempt.status, "\(attempt.name): \(response.status) \(String(buffer: response.body).prefix(300))")
                #expect(problemCode(response) == attempt.code, "\(attempt.name): \(String(buffer: response.body).prefix(300))")
                #expect(response.headers[.contentType] == ProblemDetails.mediaType, "\(attempt.name)")
            }
            let after = try await DatabaseSnapshot.take(database)
            #expect(before.count > 15, "the snapshot covers the schema")
            #expect(DatabaseSnapshot.changedTables(before, after).isEmpty, "refused requests changed \(DatabaseSnapshot.changedTables(before, after))")
        }
    }
}
