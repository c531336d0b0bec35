import DatabaseTestSupport
import Envelope
import Foundation
import Postgres
import Testing

/// `dispatch serve` killed with SIGKILL in the middle of dispatching, as a crash or the OOM killer
/// would: clients retry with their `Idempotency-Key` until the restarted server answers, and
/// afterwards every dispatch exists exactly once (docs/security.md, "Availability and faults").
@Suite("dispatch serve killed mid-dispatch", .serialized)
struct ServerCrashTests {
    /// What the clients saw, shared between them and the test that kills the server under them.
    actor Ledger {
        var server: ServerProcess
        private var next = 0
        let total: Int
        private(set) var succeeded: [Int: UUID] = [:]
        private(set) var replayed = 0
        private(set) var failures: [String] = []

        init(server: ServerProcess, total: Int) {
            self.server = server
            self.total = total
        }

        func take() -> Int? {
            guard next < total else { return nil }
            defer { next += 1 }
            return next
        }

        func record(_ index: Int, id: UUID, replayed: Bool) {
            succeeded[index] = id
            if replayed { self.replayed += 1 }
        }

        func fail(_ message: String) { failures.append(message) }
        func replace(_ server: ServerProcess) { self.server = server }
    }

    @Test("kill -9 of the server during 2,000 dispatches that clients retry with their Idempotency-Key: after a restart on the cluster it left running, each exists exactly once with one event and one audit entry, none exists that no client sent, and the audit chain verifies")
    func killedMidDispatch() async throws {
        let total = Int(ProcessInfo.processInfo.environment["DISPATCH_CRASH_DISPATCHES"] ?? "") ?? 2_000
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        #expect(try await runner.running(["org", "create", "--name", "Crash"]).status == 0)
        for (handle, role) in [("coord", "coordinator"), ("mentor", "peer_mentor")] {
            #expect(try await runner.running(["users", "add", "--org", "Crash", "--handle", handle, "--role", role]).status == 0)
        }
        func token(_ handle: String) async throws -> String {
            let issued = try await runner.running(["tokens", "issue", "--org", "Crash", "--handle", handle])
            return try #require(issued.output.split(separator: "\n").first { $0.hasPrefix("adt_") }.map(String.init))
        }
        let coordinatorToken = try await token("coord")
        let mentorToken = try await token("mentor")
        let first = try #require(await ServerProcess.start(in: runner), "dispatch serve did not come up")

        // The two devices register; the coordinator's seals every envelope up front.
        let coordinatorDevice = try DeviceKeyPair.generate()
        let mentorDevice = try DeviceKeyPair.generate()
        for (device, bearer) in [(coordinatorDevice, coordinatorToken), (mentorDevice, mentorToken)] {
            let body = keyRegistrationBody(device.publicKeys)
            #expect(try await first.send("POST", "/v1/keys", token: bearer, body: body).status == 201)
        }
        let me = try JSONSerialization.jsonObject(with: try await first.send("GET", "/v1/me", token: mentorToken).body) as? [String: Any]
        let mentorID = try #require(me?["id"] as? String)
        let organizationID = try #require(UUID(uuidString: me?["organization_id"] as? String ?? ""))
        let payload = Array(#"{"contact_name":"Kari Krasj","version":1}"#.utf8)
        let requests: [(id: UUID, body: String)] = try (0..<total).map { index in
            let id = UUID()
            let envelope = try EnvelopeSealer().seal(
                payload: payload, assignmentID: id, organizationID: organizationID, sender: coordinatorDevice, recipients: [mentorDevice.publicKeys])
            return (id, #"{"id":"\#(id)","recipient_id":"\#(mentorID)","title":"Oppdrag \#(index)","envelope":"\#(Data(envelope.serialized).base64EncodedString())"}"#)
        }

        let ledger = Ledger(server: first, total: total)
        let deadline = ContinuousClock.now + .seconds(300)
        let killedAt = try await withThrowingTaskGroup(of: Int?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let index = await ledger.take() {
                        while true {
                            guard ContinuousClock.now < deadline else {
                                await ledger.fail("dispatch \(index) gave up at the deadline")
                                break
                            }
                            let server = await ledger.server
                            guard let answer = try? await server.send(
                                "POST", "/v1/assignments", token: coordinatorToken, body: requests[index].body, headers: ["Idempotency-Key": "crash-\(index)"])
                            else {
                                try await Task.sleep(for: .milliseconds(100))  // the server is down: retry
                                continue
                            }
                            if answer.status == 201 {
                                let object = (try JSONSerialization.jsonObject(with: answer.body) as? [String: Any])?["assignment"] as? [String: Any]
                                let replayed = answer.headers.contains { ($0.key as? String)?.lowercased() == "idempotent-replayed" }
                                await ledger.record(index, id: UUID(uuidString: object?["id"] as? String ?? "") ?? UUID(), replayed: replayed)
                                break
                            }
                            guard answer.status == 409 || answer.status == 503 else {
                                await ledger.fail("dispatch \(index): \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                                break
                            }
                            // Still claimed by the request the crash cut off, or the server is starting.
                            try await Task.sleep(for: .milliseconds(500))
                        }
                    }
                    return nil
                }
            }
            // The crash, a third of the way through; then the operator (or systemd) starts it again.
            group.addTask {
                while await ledger.succeeded.count < total / 3 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                let seen = await ledger.succeeded.count
                first.killHard()
                if try await !runner.running(["db", "status"]).output.contains("State: running") {
                    await ledger.fail("the embedded PostgreSQL did not outlive the server's crash")
                }
                guard let second = try await ServerProcess.start(in: runner, port: first.port) else {
                    await ledger.fail("dispatch serve did not come up again after the crash")
                    return seen
                }
                await ledger.replace(second)
                return seen
            }
            var killedAt: Int?
            for try await seen in group where seen != nil { killedAt = seen }
            return killedAt
        }
        let second = await ledger.server
        defer { _ = second.stop() }

        let failures = await ledger.failures
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        #expect(first.process.terminationReason == .uncaughtSignal, "the first server was killed, not stopped")
        #expect(second !== first, "a second server served after the crash")
        let crashedAt = try #require(killedAt)
        #expect(crashedAt > 0 && crashedAt < total, "killed in the middle: \(crashedAt) of \(total) answered")
        let succeeded = await ledger.succeeded
        #expect(succeeded.count == total, "every client saw its dispatch succeed in the end")
        #expect(succeeded.allSatisfy { requests[$0.key].id == $0.value }, "each answer names the assignment its request sent")

        let cluster = try ManagedCluster(dataDirectory: runner.dataDirectory, logger: TestPostgres.logger)
        let counts = try PostgresConnection(connectionString: cluster.ownerConnectionString())
        let stored = try Set(counts.query("SELECT id FROM assignments").map { try $0.decode("id", as: UUID.self) })
        #expect(stored == Set(requests.map(\.id)), "exactly the dispatches the clients sent, none twice, none that nobody sent")
        let events = try counts.query(
            "SELECT count(*) AS n, count(DISTINCT assignment_id) AS distinct_assignments FROM assignment_events WHERE to_status = 'dispatched'").first!
        #expect(try events.decode("n", as: Int.self) == total, "one dispatch event each")
        #expect(try events.decode("distinct_assignments", as: Int.self) == total)
        let audit = try counts.query(
            "SELECT count(*) AS n, count(DISTINCT subject_id) AS distinct_assignments FROM audit_entries WHERE action = 'assignment.created'").first!
        #expect(try audit.decode("n", as: Int.self) == total, "one audit entry each")
        #expect(try audit.decode("distinct_assignments", as: Int.self) == total)
        let keys = try counts.query("SELECT count(*) FILTER (WHERE state = 'completed') AS completed, count(*) AS n FROM idempotency_keys").first!
        #expect(try keys.decode("completed", as: Int.self) == total && keys.decode("n", as: Int.self) == total, "every key holds its one answer")
        counts.close()

        let verified = try await runner.running(["audit", "verify", "--live", "--org", "Crash"])
        #expect(verified.status == 0, "\(verified.output) \(verified.errors)")
    }
}
