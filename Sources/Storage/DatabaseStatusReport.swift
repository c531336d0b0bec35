import AssignmentCore
import Envelope
import Foundation
import Logging
import Postgres

/// What `dispatch` prints after starting its database and applying migrations: where the
/// database is, which server, which migrations, and how much is in it (counts only).
public struct DatabaseStatusReport: Sendable, Codable, Hashable {
    public var mode: String
    /// The data folder (embedded) or the redacted connection string (external).
    public var location: String
    /// A `postgresql://` URI for psql, on the embedded default.
    public var connectionURI: String?
    public var serverVersion: String
    /// "started", "already running", "detached" or "external".
    public var lease: String
    public var migrations: [MigrationState]
    public var appliedNow: [String]
    public var organizations: Int
    public var users: Int
    public var assignments: Int
    /// The role the application logs in as, and what is wrong with it (nothing, on the embedded default).
    public var servingRole: ServingRole?
    /// The erasure keyring, and the days with live sealed keys whose key it lacks.
    public var erasureKeyring: ErasureKeyringStatus?

    /// Opens the database (starting the embedded one if needed), applies pending migrations,
    /// collects the report, and closes everything it opened.
    public static func bootstrap(
        _ configuration: DatabaseConfiguration, logger: Logger, now: Date, migrator: Migrator = .schema
    ) async throws -> DatabaseStatusReport {
        try await Database.using(configuration, logger: logger) { database in
            let applied = try await database.prepareSchema(now: now, migrator: migrator)
            var report = try await collect(from: database, migrator: migrator)
            report.appliedNow = applied.map(\.label)
            report.servingRole = try await ServingRole.inspect(database)
            report.erasureKeyring = try await ErasureKeyringStatus.inspect(database)
            return report
        }
    }

    /// Reads the report from an open database, as the schema's owner: the counts span every
    /// organisation, which no application transaction may.
    public static func collect(from database: Database, migrator: Migrator = .schema) async throws -> DatabaseStatusReport {
        let (version, states, counts) = try await database.withOwnerConnection { connection in
            let states = try migrator.status(on: connection)
            let version = try connection.query("SELECT current_setting('server_version') AS version").first?.decode("version", as: String.self) ?? "?"
            var counts = (0, 0, 0)
            if states.contains(where: { $0.status == .applied }) {
                let row = try connection.query(
                    "SELECT (SELECT count(*) FROM organizations) AS organizations, (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM assignments) AS assignments"
                ).first
                counts = (try row?.decode("organizations") ?? 0, try row?.decode("users") ?? 0, try row?.decode("assignments") ?? 0)
            }
            return (version, states, counts)
        }
        let mode: String
        let location: String
        var connectionURI: String?
        let lease: String
        switch database.configuration.location {
        case .embedded:
            let embedded = database.embedded!
            mode = "embedded"
            location = embedded.cluster.dataDirectory
            connectionURI = embedded.cluster.connectionURI
            lease = switch embedded.lease {
            case .owned: "started"
            case .shared: "already running"
            case .detached: "detached"
            }
        case .external(let connectionString, _):
            mode = "external"
            location = DatabaseConfiguration.redacted(connectionString)
            lease = "external"
        }
        return DatabaseStatusReport(
            mode: mode, location: location, connectionURI: connectionURI, serverVersion: version, lease: lease,
            migrations: states, appliedNow: [], organizations: counts.0, users: counts.1, assignments: counts.2)
    }
}

/// The erasure keyring as `dispatch up` reports it: losing the file is a clear failure, not a
/// silent one (envelopes sealed on the days it held can no longer be handed out).
public struct ErasureKeyringStatus: Sendable, Codable, Hashable {
    public var path: String
    public var epochsHeld: Int
    /// Days with live sealed keys and no key in the keyring, with how many sealed keys each.
    public var missing: [MissingEpoch]

    public struct MissingEpoch: Sendable, Codable, Hashable {
        public var epoch: ErasureEpoch
        public var sealedKeys: Int

        public init(epoch: ErasureEpoch, sealedKeys: Int) {
            self.epoch = epoch
            self.sealedKeys = sealedKeys
        }

        enum CodingKeys: String, CodingKey {
            case epoch
            case sealedKeys = "sealed_keys"
        }
    }

    enum CodingKeys: String, CodingKey {
        case path, missing
        case epochsHeld = "epochs_held"
    }

    /// Reads the live wrapped sealed keys (``SweepStore/liveSealedKeys()``) and compares them
    /// with the keyring file.
    public static func inspect(_ database: Database) async throws -> ErasureKeyringStatus {
        let keyring = database.erasureKeyring
        return ErasureKeyringStatus(
            path: keyring.path, epochsHeld: try keyring.epochs().count,
            missing: try missing(in: try await SweepStore(database: database).liveSealedKeys(), keyring: keyring))
    }

    /// The days among `live` whose sealed keys were wrapped by a key the keyring does not hold.
    public static func missing(in live: [LiveSealedKeys], keyring: ErasureKeyring) throws -> [MissingEpoch] {
        var missing: [ErasureEpoch: Int] = [:]
        for keys in live where try !keyring.holds(keys.epoch, keyID: keys.keyID) { missing[keys.epoch, default: 0] += keys.count }
        return missing.keys.sorted().map { MissingEpoch(epoch: $0, sealedKeys: missing[$0]!) }
    }
}
