import AssignmentCore
import Foundation
import Logging
import Postgres

extension Database {
    /// Opens the database and applies pending migrations: what admin commands and the server
    /// need before they touch any table.
    public static func openMigrated(_ configuration: DatabaseConfiguration, logger: Logger, now: Date) async throws -> Database {
        let database = try await open(configuration, logger: logger)
        do {
            _ = try await database.withConnection { try Migrator.schema.migrate(on: $0, now: now) }
        } catch {
            try? await database.close()
            throw error
        }
        return database
    }
}
