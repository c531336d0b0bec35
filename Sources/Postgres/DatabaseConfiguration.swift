/// Where the database is. Read once, at the edge (the command line), from `DATABASE_URL`,
/// `DISPATCH_DATA_DIR`, `DISPATCH_POSTGRES_BIN` and the matching flags: see `docs/configuration.md`.
public struct DatabaseConfiguration: Sendable, CustomStringConvertible {
    public enum Location: Sendable {
        /// The embedded default: a cluster this program runs in `dataDirectory`.
        case embedded(dataDirectory: String, binDirectory: String?)
        /// A server someone else runs, by libpq connection string or `postgresql://` URI.
        case external(connectionString: String)
    }

    public var location: Location
    /// The most connections one process opens (and threads it blocks in libpq).
    public var maximumConnections: Int
    /// How long one statement of a transaction may run before PostgreSQL cancels it.
    public var statementTimeout: Duration
    /// How long a statement waits for a lock before PostgreSQL gives up on it.
    public var lockTimeout: Duration
    /// How long a transaction waits for a free connection when all are lent.
    public var connectionWait: Duration

    public init(
        location: Location, maximumConnections: Int = 8, statementTimeout: Duration = .seconds(30), lockTimeout: Duration = .seconds(5),
        connectionWait: Duration = .seconds(10)
    ) {
        self.location = location
        self.maximumConnections = maximumConnections
        self.statementTimeout = statementTimeout
        self.lockTimeout = lockTimeout
        self.connectionWait = connectionWait
    }

    /// Safe to print: a password in the URL is never shown.
    public var description: String {
        switch location {
        case .embedded(let dataDirectory, _): "embedded PostgreSQL in \(dataDirectory)"
        case .external(let connectionString): "PostgreSQL at \(Self.redacted(connectionString))"
        }
    }

    /// The connection string with any password replaced by `***`.
    public static func redacted(_ connectionString: String) -> String {
        var text = connectionString
        // URI form: scheme://user:password@host
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].firstIndex(of: "@") {
            let credentials = text[scheme.upperBound..<at]
            if let colon = credentials.firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        // key=value form, and password= in a URI's query
        let pattern = /(password\s*=\s*)('[^']*'|[^\s&]*)/
        return text.replacing(pattern) { match in "\(match.output.1)***" }
    }
}
