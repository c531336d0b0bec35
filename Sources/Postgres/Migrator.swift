import Envelope
import Foundation

/// One schema change: a version, a name, and SQL that runs inside one transaction.
///
/// Once a migration has landed it is never edited: the database records each applied migration's
/// SHA-256, and ``Migrator`` refuses to run against a database whose recorded checksum differs
/// from the code's. A change to the schema is always a new migration.
public struct Migration: Sendable, Hashable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Lowercase hex SHA-256 of the SQL text.
    public var checksum: String { SHA256.hexHash(Array(sql.utf8)) }

    /// "0001 initial schema"
    public var label: String { Self.label(version: version, name: name) }

    /// A migration's name as people see it, with its version in four digits.
    public static func label(version: Int, name: String) -> String {
        let number = String(version)
        return String(repeating: "0", count: max(0, 4 - number.count)) + number + " " + name
    }
}

/// What ``Migrator/status(on:)`` reports for one migration.
public struct MigrationState: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        case applied
        case pending
        /// Applied, but the code's SQL no longer matches what was applied.
        case changed
        /// Applied by a newer version of the program; this one does not know it.
        case unknown
    }

    public var version: Int
    public var name: String
    public var status: Status
    public var appliedAt: Date?
}

public enum MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    case changedAfterApplying(label: String, recorded: String, current: String)
    case unknownMigration(version: Int, name: String)
    case failed(label: String, reason: String)

    public var description: String {
        switch self {
        case .changedAfterApplying(let label, let recorded, let current):
            "Migration \(label) was edited after it was applied to this database (recorded checksum \(recorded.prefix(12))…, now \(current.prefix(12))…). Applied migrations must never change: restore the original and add a new migration for the change."
        case .unknownMigration(let version, let name):
            "The database has migration \(version) (\(name)), which this version of dispatch does not know. It was set up by a newer version: upgrade dispatch."
        case .failed(let label, let reason):
            "Migration \(label) failed and was rolled back: \(reason)"
        }
    }
}

/// Applies migrations in order, each in its own transaction together with its record in
/// `schema_migrations`, under an advisory lock so that several instances starting at once apply
/// each migration exactly once.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) {
        precondition(migrations.map(\.version) == migrations.map(\.version).sorted() && Set(migrations.map(\.version)).count == migrations.count,
            "migrations must be in strictly increasing version order")
        self.migrations = migrations
    }

    /// An arbitrary constant naming the migration lock among advisory locks.
    static let lockKey = 0x4144_4d49_4752  // "ADMIGR"

    /// Lists every migration known to the code or recorded in the database, with its state.
    public func status(on connection: PostgresConnection) throws -> [MigrationState] {
        try ensureTable(on: connection)
        let recorded = try recordedMigrations(on: connection)
        var states = migrations.map { migration -> MigrationState in
            guard let record = recorded[migration.version] else {
                return MigrationState(version: migration.version, name: migration.name, status: .pending, appliedAt: nil)
            }
            let status: MigrationState.Status = record.checksum == migration.checksum ? .applied : .changed
            return MigrationState(version: migration.version, name: migration.name, status: status, appliedAt: record.appliedAt)
        }
        let known = Set(migrations.map(\.version))
        for (version, record) in recorded where !known.contains(version) {
            states.append(MigrationState(version: version, name: record.name, status: .unknown, appliedAt: record.appliedAt))
        }
        return states.sorted { $0.version < $1.version }
    }

    /// Applies every pending migration; returns the ones applied now (empty when up to date).
    /// Refuses, before applying anything, when an applied migration was changed or is unknown.
    @discardableResult
    public func migrate(on connection: PostgresConnection, now: Date) throws -> [Migration] {
        try connection.execute("SELECT pg_advisory_lock($1)", [Self.lockKey])
        defer { try? connection.execute("SELECT pg_advisory_unlock($1)", [Self.lockKey]) }
        let states = try status(on: connection)
        for state in states {
            switch state.status {
            case .changed:
                let migration = migrations.first { $0.version == state.version }!
                let recorded = try recordedMigrations(on: connection)[state.version]!.checksum
                throw MigrationError.changedAfterApplying(label: migration.label, recorded: recorded, current: migration.checksum)
            case .unknown:
                throw MigrationError.unknownMigration(version: state.version, name: state.name)
            case .applied, .pending:
                continue
            }
        }
        let pending = Set(states.filter { $0.status == .pending }.map(\.version))
        var applied: [Migration] = []
        for migration in migrations where pending.contains(migration.version) {
            do {
                try connection.transaction { connection in
                    try connection.executeScript(migration.sql)
                    try connection.execute(
                        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                        [migration.version, migration.name, migration.checksum, now])
                }
            } catch let error as PostgresError {
                throw MigrationError.failed(label: migration.label, reason: error.description)
            }
            applied.append(migration)
        }
        return applied
    }

    private func ensureTable(on connection: PostgresConnection) throws {
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL
            )
            """)
    }

    private func recordedMigrations(on connection: PostgresConnection) throws -> [Int: (name: String, checksum: String, appliedAt: Date)] {
        var recorded: [Int: (name: String, checksum: String, appliedAt: Date)] = [:]
        for row in try connection.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version") {
            recorded[try row.decode("version", as: Int.self)] = (
                try row.decode("name", as: String.self), try row.decode("checksum", as: String.self), try row.decode("applied_at", as: Date.self)
            )
        }
        return recorded
    }
}
