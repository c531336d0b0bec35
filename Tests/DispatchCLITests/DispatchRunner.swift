import Foundation

/// Runs the built `dispatch` executable, as a person or a cron job would, in a sandbox of its own:
/// a fresh data folder and home, no DATABASE_URL unless the test gives one.
struct DispatchRunner {
    struct Result {
        var status: Int32
        var output: String
        var errors: String
    }

    let sandbox: URL
    var dataDirectory: String { sandbox.appendingPathComponent("data").path }

    init() throws {
        sandbox = URL(fileURLWithPath: "/tmp/dispatch-cli-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
    }

    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("dispatch")
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        environment.removeValue(forKey: "DATABASE_OWNER_URL")
        environment.removeValue(forKey: "DISPATCH_ERASURE_KEYRING_FILE")
        environment["HOME"] = sandbox.path
        environment["DISPATCH_DATA_DIR"] = dataDirectory
        environment["DISPATCH_KEYSTORE"] = sandbox.appendingPathComponent("keys/device.keystore").path
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let output = sandbox.appendingPathComponent("out-\(UUID().uuidString)")
        let errors = sandbox.appendingPathComponent("err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = try FileHandle(forWritingTo: errors)
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: try String(contentsOf: output, encoding: .utf8),
            errors: try String(contentsOf: errors, encoding: .utf8))
    }

    /// ``run(_:environment:input:)`` on a thread of its own, for a test that is async: waiting for a
    /// process blocks its thread, and blocking one of the few threads Swift's concurrency pool has
    /// for seconds (a benchmark, a server's start) starves every other test running beside it.
    func running(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Swift.Result { try self.run(arguments, environment: extra) }) }
        }
    }

    /// Stops a cluster a failed test may have left running, and removes the sandbox.
    func cleanUp() {
        _ = try? run(["db", "stop"])
        try? FileManager.default.removeItem(at: sandbox)
    }
}

extension String {
    /// Whether the text is plain enough for a screen reader: no escape sequences (colour), no
    /// box-drawing characters.
    var isPlainText: Bool {
        !contains("\u{1B}") && !unicodeScalars.contains { (0x2500...0x257F).contains($0.value) }
    }
}
