import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

@Suite("Device keys over HTTP")
struct KeysTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    struct World {
        var tokens: [String: String] = [:]
        var ids: [String: UserID] = [:]
    }

    /// Two organisations: "a" with a coordinator, two peer mentors and an admin; "b" with a coordinator.
    func setUp() async throws -> (application: some ApplicationProtocol, world: World) {
        let (application, accounts) = try await makeApplication(clock: clock)
        let clock = self.clock
        var world = World()
        for (orgName, users) in [("A", [("coord", Role.coordinator), ("mentor", .peerMentor), ("mentor2", .peerMentor), ("admin", .organizationAdmin)]),
                                 ("B", [("bcoord", .coordinator)])] {
            let org = try await accounts.createOrganization(name: orgName, at: clock.now)
            for (handle, role) in users {
                world.ids[handle] = try await accounts.addUser(to: org.id, handle: handle, role: role, at: clock.now).id
                world.tokens[handle] = try await accounts.issueToken(for: handle, in: org.id, lifetime: 86_400, at: clock.now).token
            }
        }
        try await accounts.database.close()
        return (application, world)
    }

    func registration(_ keys: DevicePublicKeys, label: String? = nil, extra: String = "") -> ByteBuffer {
        ByteBuffer(string: keyRegistrationBody(keys, label: label, extra: extra))
    }

    func code(_ response: TestResponse) -> String? {
        (try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body)))?.code
    }

    @Test("a device registers its keys; anyone in the organisation, and nobody outside it, can fetch them")
    func registerAndFetch() async throws {
        let (application, world) = try await setUp()
        let device = try DeviceKeyPair.generate()
        try await application.test(.router) { client in
            let auth = { (handle: String) -> HTTPFields in [.authorization: "Bearer \(world.tokens[handle]!)", .contentType: "application/json"] }
            var keyID = ""
            try await client.execute(uri: "/v1/keys", method: .post, headers: auth("mentor"), body: registration(device.publicKeys, label: "Telefon")) { response in
                #expect(response.status == .created)
                let json = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(json?["fingerprint"] as? String == device.fingerprint.hex)
                #expect(json?["fingerprint_read_aloud"] as? [String] == device.fingerprint.readAloud)
                #expect(json?["status"] as? String == "active")
                #expect((json?["created_at"] as? String)?.hasSuffix("Z") == true)
                keyID = json?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/v1/keys", method: .post, headers: auth("mentor"), body: registration(device.publicKeys)) { response in
                #expect(response.status == .conflict)
                #expect(code(response) == "key_already_registered")
            }
            let mentor = world.ids["mentor"]!
            for viewer in ["coord", "mentor2", "admin", "mentor"] {
                try await client.execute(uri: "/v1/users/\(mentor)/keys", method: .get, headers: auth(viewer)) { response in
                    #expect(response.status == .ok, "\(viewer)")
                    #expect(String(buffer: response.body).contains(device.fingerprint.hex))
                }
            }
            try await client.execute(uri: "/v1/users/\(mentor)/keys", method: .get, headers: auth("bcoord")) { response in
                #expect(response.status == .notFound, "another organisation sees nothing")
                #expect(code(response) == "user_not_found", "the same answer as for an id that exists nowhere")
            }
            try await client.execute(uri: "/v1/users/mentor/keys", method: .get, headers: auth("coord")) { response in
                #expect(response.status == .ok, "by handle")
                #expect(String(buffer: response.body).contains(device.fingerprint.hex))
            }
            try await client.execute(uri: "/v1/users/mentor/keys", method: .get, headers: auth("bcoord")) { response in
                #expect(response.status == .notFound, "another organisation's handle is not found")
            }
            try await client.execute(uri: "/v1/users/Robert'%3B--/keys", method: .get, headers: auth("coord")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/v1/users/\(UUID())/keys", method: .get, headers: auth("coord")) { response in
                #expect(response.status == .notFound)
            }
            // Someone else's key: a peer mentor and another organisation's coordinator may not touch it.
            for intruder in ["mentor2", "coord", "bcoord"] {
                try await client.execute(uri: "/v1/keys/\(keyID)/revoke", method: .post, headers: auth(intruder)) { response in
                    #expect([HTTPResponse.Status.forbidden, .notFound].contains(response.status), "\(intruder)")
                }
            }
            try await client.execute(uri: "/v1/keys/\(keyID)/revoke", method: .post, headers: auth("mentor")) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""status":"revoked""#))
            }
            try await client.execute(uri: "/v1/keys/\(keyID)/retire", method: .post, headers: auth("admin")) { response in
                #expect(response.status == .conflict)
                #expect(code(response) == "key_already_inactive")
            }
            try await client.execute(uri: "/v1/users/\(mentor)/keys", method: .get, headers: auth("coord")) { response in
                #expect(!String(buffer: response.body).contains(device.fingerprint.hex), "a revoked key is no longer handed out")
            }
        }
    }

    @Test("malformed, hostile and unauthenticated registrations are refused and store nothing")
    func hostileRegistrations() async throws {
        let (application, world) = try await setUp()
        let device = try DeviceKeyPair.generate()
        let lowOrder = try DevicePublicKeys(encryptionKey: [UInt8](repeating: 0, count: 32), signingKey: device.publicKeys.signingKey)
        let notAPoint = try DevicePublicKeys(encryptionKey: device.publicKeys.encryptionKey, signingKey: [UInt8](repeating: 0xff, count: 32))
        try await application.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(world.tokens["mentor"]!)", .contentType: "application/json"]
            let cases: [(String, ByteBuffer, HTTPResponse.Status, String)] = [
                ("unknown member", registration(device.publicKeys, extra: #","private_key":"x""#), .badRequest, "unknown_member"),
                ("not JSON", ByteBuffer(string: "encryption_public_key=abc"), .badRequest, "malformed_request"),
                ("an array", ByteBuffer(string: "[]"), .badRequest, "malformed_request"),
                ("wrong type", ByteBuffer(string: #"{"encryption_public_key":1,"signing_public_key":2}"#), .badRequest, "malformed_request"),
                ("short key", ByteBuffer(string: #"{"encryption_public_key":"AAAA","signing_public_key":"AAAA"}"#), .unprocessableContent, "invalid_value"),
                ("low-order X25519 key", registration(lowOrder), .unprocessableContent, "public_key_invalid"),
                ("not an Ed25519 point", registration(notAPoint), .unprocessableContent, "public_key_invalid"),
                ("X-Wing key of the wrong length", registration(device.publicKeys.classical, extra: #","kem_public_key":"AAAA""#), .unprocessableContent, "invalid_value"),
                ("X-Wing key that is not one", registration(
                    try DevicePublicKeys(encryptionKey: device.publicKeys.encryptionKey, signingKey: device.publicKeys.signingKey, kemKey: [UInt8](repeating: 0xff, count: 1216))),
                 .unprocessableContent, "public_key_invalid"),
                ("phone number in label", registration(device.publicKeys, label: "Ring 41234567"), .unprocessableContent, "personal_data_in_text"),
                ("oversized", ByteBuffer(repeating: 0x20, count: DispatchRequestContext.maximumRequestBody + 1), .contentTooLarge, "payload_too_large"),
            ]
            for (name, body, status, expectedCode) in cases {
                try await client.execute(uri: "/v1/keys", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == status, "\(name)")
                    #expect(code(response) == expectedCode, "\(name)")
                }
            }
            try await client.execute(uri: "/v1/keys", method: .post, headers: [.contentType: "application/json"], body: registration(device.publicKeys)) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/keys/not-a-uuid/revoke", method: .post, headers: headers) { response in
                #expect(response.status == .badRequest)
                #expect(code(response) == "invalid_identifier")
            }
            try await client.execute(uri: "/v1/users/\(world.ids["mentor"]!)/keys", method: .get, headers: headers) { response in
                #expect(String(buffer: response.body).contains(#""keys":[]"#), "nothing was stored")
            }
        }
    }
}
