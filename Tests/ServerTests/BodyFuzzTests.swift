import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// Mutated JSON bodies at the endpoints that take them, through the real router: every answer is a
/// success or a 4xx problem, never a 5xx. A fixed seed; `DISPATCH_FUZZ_ITERATIONS` runs longer.
@Suite("Fuzzing the strict JSON bodies")
struct BodyFuzzTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("mutated dispatch, receipt, key and rate bodies are answered 2xx or a 4xx problem, never 5xx")
    func bodies() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let adminToken = try await {
            _ = try await accounts.addUser(to: world.organization.id, handle: "admin", role: .organizationAdmin, at: clock.now)
            return try await accounts.issueToken(for: "admin", in: world.organization.id, lifetime: 86_400, at: clock.now).token
        }()
        let iterations = max(1, FuzzIterations.value / 10)
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let opened = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: opened), as: world.coordinatorToken).status == .created)
            let keys = #"{"encryption_public_key":"\#(Data(repeating: 1, count: 32).base64EncodedString())","signing_public_key":"\#(Data(repeating: 2, count: 32).base64EncodedString())","label":"Telefon"}"#
            let receipt = #"{"device":"\#(Hex.encode(world.mentorDevice.fingerprint.bytes))","opened_at":"2026-11-18T09:00:00Z"}"#
            let rates = #"{"currency":"NOK","rates":[{"kind":"band","threshold":3,"amount_ore":50000,"pay_code":"LA101"},{"kind":"tier_bonus","threshold":15,"amount_ore":200000}]}"#
            let targets: [(HTTPRequest.Method, String, String, String)] = [
                (.post, "/v1/assignments", try world.dispatchBody(id: AssignmentID(UUID())), world.coordinatorToken),
                (.post, "/v1/assignments/\(opened)/opened", receipt, world.mentorToken),
                (.post, "/v1/keys", keys, world.mentorToken),
                (.put, "/v1/honorarium-rates/2026-12-01", rates, adminToken),
            ]
            var generator = SeededGenerator(seed: 1130)
            var statuses: [Int: Int] = [:]
            for (method, uri, body, token) in targets {
                for _ in 0..<iterations {
                    let mutated = Mutation.json(Array(body.utf8), using: &generator)
                    let response = try await client.execute(
                        uri: uri, method: method, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(bytes: mutated))
                    statuses[Int(response.status.code), default: 0] += 1
                    #expect(response.status.code < 500, "\(method) \(uri) with \(String(decoding: mutated, as: UTF8.self).prefix(300)): \(response.status)")
                    if response.status.code >= 400 {
                        #expect(response.headers[.contentType] == "application/problem+json", "\(uri): \(response.status)")
                    }
                }
            }
            #expect(statuses.keys.contains { $0 >= 400 } && statuses.keys.contains { $0 < 300 }, "both refusals and successes were reached: \(statuses)")
        }
    }
}
