import AssignmentCore
import Envelope
import Foundation
import Logging
import Postgres

extension Database {
    /// Opens the database and prepares its schema (``prepareSchema(now:migrator:)``): what admin
    /// commands and the server need before they touch any table.
    public static func openMigrated(_ configuration: DatabaseConfiguration, logger: Logger, now: Date) async throws -> Database {
        let database = try await open(configuration, logger: logger)
        do {
            try await database.prepareSchema(now: now)
        } catch {
            try? await database.close()
            throw error
        }
        return database
    }

    /// As the schema's owner: applies pending migrations, then installs the scope-proof keys of
    /// this process's server key (`dispatch_scope_keys`, migration 0009), keeping any installed by
    /// other server keys. Returns the migrations applied now.
    @discardableResult
    public func prepareSchema(now: Date, migrator: Migrator = .schema) async throws -> [Migration] {
        let keys = scopeProofKeys
        return try await withOwnerConnection { connection in
            let applied = try migrator.migrate(on: connection, now: now)
            try Self.installScopeProofKeys(keys, on: connection)
            return applied
        }
    }

    /// Installs `keys` on an owner's connection, once migration 0009 has made their table.
    public static func installScopeProofKeys(_ keys: [ScopeProofKey], on connection: PostgresConnection) throws {
        guard try connection.query("SELECT to_regclass('public.dispatch_scope_keys') IS NOT NULL AS present").first!.decode("present", as: Bool.self) else {
            return
        }
        for key in keys {
            let pads = key.pads()
            try connection.execute(
                "INSERT INTO dispatch_scope_keys (key_id, inner_pad, outer_pad) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING",
                [key.id, pads.inner, pads.outer])
        }
    }
}
