import ArgumentParser
import Foundation
import Jobs

/// `dispatch sweep keys [--dry-run]`
struct SweepKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Destroy sealed keys addressed to revoked devices and anything left of cancelled or expired assignments.",
        discussion: "Works in batches; can be interrupted (Ctrl-C) and run again to continue; safe beside other sweeps.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sweep: SweepOptions

    func run() async throws {
        try await SweepRunner(options: options, sweep: sweep).run { database, progress, stop in
            try await SweepJob.keys(database: database, clock: { Date() }, batchSize: sweep.batchSize, dryRun: sweep.dryRun, progress: progress, shouldStop: stop)
        }
    }
}
