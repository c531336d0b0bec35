import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

@Suite("Migrations")
struct MigratorTests {
    let now = StorageFixtures.start

    @Test("a fresh database gets every migration once, recorded with its checksum")
    func appliesOnce() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let now = self.now
        let (before, applied, again, after, tables) = try await database.withOwnerConnection { db in
            let before = try Migrator.schema.status(on: db)
            let applied = try Migrator.schema.migrate(on: db, now: now)
            let again = try Migrator.schema.migrate(on: db, now: now)
            let after = try Migrator.schema.status(on: db)
            let tables: [String] = try db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").map { try $0.decode("tablename") }
            return (before, applied, again, after, tables)
        }
        #expect(before.allSatisfy { $0.status == .pending })
        #expect(applied.map(\.version) == MigrationCatalog.all.map(\.version))
        #expect(again.isEmpty)
        #expect(after.allSatisfy { $0.status == .applied && $0.appliedAt == now })
        for table in ["organizations", "local_associations", "users", "device_keys", "contacts", "assignments", "assignment_recipients",
                      "assignment_events", "audit_entries", "notifications", "feed_tokens", "honorarium_counters",
                      "honorarium_threshold_events", "schema_migrations"] {
            #expect(tables.contains(table), "table \(table)")
        }
        try await database.close()
    }

    @Test("an applied migration that was edited is refused with a clear error, before anything runs")
    func editedMigration() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let original = Migration(version: 1, name: "create widgets", sql: "CREATE TABLE widgets (id integer)")
        let edited = Migration(version: 1, name: "create widgets", sql: "CREATE TABLE widgets (id bigint)")
        let next = Migration(version: 2, name: "create gadgets", sql: "CREATE TABLE gadgets (id integer)")
        let now = self.now
        let error = try await database.withOwnerConnection { db -> MigrationError? in
            try Migrator(migrations: [original]).migrate(on: db, now: now)
            do {
                try Migrator(migrations: [edited, next]).migrate(on: db, now: now)
                return nil
            } catch let error as MigrationError {
                #expect(try Migrator(migrations: [edited, next]).status(on: db).map(\.status) == [.changed, .pending])
                #expect(try db.query("SELECT to_regclass('gadgets') IS NULL AS absent").first?.decode("absent", as: Bool.self) == true)
                return error
            }
        }
        let refusal = try #require(error)
        #expect(refusal == .changedAfterApplying(label: "0001 create widgets", recorded: original.checksum, current: edited.checksum))
        #expect(refusal.description.contains("was edited after it was applied"))
        #expect(refusal.description.contains("add a new migration"))
        try await database.close()
    }

    @Test("a database migrated by a newer version is refused")
    func unknownMigration() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let first = Migration(version: 1, name: "one", sql: "CREATE TABLE one (id integer)")
        let second = Migration(version: 2, name: "two", sql: "CREATE TABLE two (id integer)")
        let now = self.now
        try await database.withOwnerConnection { db throws -> Void in
            try Migrator(migrations: [first, second]).migrate(on: db, now: now)
            #expect(throws: MigrationError.unknownMigration(version: 2, name: "two")) { try Migrator(migrations: [first]).migrate(on: db, now: now) }
        }
        try await database.close()
    }

    @Test("a failing migration leaves nothing behind and names itself")
    func failingMigrationRollsBack() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let good = Migration(version: 1, name: "good", sql: "CREATE TABLE good (id integer)")
        let bad = Migration(version: 2, name: "bad", sql: "CREATE TABLE half (id integer); SELECT 1 / 0;")
        let now = self.now
        try await database.withOwnerConnection { db throws -> Void in
            #expect { try Migrator(migrations: [good, bad]).migrate(on: db, now: now) } throws: { error in
                guard case .failed(let label, let reason) = error as? MigrationError else { return false }
                return label == "0002 bad" && reason.contains("division by zero") && reason.contains("22012")
            }
            #expect(try db.query("SELECT to_regclass('half') IS NULL AS absent").first?.decode("absent", as: Bool.self) == true)
            #expect(try Migrator(migrations: [good, bad]).status(on: db).map(\.status) == [.applied, .pending])
        }
        try await database.close()
    }

    @Test("instances migrating at the same time apply each migration exactly once")
    func concurrentMigrators() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let now = self.now
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2 { group.addTask { try await database.withOwnerConnection { try Migrator.schema.migrate(on: $0, now: now).count } } }
            return try await group.reduce(0, +)
        }
        #expect(applied == MigrationCatalog.all.count)
        try await database.close()
    }
}
