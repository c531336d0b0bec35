import ArgumentParser

/// Flags every command takes. Each overrides the environment variable named in its help.
struct GlobalOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data folder of the embedded PostgreSQL (DISPATCH_DATA_DIR).")
    var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (DISPATCH_LOG_LEVEL; default notice).")
    var logLevel: String?
}
