import Foundation
import Logging

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

    /// Opens the database (starting the embedded one if needed), applies pending migrations,
    /// collects the report, and closes everything it opened.
    public static func bootstrap(
        _ configuration: DatabaseConfiguration, logger: Logger, now: Date, migrator: Migrator = Migrator()
    ) async throws -> DatabaseStatusReport {
        try await Database.using(configuration, logger: logger) { database in
            let applied = try await database.withConnection { try migrator.migrate(on: $0, now: now) }
            var report = try await collect(from: database, migrator: migrator)
            report.appliedNow = applied.map(\.label)
            return report
        }
    }

    /// Reads the report from an open database.
    public static func collect(from database: Database, migrator: Migrator = Migrator()) async throws -> DatabaseStatusReport {
        let (version, states, counts) = try await database.withConnection { connection in
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
        case .external(let connectionString):
            mode = "external"
            location = DatabaseConfiguration.redacted(connectionString)
            lease = "external"
        }
        return DatabaseStatusReport(
            mode: mode, location: location, connectionURI: connectionURI, serverVersion: version, lease: lease,
            migrations: states, appliedNow: [], organizations: counts.0, users: counts.1, assignments: counts.2)
    }

    /// Linear text, one fact a line, that reads well aloud.
    public var plainText: String {
        var lines: [String] = []
        if mode == "embedded" {
            lines.append("Database: embedded PostgreSQL \(serverVersion), data folder \(location).")
            switch lease {
            case "started": lines.append("It was started by this command and is stopped when the command ends.")
            case "already running": lines.append("It was already running; this command leaves it running.")
            default: lines.append("It runs in the background until: dispatch db stop")
            }
            if let connectionURI { lines.append("To look inside with psql: psql '\(connectionURI)'") }
        } else {
            lines.append("Database: PostgreSQL \(serverVersion) at \(location).")
        }
        if !appliedNow.isEmpty { lines.append("Applied now: \(appliedNow.joined(separator: ", ")).") }
        lines.append(MigrationState.summary(migrations))
        lines.append("Contents: \(organizations) \(organizations == 1 ? "organisation" : "organisations"), \(users) \(users == 1 ? "user" : "users"), \(assignments) \(assignments == 1 ? "assignment" : "assignments").")
        return lines.joined(separator: "\n")
    }
}

extension MigrationState {
    /// "Migrations: 1 applied, none pending. Newest applied: 0001 initial schema."
    public static func summary(_ states: [MigrationState]) -> String {
        let applied = states.filter { $0.status == .applied }
        let pending = states.filter { $0.status == .pending }.count
        let changed = states.filter { $0.status == .changed }.count
        let unknown = states.filter { $0.status == .unknown }.count
        var text = "Migrations: \(applied.count) applied, \(pending == 0 ? "none" : String(pending)) pending."
        if changed > 0 { text += " \(changed) changed after being applied: run dispatch migrate for details." }
        if unknown > 0 { text += " \(unknown) unknown to this version." }
        if let newest = applied.last { text += " Newest applied: \(newest.label)." }
        return text
    }

    public var label: String {
        let number = String(version)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + " " + name
    }

    /// "0001 initial schema: applied 2026-11-23 08:40 UTC."
    public var line: String {
        switch status {
        case .applied: "\(label): applied \(appliedAt.map(Self.minuteText) ?? "")."
        case .pending: "\(label): pending."
        case .changed: "\(label): changed after it was applied. This must be fixed before migrating."
        case .unknown: "\(label): applied by a newer version of dispatch."
        }
    }

    static func minuteText(_ date: Date) -> String {
        String(PostgresTimestamp.format(date).prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }
}

