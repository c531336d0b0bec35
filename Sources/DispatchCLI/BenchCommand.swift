import ArgumentParser

/// `dispatch bench all` and `dispatch bench exports`: the benchmarks of docs/performance.md.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks, measured against PostgreSQL's own tools side by side (docs/performance.md).",
        subcommands: [BenchAllCommand.self, BenchExportsCommand.self]
    )
}
