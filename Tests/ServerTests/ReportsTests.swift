import AssignmentCore
import DatabaseTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

@Suite("Honorarium report over HTTP")
struct ReportsTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("an organisation admin gets the CSV (and the Excel variant); bad parameters are 4xx before any byte of CSV")
    func report() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        _ = try await accounts.addUser(to: world.organization.id, handle: "admin", role: .organizationAdmin, at: clock.now)
        let adminToken = try await accounts.issueToken(for: "admin", in: world.organization.id, lifetime: 86_400, at: clock.now).token
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let id = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken).status == .created)
            for step in ["read", "acknowledge", "complete"] {
                #expect(try await world.post(client, "/v1/assignments/\(id)/\(step)", body: "", as: world.mentorToken).status == .ok)
            }
            func get(_ uri: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(adminToken)"])
            }
            let csv = try await get("/v1/reports/honorarium?period=2026")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(csv.headers[.contentDisposition] == "attachment; filename=\"honorarium-2026.csv\"")
            let text = String(buffer: csv.body)
            #expect(text.hasPrefix("organisation,period,peer_mentor_id,peer_mentor_handle,"))
            let pulls = try await accounts.database.withOwnerConnection { db in
                try db.query(
                    "SELECT actor_role, details->>'period' AS period, details->>'via' AS via FROM audit_entries WHERE action = 'honorarium.report_pulled' AND organization_id = $1",
                    [world.organization.id]
                ).map { "\(try $0.decode("actor_role", as: String.self)) \(try $0.decode("period", as: String.self)) \(try $0.decode("via", as: String.self))" }
            }
            #expect(pulls == ["org_admin 2026 http"], "the pull is in the audit trail: \(pulls)")
            #expect(text.contains(",mentor,,total,,,,1,,0.00,NOK,,\r\n"), "no rates set: counted, nothing paid: \(text)")
            #expect(String(buffer: try await get("/v1/honorarium-rates").body) == "[]")
            // Rates over the API: set, read back, refused when wrong, and then the report pays.
            func put(_ uri: String, _ body: String, token: String) async throws -> TestResponse {
                try await client.execute(
                    uri: uri, method: .put, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"], body: ByteBuffer(string: body))
            }
            let rates = #"{"rates":[{"kind":"band","threshold":1,"amount_ore":25000,"pay_code":"LA101"},{"kind":"tier_bonus","threshold":3,"amount_ore":100000}]}"#
            #expect(try await put("/v1/honorarium-rates/2026-11-01", rates, token: world.mentorToken).status == .forbidden)
            let saved = try await put("/v1/honorarium-rates/2026-11-01", rates, token: adminToken)
            #expect(saved.status == .ok)
            #expect(String(buffer: saved.body).contains(#""valid_from":"2026-11-01""#))
            let listed = String(buffer: try await get("/v1/honorarium-rates").body)
            #expect(listed.contains(#""amount_ore":25000"#) && listed.contains(#""pay_code":"LA101""#), "\(listed)")
            for (body, day, code) in [
                (#"{"rates":[{"kind":"band","threshold":1,"amount_ore":-5}]}"#, "2026-11-01", "honorarium_rates_invalid"),
                (#"{"rates":[{"kind":"band","threshold":1,"amount_ore":5},{"kind":"band","threshold":1,"amount_ore":6}]}"#, "2026-11-01", "honorarium_rates_invalid"),
                (#"{"rates":[{"kind":"band","threshold":1,"amount_ore":5}]}"#, "2026-02-30", "honorarium_rates_invalid"),
                (#"{"rates":[{"kind":"band","threshold":1,"amount_ore":5.5}]}"#, "2026-11-01", "malformed_request"),
                (#"{"rates":[{"kind":"tip","threshold":1,"amount_ore":5}]}"#, "2026-11-01", "malformed_request"),
            ] {
                let refused = try await put("/v1/honorarium-rates/\(day)", body, token: adminToken)
                #expect(refused.status.code / 100 == 4, "\(body)")
                #expect(problemCode(refused) == code, "\(body): \(String(buffer: refused.body))")
            }
            #expect(String(buffer: try await get("/v1/honorarium-rates").body).contains(#""amount_ore":25000"#), "a refused set changes nothing")
            #expect(String(buffer: try await get("/v1/reports/honorarium?period=2026").body).contains(",mentor,,band,1,,2026-11-01,1,250.00,250.00,NOK,LA101,"))
            let month = try await get("/v1/reports/honorarium?period=2026-11")
            #expect(month.status == .ok)
            #expect(month.headers[.contentDisposition] == "attachment; filename=\"honorarium-2026-11.csv\"")
            #expect(String(buffer: month.body).contains(",2026-11,"))
            let excel = try await get("/v1/reports/honorarium?period=2026&format=excel")
            #expect(String(buffer: excel.body).hasPrefix("\u{FEFF}organisation;period;"))
            for (uri, status, code) in [
                ("/v1/reports/honorarium", HTTPResponse.Status.badRequest, "malformed_request"),
                ("/v1/reports/honorarium?period=twenty", .unprocessableContent, "period_invalid"),
                ("/v1/reports/honorarium?period=2026-13", .unprocessableContent, "period_invalid"),
                ("/v1/reports/honorarium?period=2026-Q5", .unprocessableContent, "period_invalid"),
                ("/v1/reports/honorarium?period=2026&format=xlsx", .badRequest, "malformed_request"),
                ("/v1/reports/honorarium?period=2026&sort=name", .badRequest, "unknown_member"),
            ] {
                let response = try await get(uri)
                #expect(response.status == status, "\(uri)")
                #expect(problemCode(response) == code, "\(uri)")
            }
        }
    }
}
