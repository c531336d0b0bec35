import Foundation
import Logging

/// `dispatch migrate` and `dispatch migrate --status`.
public struct MigrationReport: Sendable, Codable, Hashable {
    public var applied: [String]
    public var migrations: [MigrationState]

    /// Applies pending migrations (or, with `apply: false`, only lists them).
    public static func run(
        _ configuration: DatabaseConfiguration, apply: Bool, logger: Logger, now: Date, migrator: Migrator
    ) async throws -> MigrationReport {
        try await Database.using(configuration, logger: logger) { database in
            try await database.withConnection { connection in
                let applied = apply ? try migrator.migrate(on: connection, now: now) : []
                return MigrationReport(applied: applied.map(\.label), migrations: try migrator.status(on: connection))
            }
        }
    }
}
