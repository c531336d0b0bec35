import Foundation
import Testing

/// `dispatch serve` as an operator runs it: it starts the embedded database, answers over HTTP,
/// and on SIGTERM stops gracefully, taking the database it started down with it.
@Suite("dispatch serve", .serialized)
struct ServeCommandTests {
    @Test("serve answers /healthz and a token issued by the CLI, and shuts down cleanly on SIGTERM, stopping the embedded database")
    func serveAndStop() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        _ = try await runner.running(["org", "create", "--name", "Org"])
        _ = try await runner.running(["users", "add", "--org", "Org", "--handle", "ola", "--role", "peer_mentor"])
        let issued = try await runner.running(["tokens", "issue", "--org", "Org", "--handle", "ola"])
        let token = try #require(issued.output.split(separator: "\n").first { $0.hasPrefix("adt_") }.map(String.init))
        let server = try #require(await ServerProcess.start(in: runner), "dispatch serve did not come up")
        #expect(try await runner.running(["db", "status"]).output.contains("State: running"))
        #expect(await server.status(of: "/v1/me", token: token) == 200)
        #expect(await server.status(of: "/v1/me", token: token + "x") == 401)
        #expect(await server.status(of: "/v1/me") == 401)
        #expect(server.stop() == 0)
        #expect(server.process.terminationReason == .exit)
        #expect(try await runner.running(["db", "status"]).output.contains("State: stopped"), "the database the server started is stopped with it")
    }
}
