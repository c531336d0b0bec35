import Envelope

/// Where the database is and how this process proves its transactions' scope to it. Read once, at
/// the edge (the command line), from `DATABASE_URL`, `DATABASE_OWNER_URL`, `DISPATCH_DATA_DIR`,
/// `DISPATCH_POSTGRES_BIN`, the server key file and the matching flags: see `docs/configuration.md`.
public struct DatabaseConfiguration: Sendable, CustomStringConvertible {
    public enum Location: Sendable {
        /// The embedded default: a cluster this program runs in `dataDirectory`.
        case embedded(dataDirectory: String, binDirectory: String?)
        /// A server someone else runs, by libpq connection string or `postgresql://` URI: the
        /// application's login role, and the schema owner's for migrations (the same login when
        /// `nil`, which `dispatch up` warns about).
        case external(connectionString: String, ownerConnectionString: String? = nil)
    }

    public var location: Location
    /// Where the scope-proof keys come from (see ``TransactionScope``).
    public var scopeProofKeys: ScopeProofKeySource
    /// The erasure keyring file (`ErasureKeyring`): the keys sealed keys are wrapped under, which
    /// never enter the database. Made on first use, once the database answers.
    public var erasureKeyringPath: String
    /// The most connections one process opens (and threads it blocks in libpq).
    public var maximumConnections: Int
    /// How long one statement of a transaction may run before PostgreSQL cancels it.
    public var statementTimeout: Duration
    /// How long a statement waits for a lock before PostgreSQL gives up on it.
    public var lockTimeout: Duration
    /// How long a transaction waits for a free connection when all are lent.
    public var connectionWait: Duration

    public init(
        location: Location, scopeProofKeys: ScopeProofKeySource, erasureKeyringPath: String, maximumConnections: Int = 8, statementTimeout: Duration = .seconds(30), lockTimeout: Duration = .seconds(5),
        connectionWait: Duration = .seconds(10)
    ) {
        self.location = location
        self.scopeProofKeys = scopeProofKeys
        self.erasureKeyringPath = erasureKeyringPath
        self.maximumConnections = maximumConnections
        self.statementTimeout = statementTimeout
        self.lockTimeout = lockTimeout
        self.connectionWait = connectionWait
    }

    /// Safe to print: a password in the URL is never shown.
    public var description: String {
        switch location {
        case .embedded(let dataDirectory, _): "embedded PostgreSQL in \(dataDirectory)"
        case .external(let connectionString, _): "PostgreSQL at \(Self.redacted(connectionString))"
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

/// Where a process gets its scope-proof keys: the server key file (made on first use), read only
/// once the database answers, so that a command that cannot reach it leaves nothing behind; or
/// keys already at hand (tests, scratch clusters).
public enum ScopeProofKeySource: Sendable {
    case serverKeyFile(path: String)
    case keys([ScopeProofKey])

    /// The keys, oldest first: the last proves this process's transactions, and preparing the
    /// schema installs them all.
    func resolve() throws -> [ScopeProofKey] {
        switch self {
        case .serverKeyFile(let path): try ServerKey.loadOrCreate(at: path).scopeProofKeys()
        case .keys(let keys): keys
        }
    }
}
