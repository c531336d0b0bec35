import ArgumentParser
import Foundation
import Jobs

/// `dispatch sweep expiry [--dry-run]`
struct SweepExpiryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "expiry",
        abstract: "Destroy the case information of every assignment past its expiry time; open ones become expired.",
        discussion: "Works in batches; can be interrupted (Ctrl-C) and run again to continue; safe beside other sweeps.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sweep: SweepOptions

    func run() async throws {
        try await SweepRunner(options: options, sweep: sweep).run { database, progress, stop in
            try await SweepJob.expiry(database: database, clock: { Date() }, batchSize: sweep.batchSize, dryRun: sweep.dryRun, progress: progress, shouldStop: stop)
        }
    }
}
