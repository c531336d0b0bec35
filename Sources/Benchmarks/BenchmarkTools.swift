import Foundation

/// PostgreSQL's own tools, pointed at the benchmark's throwaway cluster as its owner: the
/// baselines the benchmarks measure against.
struct BenchmarkTools: Sendable {
    /// A folder for scripts and output files, deleted with the cluster.
    let scratch: String
    let binDirectory: String
    /// A libpq connection string for the schema's owner.
    let connectionString: String

    /// Runs a psql command (`-c`); throws unless it succeeds. Gives what it printed.
    @discardableResult
    func psql(_ command: String) throws -> String {
        try run(binDirectory + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", connectionString, "-c", command]) { status, output in
            BenchmarkError.psqlFailed(status: status)
        }
    }

    /// Runs a pgbench script with `connections` clients for about `seconds`, with the extended
    /// query protocol (bound parameters, as this program's libpq calls), and gives its
    /// transactions (script runs) a second.
    ///
    /// pgbench's own `-T` ends the run with `SIGALRM`, which a child of this process never gets
    /// (the Swift runtime's threads block it, and the mask is inherited), so the length is set as
    /// a number of transactions from a short calibration run instead.
    func pgbench(script: String, connections: Int, seconds: Int) throws -> Double {
        let calibration = try pgbench(script: script, connections: connections, transactionsPerClient: 20)
        return try pgbench(script: script, connections: connections, transactionsPerClient: max(20, Int(calibration * Double(seconds) / Double(connections))))
    }

    private func pgbench(script: String, connections: Int, transactionsPerClient: Int) throws -> Double {
        let output = try run(
            binDirectory + "/pgbench",
            ["-n", "-M", "extended", "-c", String(connections), "-j", "2", "-t", String(transactionsPerClient), "-f", script, connectionString]
        ) { status, output in BenchmarkError.pgbenchFailed(status: status, output: String(output.suffix(2_000))) }
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }),
            let tps = Double(line.dropFirst(6).prefix { $0 != " " })
        else { throw BenchmarkError.pgbenchFailed(status: 0, output: String(output.suffix(2_000))) }
        let failed = output.split(separator: "\n").first { $0.hasPrefix("number of failed transactions: ") }
        if let failed, !failed.contains(": 0 ") { throw BenchmarkError.pgbenchFailed(status: 0, output: String(failed)) }
        return tps
    }

    private func run(_ executable: String, _ arguments: [String], failure: (Int32, String) -> BenchmarkError) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let outputFile = scratch + "/tool-\(UUID().uuidString).out"
        FileManager.default.createFile(atPath: outputFile, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputFile) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else { throw failure(process.terminationStatus, output) }
        return output
    }
}
