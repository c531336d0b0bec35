import ArgumentParser
import Foundation
import Jobs

/// `dispatch sweep retention [--dry-run]`
struct SweepRetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Archive assignments closed longer ago than their organisation's retention (default one year).",
        discussion: """
            They leave the working table with their remaining keys, notifications and reminders; their history \
            (events, honorarium entries, audit entries) and an archive row stay. Batches; Ctrl-C and run again to continue.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sweep: SweepOptions

    func run() async throws {
        try await SweepRunner(options: options, sweep: sweep).run { database, progress, stop in
            try await SweepJob.retention(database: database, clock: { Date() }, batchSize: sweep.batchSize, dryRun: sweep.dryRun, progress: progress, shouldStop: stop)
        }
    }
}
