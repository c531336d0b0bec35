import ArgumentParser
import DeviceClient
import Envelope
import Foundation
import Logging
import Postgres
import Server
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// All configuration, read once at the edge from the environment and the flags. Nothing below the
/// executable reads the environment. `docs/configuration.md` documents every variable.
struct CommandEnvironment {
    /// DATABASE_URL: an external server, as the application's login role.
    let databaseURL: String?
    /// DATABASE_OWNER_URL: the same server as the schema's owner, for migrations only.
    let databaseOwnerURL: String?
    let dataDirectory: String
    let postgresBinDirectory: String?
    let keystorePath: String
    let serverKeyPath: String
    /// DISPATCH_ERASURE_KEYRING_FILE: the erasure keys, beside the server key by default.
    let erasureKeyringPath: String
    /// DISPATCH_PUBLIC_URL: where people reach the server, for the calendar feed addresses.
    let publicURL: String?
    let deviceDirectory: String
    let host: String?
    let port: String?
    /// DISPATCH_SIGN_IN_FAILURE_LIMIT: failed sign-ins from one address per minute before 429.
    let signInFailureLimit: Int
    let logger: Logger

    init(options: GlobalOptions, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let nonEmpty = { (key: String) -> String? in environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        databaseURL = nonEmpty("DATABASE_URL")
        databaseOwnerURL = nonEmpty("DATABASE_OWNER_URL")
        if databaseOwnerURL != nil && databaseURL == nil {
            throw ValidationError("DATABASE_OWNER_URL is set without DATABASE_URL. Set DATABASE_URL to the application's role on the same server, or unset both to use the embedded database.")
        }
        let home = nonEmpty("HOME") ?? NSHomeDirectory()
        let defaultData: String
        if geteuid() == 0 {
            // The server then runs as 'postgres', which cannot enter /root: use the system's place.
            defaultData = "/var/lib/assignment-dispatch"
        } else {
            defaultData = (nonEmpty("XDG_DATA_HOME") ?? home + "/.local/share") + "/assignment-dispatch"
        }
        dataDirectory = Self.absolute(options.dataDirectory ?? nonEmpty("DISPATCH_DATA_DIR") ?? defaultData)
        postgresBinDirectory = nonEmpty("DISPATCH_POSTGRES_BIN")
        serverKeyPath = Self.absolute(nonEmpty("DISPATCH_SERVER_KEY_FILE") ?? dataDirectory + "/server.key")
        erasureKeyringPath = Self.absolute(
            nonEmpty("DISPATCH_ERASURE_KEYRING_FILE") ?? (URL(fileURLWithPath: serverKeyPath).deletingLastPathComponent().path + "/erasure.keyring"))
        host = nonEmpty("DISPATCH_HOST")
        port = nonEmpty("DISPATCH_PORT")
        if let text = nonEmpty("DISPATCH_SIGN_IN_FAILURE_LIMIT") {
            guard let limit = Int(text), (1...100_000).contains(limit) else {
                throw ValidationError("DISPATCH_SIGN_IN_FAILURE_LIMIT must be a number from 1 to 100000, not '\(text.prefix(20))'.")
            }
            signInFailureLimit = limit
        } else {
            signInFailureLimit = ServerConfiguration.defaultSignInFailureLimit
        }
        if let url = nonEmpty("DISPATCH_PUBLIC_URL") {
            let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
            guard let parsed = URL(string: trimmed), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host?.isEmpty == false, parsed.query == nil else {
                throw ValidationError("DISPATCH_PUBLIC_URL must be an address such as https://dispatch.example.org, not '\(url)'.")
            }
            publicURL = trimmed
        } else {
            publicURL = nil
        }
        let configuration = (nonEmpty("XDG_CONFIG_HOME") ?? home + "/.config") + "/assignment-dispatch"
        keystorePath = Self.absolute(nonEmpty("DISPATCH_KEYSTORE") ?? configuration + "/device.keystore")
        deviceDirectory = Self.absolute(nonEmpty("DISPATCH_DEVICE_DIR") ?? configuration + "/device")

        let levelName = options.logLevel ?? nonEmpty("DISPATCH_LOG_LEVEL") ?? "notice"
        guard let level = Logger.Level(rawValue: levelName.lowercased()) else {
            throw ValidationError("Unknown log level '\(levelName)'. Use trace, debug, info, notice, warning, error or critical.")
        }
        var logger = Logger(label: "dispatch") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        self.logger = logger
    }

    /// The database, with the scope-proof keys of the server key (made on first use).
    func databaseConfiguration() throws -> DatabaseConfiguration {
        let keys = ScopeProofKeySource.serverKeyFile(path: serverKeyPath)
        if let databaseURL {
            return DatabaseConfiguration(location: .external(connectionString: databaseURL, ownerConnectionString: databaseOwnerURL), scopeProofKeys: keys,
                erasureKeyringPath: erasureKeyringPath)
        }
        return DatabaseConfiguration(location: .embedded(dataDirectory: dataDirectory, binDirectory: postgresBinDirectory), scopeProofKeys: keys,
            erasureKeyringPath: erasureKeyringPath)
    }

    /// The server's settings: flags first, then DISPATCH_HOST and DISPATCH_PORT.
    func serverConfiguration(host hostFlag: String?, port portFlag: Int?) throws -> ServerConfiguration {
        var port = 8080
        if let portFlag {
            port = portFlag
        } else if let text = self.port {
            guard let value = Int(text) else { throw ValidationError("DISPATCH_PORT must be a number, not '\(text)'.") }
            port = value
        }
        guard (0...65535).contains(port) else { throw ValidationError("The port must be between 0 and 65535.") }
        return ServerConfiguration(
            host: hostFlag ?? host ?? "127.0.0.1", port: port, database: try databaseConfiguration(), serverKey: try serverKey(), publicURL: publicURL,
            signInFailureLimit: signInFailureLimit)
    }

    /// The address calendar feeds are served at: DISPATCH_PUBLIC_URL, or the local server's.
    var feedBaseURL: String {
        publicURL ?? "http://\(host ?? "127.0.0.1"):\(port ?? "8080")"
    }

    /// The server's key (DISPATCH_SERVER_KEY_FILE, default `<data dir>/server.key`), made on first use.
    func serverKey() throws -> ServerKey {
        try ServerKey.loadOrCreate(at: serverKeyPath)
    }

    /// Runs `body` with the account store of a migrated database, and closes the database after
    /// (stopping the embedded one if this command started it).
    func withAccounts<Result>(_ body: (AccountStore) async throws -> Result) async throws -> Result {
        try await Database.using(try databaseConfiguration(), logger: logger) { database in
            try await database.prepareSchema(now: Date())
            return try await body(AccountStore(database: database))
        }
    }

    /// Runs `body` with this device's client (its folder is DISPATCH_DEVICE_DIR), and shuts its HTTP
    /// client down after.
    func withDevice<Result>(_ body: (DeviceClient) async throws -> Result) async throws -> Result {
        let httpClient = DeviceClient.makeHTTPClient()
        do {
            let result = try await body(DeviceClient(folder: DeviceFolder(path: deviceDirectory), httpClient: httpClient))
            try await httpClient.shutdown()
            return result
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// This device's keys, unlocked with the passphrase (asked for, or from a file or stdin).
    func unlockKeys(_ passphrase: PassphraseOptions) throws -> DeviceKeyPair {
        try Keystore.unlock(at: keystorePath, passphrase: try passphrase.read(confirming: false))
    }

    /// The embedded cluster; refused when DATABASE_URL points elsewhere, so that `dispatch db`
    /// never suggests it manages a server it does not.
    func managedCluster() throws -> ManagedCluster {
        if databaseURL != nil {
            throw ValidationError("DATABASE_URL is set, so dispatch uses that server and not an embedded one. Unset DATABASE_URL to manage the embedded database.")
        }
        return try ManagedCluster(dataDirectory: dataDirectory, binDirectory: postgresBinDirectory, logger: logger)
    }

    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        return URL(fileURLWithPath: expanded, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL.path
    }
}
