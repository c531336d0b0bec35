import AssignmentCore
import DatabaseTestSupport
import Foundation
import Postgres
import Storage
import Testing

/// `dispatch jobs run --once`, as cron runs it, on a database shared with the test.
@Suite("dispatch jobs run", .serialized)
struct JobsCommandTests {
    func counts(_ database: Database) async throws -> (reminders: Int, notifications: Int, remindedAssignments: Int) {
        try await database.withOwnerConnection { db in
            (try db.query("SELECT count(*) AS n FROM assignment_reminders").first!.decode("n", as: Int.self),
             try db.query("SELECT count(*) AS n FROM notifications WHERE kind IN ('contact_reminder', 'contact_overdue')").first!.decode("n", as: Int.self),
             try db.query("SELECT count(*) AS n FROM assignments WHERE reminder_count = 1").first!.decode("n", as: Int.self))
        }
    }

    @Test("`dispatch up` with DATABASE_URL: the owner (which bypasses row-level security and owns the tables) or a superuser is warned about with the fix; the owner in DATABASE_OWNER_URL and an application role in DATABASE_URL are not")
    func servingRoleWarnings() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let configuration = try await TestPostgres.databaseConfiguration()
        guard case .external(let url, let owner?) = configuration.location else { Issue.record("test databases are external"); return }
        let single = try runner.run(["up"], environment: ["DATABASE_URL": owner])
        #expect(single.status == 0, "\(single.errors)")
        #expect(single.output.contains("Warning: The serving role dispatch_owner bypasses row-level security."), "\(single.output)")
        #expect(single.output.contains("Warning: The serving role dispatch_owner owns the tables"))
        #expect(single.output.contains("GRANT dispatch_tenant TO dispatch_app"))
        #expect(!single.output.contains("is a superuser"))
        let superuser = try runner.run(
            ["up"], environment: ["DATABASE_URL": owner.replacingOccurrences(of: "user='dispatch_owner'", with: "user='dispatch'"), "DATABASE_OWNER_URL": owner])
        #expect(superuser.output.contains("Warning: The serving role dispatch is a superuser"), "\(superuser.output)")
        let json = try runner.run(["up", "--json"], environment: ["DATABASE_URL": owner])
        #expect(json.output.contains("\"bypasses_row_level_security\""), "\(json.output)")
        let split = try runner.run(["up"], environment: ["DATABASE_URL": url, "DATABASE_OWNER_URL": owner, "DISPATCH_ERASURE_KEYRING_FILE": configuration.erasureKeyringPath])
        #expect(split.status == 0, "\(split.errors)")
        #expect(split.output.contains("Serving role: dispatch_app, no superuser"), "\(split.output)")
        #expect(!split.output.contains("Warning"))
        let ownerOnly = try runner.run(["up"], environment: ["DATABASE_OWNER_URL": owner])
        #expect(ownerOnly.status != 0)
        #expect(ownerOnly.errors.contains("DATABASE_OWNER_URL is set without DATABASE_URL"))
    }

    @Test("`dispatch up` names the days whose erasure key a replaced keyring lacks, and what to do")
    func lostKeyringIsReported() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let configuration = try await TestPostgres.databaseConfiguration()
        guard case .external(let url, let owner?) = configuration.location else { Issue.record("test databases are external"); return }
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let world = try await TestOrganization.make(in: database, at: start)
        _ = try await world.dispatch(at: start)
        try await database.close()
        let kept = try runner.run(["up"], environment: ["DATABASE_URL": url, "DATABASE_OWNER_URL": owner, "DISPATCH_ERASURE_KEYRING_FILE": configuration.erasureKeyringPath])
        #expect(kept.output.contains("Erasure keyring: \(configuration.erasureKeyringPath), 1 day's key held."), "\(kept.output)")
        #expect(!kept.output.contains("Warning"))
        let lost = try runner.run(["up"], environment: ["DATABASE_URL": url, "DATABASE_OWNER_URL": owner])
        #expect(lost.status == 0)
        #expect(lost.output.contains("Warning: the erasure keyring has no key for 2026-11-18 (1 sealed key). Those envelopes can no longer be handed out"), "\(lost.output)")
        #expect(lost.output.isPlainText)
    }

    @Test("a runner killed with SIGKILL in the middle of its batches, then run again: nothing lost, nothing doubled")
    func killedAndRestarted() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let configuration = try await TestPostgres.databaseConfiguration()
        guard case .external(let url, let owner?) = configuration.location else { Issue.record("test databases are external"); return }
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        // The command uses the wall clock: these fell due yesterday.
        let now = Date()
        let organization = try await BulkSeed.organization(in: database, at: now - 20 * 86_400)
        let total = 4000
        try await BulkSeed.dispatchedAssignments(total, in: database, organization: organization, dispatchedAt: now - 11 * 86_400, reminderDueAt: now - 86_400)

        let process = Process()
        process.executableURL = DispatchRunner.executable
        process.arguments = ["jobs", "run", "--once", "--batch-size", "2"]
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = url
        environment["DATABASE_OWNER_URL"] = owner
        environment["DISPATCH_ERASURE_KEYRING_FILE"] = configuration.erasureKeyringPath
        environment["HOME"] = runner.sandbox.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Watched on one connection and one thread of its own (not Swift's concurrency pool, which
        // other tests running beside this one can keep busy for seconds), so that a busy machine
        // does not make the watching slower than the runner. The kill comes from that thread too.
        let watcher = try TestPostgres.superuserConnection(to: database)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    for _ in 0..<4000 where process.isRunning {
                        let progress = try watcher.query("SELECT count(*) AS n FROM assignment_reminders").first!.decode("n", as: Int.self)
                        if progress >= 50 { break }
                        usleep(5_000)
                    }
                    kill(process.processIdentifier, SIGKILL)
                })
            }
        }
        watcher.close()
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal, "the runner was killed, not finished")
        let afterKill = try await counts(database)
        #expect(afterKill.reminders > 0 && afterKill.reminders < total, "killed in the middle: \(afterKill.reminders) of \(total)")
        #expect(afterKill.notifications == 2 * afterKill.reminders, "every recorded reminder has both its notifications, and no more")
        #expect(afterKill.remindedAssignments == afterKill.reminders)

        let rerun = try runner.run(["jobs", "run", "--once"], environment: ["DATABASE_URL": url, "DATABASE_OWNER_URL": owner, "DISPATCH_ERASURE_KEYRING_FILE": configuration.erasureKeyringPath])
        #expect(rerun.status == 0, "\(rerun.errors)")
        #expect(rerun.output.contains("Reminders sent: \(total - afterKill.reminders). Escalations to admins: 0."), "\(rerun.output)")
        #expect(rerun.output.isPlainText)
        let final = try await counts(database)
        #expect(final.reminders == total)
        #expect(final.notifications == 2 * total)
        #expect(final.remindedAssignments == total)
        // The same pass delivered the notifications it queued (to the log: no webhook is set), once each.
        #expect(rerun.output.contains("Notifications delivered: \(2 * total). To retry: 0. Given up: 0."), "\(rerun.output)")
        let delivered = try await database.withOwnerConnection {
            try $0.query("SELECT count(*) AS n FROM notifications WHERE status = 'delivered'").first!.decode("n", as: Int.self)
        }
        #expect(delivered == 2 * total)
        let again = try runner.run(["jobs", "run", "--once", "--json"], environment: ["DATABASE_URL": url, "DATABASE_OWNER_URL": owner, "DISPATCH_ERASURE_KEYRING_FILE": configuration.erasureKeyringPath])
        let json = try JSONSerialization.jsonObject(with: Data(again.output.utf8)) as? [String: Any]
        #expect((json?["reminders"] as? [String: Any])?["reminders"] as? Int == 0, "a third run finds nothing due")
        #expect((json?["notifications"] as? [String: Any])?["delivered"] as? Int == 0, "and nothing left to deliver")
        try await database.close()
    }

    @Test("dispatch sweep expiry: a dry run reports and changes nothing; the real run destroys, reports in text, JSON and a file, with progress lines")
    func sweepCommand() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let configuration = try await TestPostgres.databaseConfiguration()
        guard case .external(let url, let owner?) = configuration.location else { Issue.record("test databases are external"); return }
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let now = Date()
        let organization = try await BulkSeed.organization(in: database, at: now - 20 * 86_400)
        try await BulkSeed.dispatchedAssignments(
            30, in: database, organization: organization, dispatchedAt: now - 11 * 86_400, reminderDueAt: now + 86_400, expiresAt: now - 86_400)
        let environment = ["DATABASE_URL": url, "DATABASE_OWNER_URL": owner, "DISPATCH_ERASURE_KEYRING_FILE": configuration.erasureKeyringPath]
        // Any command first installs its server key's scope-proof keys: let that happen before.
        let migrate = try runner.run(["migrate"], environment: environment)
        #expect(migrate.status == 0, "\(migrate.errors)")

        let before = try await DatabaseSnapshot.take(database)
        let dry = try runner.run(["sweep", "expiry", "--dry-run", "--batch-size", "10"], environment: environment)
        #expect(dry.status == 0, "\(dry.errors)")
        #expect(dry.output.contains("Dry run: nothing was changed.\nAssignments past their expiry time: 30.\nOpen assignments that would be expired: 30."))
        #expect(dry.errors.contains("Swept 10 of 30.\nSwept 20 of 30.\nSwept 30 of 30."), "plain progress lines when not on a terminal")
        #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(database)).isEmpty)

        let reportFile = runner.sandbox.appendingPathComponent("sweep.json").path
        let real = try runner.run(["sweep", "expiry", "--report-file", reportFile, "--json"], environment: environment)
        #expect(real.status == 0, "\(real.errors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(real.output.utf8)) as? [String: Any])
        #expect((json["expired"] as? [String])?.count == 30)
        #expect(json["dry_run"] as? Bool == false && json["complete"] as? Bool == true)
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportFile))) as? [String: Any])
        #expect((file["expired"] as? [String])?.count == 30)
        #expect(try await database.withOwnerConnection { try $0.query("SELECT count(*) AS n FROM assignments WHERE ciphertext IS NOT NULL").first!.decode("n", as: Int.self) } == 0)

        let again = try runner.run(["sweep", "expiry"], environment: environment)
        #expect(again.output.contains("Sweep finished.\nAssignments past their expiry time: 0."))
        let keys = try runner.run(["sweep", "keys"], environment: environment)
        #expect(keys.output.contains("Assignments with sealed keys to destroy: 0."))
        #expect(keys.output.contains("Erasure keys that were destroyed: none.\nErasure keys held: none."), "\(keys.output)")
        #expect(keys.output.contains("at the latest 90 days after that day ends (the longest assignment lifetime of any organisation)."))
        #expect(keys.output.contains("Waiting for VACUUM: nothing."))
        let retention = try runner.run(["sweep", "retention", "--dry-run"], environment: environment)
        #expect(retention.output.contains("Dry run: nothing was changed.\nClosed assignments past their retention: 0.\nAssignments that would be archived: 0."), "\(retention.output)")
        for output in [dry.output, again.output, keys.output, retention.output] { #expect(output.isPlainText) }
        #expect(try runner.run(["sweep", "expiry", "--batch-size", "0"], environment: environment).status == 64)
        try await database.close()
    }
}
