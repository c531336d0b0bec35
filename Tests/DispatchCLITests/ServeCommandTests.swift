import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `dispatch serve` as an operator runs it: it starts the embedded database, answers over HTTP,
/// and on SIGTERM stops gracefully, taking the database it started down with it.
@Suite("dispatch serve", .serialized)
struct ServeCommandTests {
    func get(_ url: URL, token: String? = nil) async -> Int? {
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    @Test("serve answers /healthz and a token issued by the CLI, and shuts down cleanly on SIGTERM, stopping the embedded database")
    func serveAndStop() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        _ = try runner.run(["org", "create", "--name", "Org"])
        _ = try runner.run(["users", "add", "--org", "Org", "--handle", "ola", "--role", "peer_mentor"])
        let issued = try runner.run(["tokens", "issue", "--org", "Org", "--handle", "ola"])
        let token = try #require(issued.output.split(separator: "\n").first { $0.hasPrefix("adt_") }.map(String.init))
        var served = false
        for _ in 0..<3 {
            let port = Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = DispatchRunner.executable
            process.arguments = ["serve", "--port", String(port)]
            var environment = ProcessInfo.processInfo.environment
            environment.removeValue(forKey: "DATABASE_URL")
            environment["HOME"] = runner.sandbox.path
            environment["DISPATCH_DATA_DIR"] = runner.dataDirectory
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var status: Int?
            for _ in 0..<150 where process.isRunning {
                status = await get(URL(string: "http://127.0.0.1:\(port)/healthz")!)
                if status != nil { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            guard process.isRunning, status == 200 else {
                // Most likely the port was taken; try another.
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                continue
            }
            #expect(try runner.run(["db", "status"]).output.contains("State: running"))
            #expect(await get(URL(string: "http://127.0.0.1:\(port)/v1/me")!, token: token) == 200)
            #expect(await get(URL(string: "http://127.0.0.1:\(port)/v1/me")!, token: token + "x") == 401)
            #expect(await get(URL(string: "http://127.0.0.1:\(port)/v1/me")!) == 401)
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(process.terminationReason == .exit)
            #expect(process.terminationStatus == 0)
            #expect(try runner.run(["db", "status"]).output.contains("State: stopped"), "the database the server started is stopped with it")
            served = true
            break
        }
        #expect(served)
    }
}
