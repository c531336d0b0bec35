import ArgumentParser
import Foundation
import Jobs

/// `dispatch jobs run [--once] [--batch-size N] [--interval SECONDS]`
struct JobsRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Send due reminders and escalations, run the GDPR sweeps and deliver notifications: once (for cron or a systemd timer), or every interval until stopped.",
        discussion: """
            Safe to run beside dispatch serve and beside other runners: each reminder is sent exactly once, and each notification delivered once. \
            What fell due while nothing ran is caught up, one step per assignment (docs/reminders.md).
            """)

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Run every job once and exit.") var once = false
    @Option(help: "Assignments per transaction (1-1000; default 100).") var batchSize = 100
    @Option(help: "Seconds between passes of reminders and sweeps without --once (default 60); notifications are delivered every 5 seconds.") var interval = 60
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size takes a number from 1 to 1000.") }
        guard (1...86_400).contains(interval) else { throw ValidationError("--interval takes seconds, from 1 to 86400.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        guard once else {
            try await StandaloneJobRunner.runUntilStopped(
                database: try environment.databaseConfiguration(), serverKey: try environment.serverKey(), now: { Date() }, interval: .seconds(interval),
                batchSize: batchSize, logger: environment.logger)
            return
        }
        let report = try await StandaloneJobRunner.runOnce(
            database: try environment.databaseConfiguration(), serverKey: try environment.serverKey(), now: { Date() }, batchSize: batchSize,
            logger: environment.logger)
        try Output.print(report, json: json) { report in
            """
            Reminders sent: \(report.reminders.reminders). Escalations to admins: \(report.reminders.escalations). Notifications queued: \(report.reminders.notifications).
            Expired: \(report.expiry.expired.count). Payloads destroyed: \(report.expiry.done). Sealed keys destroyed: \(report.expiry.sealedKeysDestroyed + report.keys.sealedKeysDestroyed).
            Notifications delivered: \(report.notifications?.delivered ?? 0). To retry: \(report.notifications?.retried ?? 0). Given up: \(report.notifications?.deadLettered ?? 0).
            """
        }
    }
}
