import ArgumentParser
import Foundation
import Jobs
import Postgres
import Server
import ServiceLifecycle
import Storage

/// `dispatch jobs run [--once] [--batch-size N] [--interval SECONDS]`
struct JobsRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send due reminders and escalations and run the GDPR sweeps: once (for cron or a systemd timer), or every interval until stopped.",
        discussion: """
            Safe to run beside dispatch serve and beside other runners: each reminder is sent exactly once. \
            What fell due while nothing ran is caught up, one step per assignment (docs/reminders.md).
            """)

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Run every job once and exit.") var once = false
    @Option(help: "Assignments per transaction (1-1000; default 100).") var batchSize = 100
    @Option(help: "Seconds between runs without --once (default 60).") var interval = 60
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size takes a number from 1 to 1000.") }
        guard (1...86_400).contains(interval) else { throw ValidationError("--interval takes seconds, from 1 to 86400.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        if once {
            let report = try await Database.using(environment.databaseConfiguration, logger: environment.logger) { database in
                _ = try await database.withConnection { try Migrator.schema.migrate(on: $0, now: Date()) }
                return try await JobRunner(database: database, now: { Date() }, batchSize: batchSize, logger: environment.logger).runOnce()
            }
            try Output.print(report, json: json) { report in
                """
                Reminders sent: \(report.reminders.reminders). Escalations to admins: \(report.reminders.escalations). Notifications queued: \(report.reminders.notifications).
                Expired: \(report.expiry.expired.count). Payloads destroyed: \(report.expiry.done). Sealed keys destroyed: \(report.expiry.sealedKeysDestroyed + report.keys.sealedKeysDestroyed).
                """
            }
        } else {
            try await runForever(environment)
        }
    }

    func runForever(_ environment: CommandEnvironment) async throws {
        let database = try await Database.openMigrated(environment.databaseConfiguration, logger: environment.logger, now: Date())
        let runner = JobRunner(database: database, now: { Date() }, interval: .seconds(interval), batchSize: batchSize, logger: environment.logger)
        // The database is closed last, after the runner has stopped (services stop in reverse order).
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: DatabaseService(database: database)), .init(service: runner)],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: environment.logger))
        try await group.run()
    }
}
