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

/// `Idempotency-Key` on dispatch: a retry gets the stored answer, the same key with another body is
/// 422, a duplicate while the first is still running is 409, and a failed dispatch frees the key.
@Suite("Idempotent dispatch")
struct IdempotencyTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("a retry returns the stored result and makes no second assignment")
    func retries() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let database = accounts.database
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let id = AssignmentID(UUID())
            let body = try world.dispatchBody(id: id)
            let first = try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "key-1"])
            #expect(first.status == .created)
            #expect(first.headers[.idempotentReplayed] == nil)

            clock.advance(by: 5)
            let retry = try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "key-1"])
            #expect(retry.status == .created)
            #expect(retry.headers[.idempotentReplayed] == "true")
            #expect(String(buffer: retry.body) == String(buffer: first.body), "the stored result, byte for byte")

            // The same key with another request.
            let other = try world.dispatchBody(id: AssignmentID(UUID()))
            let reused = try await world.post(client, "/v1/assignments", body: other, as: world.coordinatorToken, headers: [.idempotencyKey: "key-1"])
            #expect(reused.status == .unprocessableContent)
            #expect(problemCode(reused) == "idempotency_key_reused")

            let invalid = try await world.post(client, "/v1/assignments", body: other, as: world.coordinatorToken, headers: [.idempotencyKey: "has space"])
            #expect(invalid.status == .badRequest)
            #expect(problemCode(invalid) == "idempotency_key_invalid")

            // The assignment moves on; a late retry still gets the first answer, not today's state.
            var mentorHeaders = HTTPFields()
            mentorHeaders[.authorization] = "Bearer \(world.mentorToken)"
            _ = try await client.execute(uri: "/v1/assignments/\(id)/envelope?device=\(world.mentorDevice.fingerprint.hex)", method: .get, headers: mentorHeaders)
            for step in ["read", "acknowledge"] {
                #expect(try await world.post(client, "/v1/assignments/\(id)/\(step)", body: "", as: world.mentorToken).status == .ok)
            }
            let late = try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "key-1"])
            #expect(late.status == .created && late.headers[.idempotentReplayed] == "true")
            #expect(String(buffer: late.body) == String(buffer: first.body), "the stored first answer, though the assignment is acknowledged now")
            #expect(String(buffer: late.body).contains(#""status":"dispatched""#))

            // Keys are per user: the same key from another coordinator is a new request of theirs.
            let colleague = try await accounts.addUser(to: world.organization.id, handle: "coord2", role: .coordinator, at: clock.now)
            let colleagueToken = try await accounts.issueToken(for: "coord2", in: world.organization.id, lifetime: 86_400, at: clock.now).token
            let colleagueDevice = try DeviceKeyPair.generate()
            let keys = keyRegistrationBody(colleagueDevice.publicKeys)
            #expect(try await world.post(client, "/v1/keys", body: keys, as: colleagueToken).status == .created)
            let theirs = AssignmentID(UUID())
            let sealed = try EnvelopeSealer().seal(
                payload: world.payload, assignmentID: theirs.uuid, organizationID: world.organization.id.uuid, sender: colleagueDevice,
                recipients: [world.mentorDevice.publicKeys])
            let theirBody = #"{"id":"\#(theirs)","recipient_id":"\#(world.mentor.userID)","title":"Oppdrag 43","envelope":"\#(Data(sealed.serialized).base64EncodedString())"}"#
            let sameKey = try await world.post(client, "/v1/assignments", body: theirBody, as: colleagueToken, headers: [.idempotencyKey: "key-1"])
            #expect(sameKey.status == .created && sameKey.headers[.idempotentReplayed] == nil, "\(sameKey.status) \(problemCode(sameKey) ?? "")")
            #expect(String(buffer: sameKey.body).contains(theirs.description))
            _ = colleague
        }
        #expect(try await count("SELECT count(*) AS n FROM assignments", database) == 2)
        #expect(try await count("SELECT count(*) AS n FROM notifications WHERE kind = 'assignment_dispatched'", database) == 2)
    }

    @Test("a duplicate while the first request runs is 409; a failed dispatch frees its key")
    func concurrentAndFailed() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let database = accounts.database
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let body = try world.dispatchBody(id: AssignmentID(UUID()))
            // Another server holds the claim right now.
            let held = try IdempotentRequest(key: "key-2", requestHash: SHA256.hash(Array("POST /v1/assignments\n".utf8) + Array(body.utf8)))
            #expect(try await IdempotencyStore(database: database).claim(held, by: world.coordinator, at: clock.now) == .claimed)
            let duplicate = try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "key-2"])
            #expect(duplicate.status == .conflict)
            #expect(problemCode(duplicate) == "idempotency_key_in_progress")
            // A claim abandoned by a crashed server is taken over after a minute.
            clock.advance(by: IdempotencyStore.claimLifetime + 1)
            #expect(try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "key-2"]).status == .created)

            // A refused dispatch (title with a phone number) frees its key: the corrected request may reuse it.
            let refused = try world.dispatchBody(id: AssignmentID(UUID()), title: "Ring 41234567")
            let first = try await world.post(client, "/v1/assignments", body: refused, as: world.coordinatorToken, headers: [.idempotencyKey: "key-3"])
            #expect(problemCode(first) == "personal_data_in_text")
            let corrected = try world.dispatchBody(id: AssignmentID(UUID()))
            #expect(try await world.post(client, "/v1/assignments", body: corrected, as: world.coordinatorToken, headers: [.idempotencyKey: "key-3"]).status == .created)

            // Truly concurrent duplicates: exactly one assignment; every other answer is the replay or
            // exactly `idempotency_key_in_progress`, never another conflict (such as assignment_exists).
            let racing = try world.dispatchBody(id: AssignmentID(UUID()))
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?, Bool).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await world.post(client, "/v1/assignments", body: racing, as: world.coordinatorToken, headers: [.idempotencyKey: "key-4"])
                        return (response.status, problemCode(response), response.headers[.idempotentReplayed] == "true")
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { $0.0 == .created && !$0.2 }.count == 1, "exactly one dispatch: \(answers)")
            #expect(answers.allSatisfy { ($0.0 == .created) || ($0.0 == .conflict && $0.1 == "idempotency_key_in_progress") }, "\(answers)")
        }
        #expect(try await count("SELECT count(*) AS n FROM assignments", database) == 3)
    }
}

func problemCode(_ response: TestResponse) -> String? {
    (try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body)))?.code
}

/// The body of a decryption receipt (`POST /v1/assignments/{id}/opened`).
func openingReceipt(device: KeyFingerprint, openedAt: Date) -> String {
    #"{"device":"\#(device.hex)","opened_at":"\#(ISO8601DateFormatter().string(from: openedAt))"}"#
}

/// The body of an erasure receipt (`POST /v1/assignments/{id}/erasure-receipts`), signed by `device`.
func erasureReceipt(
    _ id: AssignmentID, organization: OrganizationID, device: DeviceKeyPair, at time: Date, reason: ErasureReason = .cancelled
) throws -> String {
    let receipt = ErasureReceipt(assignmentID: id.uuid, organizationID: organization.uuid, device: device.fingerprint, erasedAt: time, reason: reason)
    let signature = Data(try receipt.signature(by: device)).base64EncodedString()
    return #"{"device":"\#(device.fingerprint.hex)","erased_at":"\#(ISO8601DateFormatter().string(from: receipt.erasedAtDate))","reason":"\#(reason.rawValue)","signature":"\#(signature)"}"#
}

func count(_ sql: String, _ database: Database) async throws -> Int {
    try await database.withOwnerConnection { try $0.query(sql).first!.decode("n", as: Int.self) }
}

/// An organisation with a coordinator and a peer mentor, their tokens and devices.
struct DispatchWorld: Sendable {
    let organization: OrganizationRecord
    let coordinator: UserContext
    let mentor: UserContext
    let coordinatorToken: String
    let mentorToken: String
    let coordinatorDevice: DeviceKeyPair
    let mentorDevice: DeviceKeyPair
    let payload: [UInt8]

    static func make(accounts: AccountStore, clock: TestClock, name: String = "Blindeforbundet", payload: String = #"{"contact_name":"Kari","version":1}"#) async throws -> DispatchWorld {
        let org = try await accounts.createOrganization(name: name, at: clock.now)
        let coordinator = try await accounts.addUser(to: org.id, handle: "coord", role: .coordinator, at: clock.now)
        let mentor = try await accounts.addUser(to: org.id, handle: "mentor", role: .peerMentor, at: clock.now)
        return DispatchWorld(
            organization: org, coordinator: coordinator.context, mentor: mentor.context,
            coordinatorToken: try await accounts.issueToken(for: "coord", in: org.id, lifetime: 86_400, at: clock.now).token,
            mentorToken: try await accounts.issueToken(for: "mentor", in: org.id, lifetime: 86_400, at: clock.now).token,
            coordinatorDevice: try DeviceKeyPair.generate(), mentorDevice: try DeviceKeyPair.generate(), payload: Array(payload.utf8))
    }

    func post(_ client: some TestClientProtocol, _ uri: String, body: String, as token: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.authorization] = "Bearer \(token)"
        fields[.contentType] = "application/json"
        return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body))
    }

    func registerDevices(_ client: some TestClientProtocol) async throws {
        for (device, token) in [(coordinatorDevice, coordinatorToken), (mentorDevice, mentorToken)] {
            let body = keyRegistrationBody(device.publicKeys)
            let response = try await post(client, "/v1/keys", body: body, as: token)
            guard response.status == .created else { throw TestFailure("registering a device answered \(response.status)") }
        }
    }

    func dispatchBody(id: AssignmentID, title: String = "Oppdrag 42") throws -> String {
        let envelope = try EnvelopeSealer().seal(
            payload: payload, assignmentID: id.uuid, organizationID: organization.id.uuid, sender: coordinatorDevice, recipients: [mentorDevice.publicKeys])
        return #"{"id":"\#(id)","recipient_id":"\#(mentor.userID)","title":"\#(title)","envelope":"\#(Data(envelope.serialized).base64EncodedString())"}"#
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
