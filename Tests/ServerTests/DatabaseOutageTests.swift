import AssignmentCore
import DatabaseTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Server
import Storage
import Testing

/// PostgreSQL goes away under load and comes back: the service says so honestly and recovers by
/// itself. On a cluster of its own (the shared test cluster must keep running for other tests).
@Suite("Database outage")
struct DatabaseOutageTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    /// The server on an embedded cluster of its own in `folder` (checked every `checkInterval`,
    /// or never), and a coordinator's token on it.
    func serverOnItsOwnCluster(in folder: String, checkInterval: Duration?) async throws -> (some ApplicationProtocol, ManagedCluster, String) {
        let configuration = DatabaseConfiguration(
            location: .embedded(dataDirectory: folder, binDirectory: nil), scopeProofKeys: .keys(TestPostgres.scopeProofKeys),
            erasureKeyringPath: folder + "/erasure.keyring", maximumConnections: 4, connectionWait: .seconds(2))
        let clock = self.clock
        let application = try await buildApplication(
            configuration: ServerConfiguration(
                port: 0, database: configuration, now: { clock.now }, notificationInterval: nil, jobInterval: nil, embeddedDatabaseCheckInterval: checkInterval),
            logger: TestPostgres.logger)
        let cluster = try ManagedCluster(dataDirectory: folder, logger: TestPostgres.logger)
        let token = try await Database.using(
            DatabaseConfiguration(
                location: .external(connectionString: cluster.applicationConnectionString(), ownerConnectionString: cluster.ownerConnectionString()),
                scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: folder + "/erasure.keyring", maximumConnections: 1),
            logger: TestPostgres.logger
        ) { database in
            let accounts = AccountStore(database: database)
            let organization = try await accounts.createOrganization(name: "Outage", at: clock.now)
            _ = try await accounts.addUser(to: organization.id, handle: "kari", role: .coordinator, at: clock.now)
            return try await accounts.issueToken(for: "kari", in: organization.id, lifetime: 86_400, at: clock.now).token
        }
        return (application, cluster, token)
    }

    /// Stops the cluster in `folder` if it runs, and deletes the folder.
    static func remove(_ folder: String) {
        if let cluster = try? ManagedCluster(dataDirectory: folder, logger: TestPostgres.logger) { _ = try? cluster.stop() }
        try? FileManager.default.removeItem(atPath: folder)
    }

    @Test("while PostgreSQL is stopped every request is a prompt 503 database_unavailable with Retry-After; started again, the same server serves")
    func stopAndStart() async throws {
        let folder = "/tmp/dispatch-outage-\(UUID().uuidString.prefix(8))"
        defer { Self.remove(folder) }
        let (application, cluster, token) = try await serverOnItsOwnCluster(in: folder, checkInterval: nil)

        try await application.test(.live) { client in
            func get(_ uri: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"])
            }
            #expect(try await get("/v1/me").status == .ok)
            #expect(try await get("/healthz").status == .ok)

            // Under load: requests in flight while the database stops.
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await get("/v1/assignments").status } }
                #expect(try cluster.stop())
                for try await status in group { #expect(status == .ok || status == .serviceUnavailable, "\(status)") }
            }

            let started = ContinuousClock.now
            for uri in ["/v1/me", "/v1/assignments", "/v1/users/kari/keys", "/healthz"] {
                let response = try await get(uri)
                #expect(response.status == .serviceUnavailable, "\(uri)")
                #expect(problemCode(response) == "database_unavailable", "\(uri)")
                #expect(response.headers[.retryAfter] == "5", "\(uri)")
            }
            // Four requests, each given up after the pool's 2-second wait at the most: well under the
            // 30-second statement timeout a hanging request would reach, also on a busy machine.
            #expect(ContinuousClock.now - started < .seconds(20), "nothing hangs while the database is away")

            // The database comes back; the server was never restarted.
            _ = try cluster.acquire(detached: true)
            var recovered = false
            for _ in 0..<50 where !recovered {
                recovered = try await get("/v1/me").status == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(recovered, "the server serves again by itself")
            #expect(try await get("/healthz").status == .ok)
            for _ in 0..<10 { #expect(try await get("/v1/assignments").status == .ok, "no broken connection is handed out again") }
        }
    }

    @Test("the embedded PostgreSQL killed with SIGKILL under load: requests get 503, and the server starts it again by itself and serves")
    func killedPostmasterIsRestarted() async throws {
        let folder = "/tmp/dispatch-killed-\(UUID().uuidString.prefix(8))"
        defer { Self.remove(folder) }
        let (application, cluster, token) = try await serverOnItsOwnCluster(in: folder, checkInterval: .milliseconds(500))

        try await application.test(.live) { client in
            func get(_ uri: String) async throws -> TestResponse {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(token)"])
            }
            #expect(try await get("/v1/me").status == .ok)
            guard case .running(let pid) = cluster.state() else {
                Issue.record("the embedded cluster is not running")
                return
            }
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<20 { group.addTask { try await get("/v1/assignments").status } }
                #expect(kill(pid, SIGKILL) == 0)
                for try await status in group { #expect(status == .ok || status == .serviceUnavailable, "\(status)") }
            }
            // Nobody runs `dispatch db start`: the server's watchdog starts it again.
            var recovered = false
            let deadline = ContinuousClock.now + .seconds(60)
            while !recovered && ContinuousClock.now < deadline {
                let status = try await get("/v1/me").status
                #expect(status == .ok || status == .serviceUnavailable, "\(status)")
                recovered = status == .ok
                if !recovered { try await Task.sleep(for: .milliseconds(200)) }
            }
            #expect(recovered, "the server serves again by itself")
            guard case .running(let restarted) = cluster.state() else {
                Issue.record("not running after the restart")
                return
            }
            #expect(restarted != pid, "a new postmaster")
            for _ in 0..<10 { #expect(try await get("/v1/assignments").status == .ok, "no broken connection is handed out again") }
        }
    }
}
