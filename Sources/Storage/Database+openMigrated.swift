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

    /// As the schema's owner: applies pending migrations, installs the scope-proof keys of this
    /// process's server key (`dispatch_scope_keys`, migration 0009), keeping any installed by other
    /// server keys, and wraps any sealed key still stored bare (rows from before migration 0010)
    /// under the erasure key of its assignment's dispatch day. Returns the migrations applied now.
    @discardableResult
    public func prepareSchema(now: Date, migrator: Migrator = .schema) async throws -> [Migration] {
        let keys = scopeProofKeys
        let keyring = erasureKeyring
        return try await withOwnerConnection { connection in
            let applied = try migrator.migrate(on: connection, now: now)
            try Self.installScopeProofKeys(keys, on: connection)
            try Self.wrapBareSealedKeys(on: connection, keyring: keyring)
            return applied
        }
    }

    /// Wraps, in one transaction, every sealed key stored bare. Does nothing before migration 0010.
    static func wrapBareSealedKeys(on connection: PostgresConnection, keyring: ErasureKeyring) throws {
        let hasEpochs = try connection.query(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('public.assignment_recipients') AND attname = 'erasure_epoch') AS present"
        ).first!.decode("present", as: Bool.self)
        guard hasEpochs else { return }
        try connection.transaction { db in
            let bare = try db.query(
                """
                SELECT r.assignment_id, r.recipient_fingerprint, r.sealed_key, coalesce(a.dispatched_at, a.created_at) AS sealed_at
                  FROM assignment_recipients r JOIN assignments a ON a.id = r.assignment_id
                 WHERE r.sealed_key IS NOT NULL AND r.erasure_epoch IS NULL
                   FOR UPDATE OF r
                """)
            for row in bare {
                let assignment: UUID = try row.decode("assignment_id")
                let fingerprint: [UInt8] = try row.decode("recipient_fingerprint")
                let epoch = ErasureEpoch(containing: try row.decode("sealed_at", as: Date.self))
                let wrapped = try keyring.wrap(
                    try row.decode("sealed_key"), for: SealedKeyContext(assignment: assignment, recipientFingerprint: fingerprint), epoch: epoch)
                try db.execute(
                    "UPDATE assignment_recipients SET sealed_key = $3, erasure_epoch = $4 WHERE assignment_id = $1 AND recipient_fingerprint = $2",
                    [assignment, fingerprint, wrapped, epoch])
            }
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
