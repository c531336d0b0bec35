import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `dispatch serve` as a process of its own in a ``DispatchRunner``'s sandbox, on the embedded
/// database, so that a test can kill it the way a crash would.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int

    private init(process: Process, port: Int) {
        self.process = process
        self.port = port
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts `dispatch serve` on `port` (or on a free port found by trying) and waits until
    /// `/healthz` answers 200. `nil` when it did not come up within a minute on three ports.
    static func start(in runner: DispatchRunner, port preferred: Int? = nil, environment extra: [String: String] = [:]) async throws -> ServerProcess? {
        for attempt in 0..<3 {
            let port = attempt == 0 ? (preferred ?? Int.random(in: 20_000..<60_000)) : Int.random(in: 20_000..<60_000)
            let process = Process()
            process.executableURL = DispatchRunner.executable
            process.arguments = ["serve", "--port", String(port)]
            var environment = ProcessInfo.processInfo.environment
            for key in ["DATABASE_URL", "DATABASE_OWNER_URL", "DISPATCH_ERASURE_KEYRING_FILE"] { environment.removeValue(forKey: key) }
            environment["HOME"] = runner.sandbox.path
            environment["DISPATCH_DATA_DIR"] = runner.dataDirectory
            for (key, value) in extra { environment[key] = value }
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let server = ServerProcess(process: process, port: port)
            let deadline = ContinuousClock.now + .seconds(60)
            while process.isRunning && ContinuousClock.now < deadline {
                if await server.status(of: "/healthz") == 200 { return server }
                try await Task.sleep(for: .milliseconds(100))
            }
            if process.isRunning { process.terminate() }
            process.waitUntilExit()  // most likely the port was taken: try another
        }
        return nil
    }

    /// The status of a GET, or `nil` when nothing answered.
    func status(of path: String, token: String? = nil) async -> Int? {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.timeoutInterval = 2
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// Sends a request and gives status, headers and body; throws when the connection fails.
    func send(_ method: String, _ path: String, token: String, body: String? = nil, headers: [String: String] = [:]) async throws -> (status: Int, headers: [AnyHashable: Any], body: Data) {
        var request = URLRequest(url: baseURL.appendingPathComponent(path))
        request.httpMethod = method
        request.timeoutInterval = 30
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        return (http.statusCode, http.allHeaderFields, data)
    }

    /// SIGKILL: no shutdown, no flushing, exactly what a crash or the OOM killer does.
    func killHard() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, as an operator or systemd stops it; gives the exit status.
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
