import AssignmentCore
import DatabaseTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Jobs
import Server
import Storage
import Testing

/// The encrypted-assignments module switched off (the specification's module switch): no
/// assignment is created or read by anyone, feeds stop answering, while what compliance needs
/// (sweeps, audit extracts, honorarium reports) keeps working; switched on, everything is back.
@Suite("Module switch")
struct ModuleSwitchTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("off: every assignment operation is 403 module_disabled and the feed is gone; compliance keeps working; on again: all restored")
    func offAndOn() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        _ = try await accounts.addUser(to: world.organization.id, handle: "admin", role: .organizationAdmin, at: clock.now)
        let adminToken = try await accounts.issueToken(for: "admin", in: world.organization.id, lifetime: 86_400, at: clock.now).token
        let clock = self.clock
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            let id = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken).status == .created)
            let feed = try await world.post(client, "/v1/users/me/feed", body: "", as: world.mentorToken)
            let feedPath = try #require(
                ((try JSONSerialization.jsonObject(with: Data(buffer: feed.body)) as? [String: Any])?["url"] as? String).flatMap { URL(string: $0)?.path })
            func get(_ uri: String, _ token: String?) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: token.map { [.authorization: "Bearer \($0)"] } ?? [:])
            }
            let envelope = "/v1/assignments/\(id)/envelope?device=\(world.mentorDevice.fingerprint.hex)"
            #expect(try await get(feedPath, nil).status == .ok)

            var settings = world.organization.settings
            settings.encryptedAssignmentsEnabled = false
            _ = try await accounts.updateSettings(of: world.organization.id, to: settings, at: clock.now)
            let before = try await DatabaseSnapshot.take(accounts.database)
            var refused: [(String, TestResponse)] = []
            refused.append(("dispatch", try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: AssignmentID(UUID())), as: world.coordinatorToken)))
            refused.append(("overview", try await get("/v1/assignments", world.coordinatorToken)))
            refused.append(("inbox", try await get("/v1/assignments", world.mentorToken)))
            refused.append(("metadata", try await get("/v1/assignments/\(id)", world.mentorToken)))
            refused.append(("envelope", try await get(envelope, world.mentorToken)))
            for step in ["consent", "read", "acknowledge", "contact", "complete"] {
                refused.append((step, try await world.post(client, "/v1/assignments/\(id)/\(step)", body: "", as: world.mentorToken)))
            }
            let opening = openingReceipt(device: world.mentorDevice.fingerprint, openedAt: clock.now)
            refused.append(("opened", try await world.post(client, "/v1/assignments/\(id)/opened", body: opening, as: world.mentorToken)))
            refused.append(("cancel", try await world.post(client, "/v1/assignments/\(id)/cancel", body: #"{"reason":"Planned otherwise"}"#, as: world.coordinatorToken)))
            for (name, response) in refused {
                #expect(response.status == .forbidden && problemCode(response) == "module_disabled", "\(name): \(response.status) \(problemCode(response) ?? "")")
            }
            #expect(try await get(feedPath, nil).status == .notFound, "the feed stops answering")
            #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(accounts.database)).isEmpty, "nothing changed")

            // Compliance keeps working.
            #expect(try await get("/v1/audit/extract?from=2026-01-01&to=2026-12-31", adminToken).status == .ok)
            #expect(try await get("/v1/reports/honorarium?period=2026", adminToken).status == .ok)
            let sweep = try await SweepJob.expiry(database: accounts.database, clock: { clock.now })
            #expect(sweep.complete)

            // On again: the same assignment is there and can be downloaded.
            settings.encryptedAssignmentsEnabled = true
            _ = try await accounts.updateSettings(of: world.organization.id, to: settings, at: clock.now)
            #expect(try await get("/v1/assignments/\(id)", world.mentorToken).status == .ok)
            #expect(try await get(envelope, world.mentorToken).status == .ok)
            #expect(try await get(feedPath, nil).status == .ok)
        }
    }
}
