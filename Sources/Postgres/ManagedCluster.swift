import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded default: a PostgreSQL cluster that this program creates, starts and stops itself,
/// so that nobody has to set up a database to try the project or run its tests.
///
/// Layout of the data folder:
///
/// ```
/// <data folder>/pgdata          the cluster (initdb), owned by the server user
/// <data folder>/run/            the unix socket; the server listens on no TCP port at all
/// <data folder>/postgres.log    the server's log
/// <data folder>/run/owner       who started the running server: a process id, or "detached"
/// <data folder>/.lock           serialises start and stop between processes
/// ```
///
/// Ownership: the process that starts the server stops it when it is done (``release(_:)``). A
/// server started by `dispatch db start` is "detached" and keeps running until `dispatch db stop`.
/// A server whose owning process died (a crash, `kill -9`) is adopted by the next process that
/// uses it, and a stale `postmaster.pid` left by a crash is removed before starting.
///
/// The methods block (they wait for initdb and pg_ctl); call them off the event loops.
public struct ManagedCluster: Sendable {
    public let dataDirectory: String
    public let binDirectory: String
    /// The account the server runs as when this process is root (`postgres`), otherwise `nil`.
    public let serverUser: String?
    private let logger: Logger

    /// The cluster's superuser (made by initdb): creates the database and the roles, nothing else.
    public static let superuser = "dispatch"
    public static let databaseName = "dispatch"

    public var clusterDirectory: String { dataDirectory + "/pgdata" }
    public var socketDirectory: String { dataDirectory + "/run" }
    public var logFile: String { dataDirectory + "/postgres.log" }
    private var ownerFile: String { socketDirectory + "/owner" }
    private var lockFile: String { dataDirectory + "/.lock" }

    /// How a process holds the running server.
    public enum Lease: Sendable, Hashable {
        /// This process started (or adopted) the server and stops it in ``release(_:)``.
        case owned
        /// Someone else runs it; ``release(_:)`` leaves it running.
        case shared
        /// Started for `dispatch db start`: nobody stops it but `dispatch db stop`.
        case detached
    }

    public enum State: Sendable, Hashable {
        case notInitialized
        case stopped
        case running(pid: Int32)
    }

    /// - Parameters:
    ///   - dataDirectory: an absolute path; created if missing.
    ///   - binDirectory: where initdb and pg_ctl are; found automatically when `nil`.
    public init(dataDirectory: String, binDirectory: String? = nil, logger: Logger) throws {
        let absolute = URL(fileURLWithPath: dataDirectory).standardizedFileURL.path
        guard !absolute.contains("'"), !absolute.contains("\n"), !absolute.contains("\\") else {
            throw ManagedClusterError.unusableDataDirectory(path: absolute, reason: "its path contains a quote, backslash or line break")
        }
        guard (absolute + "/run/.s.PGSQL.5432").utf8.count < 104 else { throw ManagedClusterError.socketPathTooLong(path: absolute) }
        self.dataDirectory = absolute
        self.binDirectory = try binDirectory ?? Self.findBinDirectory()
        self.serverUser = geteuid() == 0 ? "postgres" : nil
        self.logger = logger
    }

    /// libpq connection string for the cluster's database over its socket, as the superuser unless
    /// another role is asked for.
    public func connectionString(database: String = ManagedCluster.databaseName, role: String = ManagedCluster.superuser) -> String {
        "host='\(socketDirectory)' dbname='\(database)' user='\(role)' application_name='dispatch'"
    }

    /// The same as the application's login role (``DatabaseRoles/application``), which everything
    /// but migrations uses.
    public func applicationConnectionString(database: String = ManagedCluster.databaseName) -> String {
        connectionString(database: database, role: DatabaseRoles.application)
    }

    /// The same as the schema's owner (``DatabaseRoles/owner``), which migrations use.
    public func ownerConnectionString(database: String = ManagedCluster.databaseName) -> String {
        connectionString(database: database, role: DatabaseRoles.owner)
    }

    /// A `postgresql://` URI that psql and other tools accept (for `dispatch db status`), as the
    /// superuser: what an operator inspecting the database needs.
    public var connectionURI: String {
        let host = socketDirectory.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? socketDirectory
        return "postgresql://\(Self.superuser)@/\(Self.databaseName)?host=\(host)"
    }

    // MARK: - State

    public func state() -> State {
        guard FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION") else { return .notInitialized }
        if let pid = livePostmasterPID() { return .running(pid: pid) }
        return .stopped
    }

    /// The postmaster's pid when `postmaster.pid` names a live PostgreSQL process.
    private func livePostmasterPID() -> Int32? {
        guard let contents = try? String(contentsOfFile: clusterDirectory + "/postmaster.pid", encoding: .utf8),
            let first = contents.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)), pid > 0
        else { return nil }
        guard kill(pid, 0) == 0 || errno == EPERM else { return nil }
        // The number may have been reused by an unrelated process after a crash.
        #if os(Linux)
        if let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") {
            let command = String(decoding: cmdline.prefix { $0 != 0 }, as: UTF8.self)
            guard command.hasSuffix("postgres") || command.hasSuffix("postmaster") else { return nil }
        }
        #endif
        return pid
    }

    // MARK: - Start and stop

    /// Creates the cluster if needed, starts it unless it runs, and says how this process holds it.
    public func acquire(detached: Bool = false) throws -> Lease {
        try withFileLock {
            try prepareDirectories()
            if state() == .notInitialized { try initialize() }
            if case .running = state() {
                try ensureRoles()
                let owner = (try? String(contentsOfFile: ownerFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
                if detached {
                    try writeOwner("detached")
                    return .detached
                }
                if owner == "detached" { return .shared }
                // Its owner (possibly this very process, through another handle) is alive and stops it.
                if let owner, let pid = Int32(owner), kill(pid, 0) == 0 || errno == EPERM { return .shared }
                logger.notice("adopting an embedded PostgreSQL whose owner is gone", metadata: ["data_folder": "\(dataDirectory)"])
                try writeOwner(String(getpid()))
                return .owned
            }
            try start()
            try ensureDatabase()
            try ensureRoles()
            try writeOwner(detached ? "detached" : String(getpid()))
            return detached ? .detached : .owned
        }
    }

    /// Stops the server if this process still owns it. Ownership can have moved since ``acquire``:
    /// `dispatch db start` may have made the running server detached, and then it stays up.
    public func release(_ lease: Lease) throws {
        guard lease == .owned else { return }
        try withFileLock {
            let owner = (try? String(contentsOfFile: ownerFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard owner == String(getpid()) else { return }
            _ = try stopIfRunning()
        }
    }

    /// Stops the server whoever started it (`dispatch db stop`). Returns whether it was running.
    @discardableResult
    public func stop() throws -> Bool {
        try withFileLock { try stopIfRunning() }
    }

    private func stopIfRunning() throws -> Bool {
        guard case .running = state() else { return false }
        let output = try runner.run(binDirectory + "/pg_ctl", ["-D", clusterDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        guard output.status == 0 else { throw ManagedClusterError.toolFailed(tool: "pg_ctl stop", output: Self.lastLines(output.text)) }
        try? FileManager.default.removeItem(atPath: ownerFile)
        logger.info("embedded PostgreSQL stopped", metadata: ["data_folder": "\(dataDirectory)"])
        return true
    }

    private func start() throws {
        removeStaleFiles()
        let options = "-c listen_addresses='' -k '\(socketDirectory)' -c unix_socket_permissions=0700"
        var lastOutput = ""
        // A server killed a moment ago may still hold its shared memory; give it a few tries.
        for attempt in 1...5 {
            let output = try runner.run(
                binDirectory + "/pg_ctl", ["-D", clusterDirectory, "-l", logFile, "-o", options, "-w", "-t", "60", "start"],
                captureOutput: false)
            if output.status == 0 {
                logger.info("embedded PostgreSQL started", metadata: ["data_folder": "\(dataDirectory)"])
                return
            }
            lastOutput = "pg_ctl exited with status \(output.status)"
            logger.debug("pg_ctl start failed, retrying", metadata: ["attempt": "\(attempt)"])
            Thread.sleep(forTimeInterval: Double(attempt) * 0.5)
            removeStaleFiles()
        }
        let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? lastOutput
        throw ManagedClusterError.startFailed(logTail: Self.lastLines(log))
    }

    /// After a crash: a `postmaster.pid` naming no live server, and the socket lock file beside it.
    private func removeStaleFiles() {
        guard livePostmasterPID() == nil else { return }
        for stale in [clusterDirectory + "/postmaster.pid", socketDirectory + "/.s.PGSQL.5432.lock", socketDirectory + "/.s.PGSQL.5432"]
        where FileManager.default.fileExists(atPath: stale) {
            logger.notice("removing a stale file left by a crashed PostgreSQL", metadata: ["file": "\(stale)"])
            try? FileManager.default.removeItem(atPath: stale)
        }
    }

    private func initialize() throws {
        logger.notice("creating the embedded PostgreSQL cluster", metadata: ["data_folder": "\(dataDirectory)"])
        try? FileManager.default.removeItem(atPath: clusterDirectory)
        let output = try runner.run(
            binDirectory + "/initdb",
            ["-D", clusterDirectory, "-U", Self.superuser, "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions"])
        guard output.status == 0 else { throw ManagedClusterError.toolFailed(tool: "initdb", output: Self.lastLines(output.text)) }
    }

    /// Creates the application database on first start.
    private func ensureDatabase() throws {
        let connection = try PostgresConnection(connectionString: connectionString(database: "postgres"))
        let exists = try connection.query("SELECT 1 FROM pg_database WHERE datname = $1", [Self.databaseName]).count > 0
        if !exists { try connection.execute("CREATE DATABASE \(Self.databaseName)") }
    }

    /// Creates the roles, once per cluster (roles are cluster-wide): the owner, which owns the
    /// application database and everything in it and runs the migrations (no superuser; it may
    /// create roles and bypasses row-level security, which the narrow look-up functions that run as
    /// it need); the tenant role the grants go to; and the application's login role, a member of
    /// the tenant role and nothing else: no superuser, no `BYPASSRLS`, owns nothing. Then hands
    /// the database and whatever the superuser still owns in it (a cluster made before the owner
    /// role existed) to the owner. Trust authentication is safe here because the socket folder is
    /// private to the server's account.
    private func ensureRoles() throws {
        let connection = try PostgresConnection(connectionString: connectionString(database: "postgres"))
        for (role, attributes) in [
            (DatabaseRoles.owner, "LOGIN NOSUPERUSER CREATEROLE BYPASSRLS NOCREATEDB"), (DatabaseRoles.tenant, "NOLOGIN"),
            (DatabaseRoles.application, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"),
        ] where try connection.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [role]).count == 0 {
            try connection.execute("CREATE ROLE \(role) \(attributes)")
        }
        try connection.execute("GRANT \(DatabaseRoles.tenant) TO \(DatabaseRoles.application)")
        try connection.execute("ALTER DATABASE \(Self.databaseName) OWNER TO \(DatabaseRoles.owner)")
        try Self.handSchemaToOwner(on: PostgresConnection(connectionString: connectionString()))
    }

    /// Gives the owner role every table and function of the public schema that the connected
    /// superuser owns (ownership of a table carries its indexes and identity sequences along).
    static func handSchemaToOwner(on connection: PostgresConnection) throws {
        try connection.execute(
            """
            DO $$
            DECLARE
                item record;
            BEGIN
                FOR item IN SELECT c.relname FROM pg_class c
                             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p') AND c.relowner = current_user::regrole
                LOOP
                    EXECUTE format('ALTER TABLE public.%I OWNER TO \(DatabaseRoles.owner)', item.relname);
                END LOOP;
                FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                             WHERE p.pronamespace = 'public'::regnamespace AND p.proowner = current_user::regrole
                LOOP
                    EXECUTE format('ALTER FUNCTION %s OWNER TO \(DatabaseRoles.owner)', item.signature);
                END LOOP;
            END
            $$
            """)
    }

    // MARK: - Files and permissions

    private var runner: CommandRunner { CommandRunner(serverUser: serverUser) }

    private func prepareDirectories() throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            if !manager.fileExists(atPath: socketDirectory) {
                try manager.createDirectory(atPath: socketDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            }
        } catch {
            throw ManagedClusterError.unusableDataDirectory(path: dataDirectory, reason: "it cannot be created (\(error.localizedDescription))")
        }
        guard let serverUser else { return }
        guard let account = getpwnam(serverUser) else { throw ManagedClusterError.serverUserMissing(serverUser) }
        let uid = account.pointee.pw_uid
        let gid = account.pointee.pw_gid
        for path in [dataDirectory, socketDirectory] + ([logFile, clusterDirectory].filter { manager.fileExists(atPath: $0) }) {
            guard chown(path, uid, gid) == 0 else {
                throw ManagedClusterError.unusableDataDirectory(path: dataDirectory, reason: "it cannot be handed to the \(serverUser) user")
            }
        }
        let probe = try runner.run("/usr/bin/test", ["-w", dataDirectory, "-a", "-x", dataDirectory])
        guard probe.status == 0 else {
            throw ManagedClusterError.unusableDataDirectory(
                path: dataDirectory,
                reason: "the \(serverUser) user cannot reach it (a folder above it is private, such as /root); use a folder like /var/lib/assignment-dispatch")
        }
    }

    private func writeOwner(_ owner: String) throws {
        do {
            try Data((owner + "\n").utf8).write(to: URL(fileURLWithPath: ownerFile), options: .atomic)
        } catch {
            throw ManagedClusterError.unusableDataDirectory(path: dataDirectory, reason: "cannot write \(ownerFile)")
        }
    }

    private func withFileLock<Result>(_ body: () throws -> Result) throws -> Result {
        try? FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let descriptor = open(lockFile, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw ManagedClusterError.unusableDataDirectory(path: dataDirectory, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else {
            throw ManagedClusterError.unusableDataDirectory(path: dataDirectory, reason: "cannot lock it")
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    // MARK: - Finding the server programs

    /// `DISPATCH_POSTGRES_BIN` is read at the edge and passed as `binDirectory`; without it, the
    /// newest Debian installation under /usr/lib/postgresql, then the PATH.
    static func findBinDirectory() throws -> String {
        let manager = FileManager.default
        let debianRoot = "/usr/lib/postgresql"
        let versions = ((try? manager.contentsOfDirectory(atPath: debianRoot)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where manager.isExecutableFile(atPath: "\(debianRoot)/\(version)/bin/initdb") {
            return "\(debianRoot)/\(version)/bin"
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where manager.isExecutableFile(atPath: "\(folder)/initdb") {
            return String(folder)
        }
        throw ManagedClusterError.serverNotInstalled(searched: "\(debianRoot)/*/bin and PATH")
    }

    static func lastLines(_ text: String, count: Int = 8) -> String {
        text.split(separator: "\n").suffix(count).joined(separator: "\n")
    }
}
