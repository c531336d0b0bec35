import Foundation
import Logging
import Postgres

/// `dispatch migrate` and `dispatch migrate --status`.
public struct MigrationReport: Sendable, Codable, Hashable {
    public var applied: [String]
    public var migrations: [MigrationState]

    /// Applies pending migrations and installs the scope-proof keys (or, with `apply: false`, only
    /// lists them), as the schema's owner.
    public static func run(
        _ configuration: DatabaseConfiguration, apply: Bool, logger: Logger, now: Date, migrator: Migrator
    ) async throws -> MigrationReport {
        try await Database.using(configuration, logger: logger) { database in
            let applied = apply ? try await database.prepareSchema(now: now, migrator: migrator) : []
            return MigrationReport(applied: applied.map(\.label), migrations: try await database.withOwnerConnection { try migrator.status(on: $0) })
        }
    }
}
