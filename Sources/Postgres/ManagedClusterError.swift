/// Why the embedded PostgreSQL could not be set up, started or stopped. Each message says what to
/// do about it.
public enum ManagedClusterError: Error, Sendable, Hashable, CustomStringConvertible {
    case serverNotInstalled(searched: String)
    case serverUserMissing(String)
    case unusableDataDirectory(path: String, reason: String)
    case socketPathTooLong(path: String)
    case toolFailed(tool: String, output: String)
    case startFailed(logTail: String)
    case notInitialized(path: String)

    public var description: String {
        switch self {
        case .serverNotInstalled(let searched):
            "PostgreSQL's server programs were not found (looked in \(searched)). Install them with scripts/setup, or point DISPATCH_POSTGRES_BIN at the folder holding initdb and pg_ctl."
        case .serverUserMissing(let user):
            "This program runs as root, and PostgreSQL must then run as the user '\(user)', which does not exist. Install Debian's postgresql package (scripts/setup), which creates it."
        case .unusableDataDirectory(let path, let reason):
            "The data folder \(path) cannot be used: \(reason). Choose another with DISPATCH_DATA_DIR or --data-dir."
        case .socketPathTooLong(let path):
            "The data folder path \(path) is too long for a unix socket (about 100 characters at most). Choose a shorter one with DISPATCH_DATA_DIR."
        case .toolFailed(let tool, let output):
            "\(tool) failed: \(output)"
        case .startFailed(let logTail):
            "The embedded PostgreSQL did not start. The end of its log says:\n\(logTail)"
        case .notInitialized(let path):
            "No embedded database has been created in \(path) yet. Run: dispatch db start"
        }
    }
}
