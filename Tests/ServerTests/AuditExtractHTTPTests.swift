import AssignmentCore
import DatabaseTestSupport
import Exports
import Foundation
import Hummingbird
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
            let pulls = try await accounts.database.withConnection { db in
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
}
