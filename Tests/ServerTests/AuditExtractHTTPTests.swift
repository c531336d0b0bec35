import AssignmentCore
import DatabaseTestSupport
import Exports
import Foundation
import Hummingbird
import Postgres
import HummingbirdTesting
import Server
import Storage
import Testing

@Suite("Audit extract over HTTP")
struct AuditExtractHTTPTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("an organisation admin gets a single-file extract that verifies offline; others are refused; bad ranges are 4xx")
    func extract() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        _ = try await accounts.addUser(to: world.organization.id, handle: "admin", role: .organizationAdmin, at: clock.now)
        let adminToken = try await accounts.issueToken(for: "admin", in: world.organization.id, lifetime: 86_400, at: clock.now).token
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: AssignmentID(UUID())), as: world.coordinatorToken).status == .created)
            func get(_ uri: String, _ token: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"])
            }
            let response = try await get("/v1/audit/extract?from=2026-01-01&to=2026-12-31", adminToken)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/x-ndjson; charset=utf-8")
            let file = NSTemporaryDirectory() + "audit-\(UUID().uuidString).jsonl"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try Data(buffer: response.body).write(to: URL(fileURLWithPath: file))
            let result = try AuditExtractVerifier.verify(path: file)
            #expect(result.intact, "\(result.problems)")
            let inDatabase = try await count("SELECT count(*) AS n FROM audit_entries WHERE organization_id = '\(world.organization.id)'", accounts.database)
            #expect(result.entryCount == inDatabase)
            // The pull is itself in the audit trail: who, which range, how (and, reaching the present, in the extract).
            let pulls = try await accounts.database.withOwnerConnection { db in
                try db.query(
                    "SELECT actor_id::text AS actor, actor_role, details->>'from' AS range_from, details->>'via' AS via FROM audit_entries WHERE action = 'audit.extract_pulled' AND organization_id = $1",
                    [world.organization.id]
                ).map { "\(try $0.decode("actor_role", as: String.self)) \(try $0.decode("range_from", as: String.self).prefix(10)) \(try $0.decode("via", as: String.self))" }
            }
            #expect(pulls == ["org_admin 2025-12-31 http"], "the organisation's 2026-01-01 begins 2025-12-31T23:00Z: \(pulls)")
            #expect(String(buffer: response.body).contains(#""action":"audit.extract_pulled""#))

            #expect(try await get("/v1/audit/extract?from=2026-01-01&to=2026-12-31", world.coordinatorToken).status == .forbidden)
            for (uri, status) in [
                ("/v1/audit/extract?from=2026-12-31&to=2026-01-01", HTTPResponse.Status.unprocessableContent),
                ("/v1/audit/extract?from=soon&to=2026-01-01", .unprocessableContent),
                ("/v1/audit/extract?from=2026-01-01", .badRequest),
                ("/v1/audit/extract?from=2026-01-01&to=2026-12-31&format=xml", .badRequest),
            ] {
                #expect(try await get(uri, adminToken).status == status, "\(uri)")
            }
        }
    }

    @Test("every envelope download is an audit entry naming who, which device and when")
    func downloadsAreAudited() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let clock = self.clock
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let id = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken).status == .created)
            var times: [Date] = []
            for _ in 0..<2 {
                clock.advance(by: 60)
                times.append(clock.now)
                let response = try await client.execute(
                    uri: "/v1/assignments/\(id)/envelope?device=\(world.mentorDevice.fingerprint.hex)", method: .get,
                    headers: [.authorization: "Bearer \(world.mentorToken)"])
                #expect(response.status == .ok)
            }
            let rows = try await accounts.database.withOwnerConnection { db in
                try db.query(
                    """
                    SELECT a.actor_id, a.actor_role, a.occurred_at, (a.details->>'device_key_id')::uuid = k.id AS right_device
                      FROM audit_entries a JOIN device_keys k ON k.fingerprint = $2
                     WHERE a.action = 'assignment.payload_downloaded' AND a.subject_id = $1
                     ORDER BY a.id
                    """, [id, world.mentorDevice.fingerprint.bytes]
                ).map { (try $0.decode("actor_id", as: UserID.self), try $0.decode("actor_role", as: String.self), try $0.decode("occurred_at", as: Date.self), try $0.decode("right_device", as: Bool.self)) }
            }
            #expect(rows.count == 2, "one entry per download, the first (the delivery receipt) and a repeat alike")
            #expect(rows.allSatisfy { $0.0 == world.mentor.userID && $0.1 == "peer_mentor" && $0.3 })
            #expect(rows.map(\.2) == times.map(PostgresTimestamp.truncatedToMicroseconds))
        }
    }
}
