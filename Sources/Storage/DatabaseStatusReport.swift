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
