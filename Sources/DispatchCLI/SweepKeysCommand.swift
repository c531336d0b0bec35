import ArgumentParser
import Foundation
import Jobs
import Postgres
import Storage

/// `dispatch sweep keys [--dry-run]`, and `dispatch sweep keys --report`: the devices whose erasure
/// confirmations are overdue.
struct SweepKeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Destroy sealed keys addressed to revoked devices and anything left of cancelled or expired assignments.",
        discussion: """
            Works in batches; can be interrupted (Ctrl-C) and run again to continue; safe beside other sweeps. \
            With --report it sweeps nothing and lists, per organisation, the devices that downloaded a closed \
            assignment and have not confirmed erasing it within the organisation's erasure_confirmation_days.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var sweep: SweepOptions
    @Flag(name: .customLong("report"), help: "List the devices whose erasure confirmations are overdue, instead of sweeping.") var overdueReport = false

    func run() async throws {
        if overdueReport {
            let environment = try CommandEnvironment(options: options)
            let devices = try await Database.using(try environment.databaseConfiguration(), logger: environment.logger) { database in
                try await database.prepareSchema(now: Date())
                return try await ErasureReceiptStore(database: database).overdueDevices(in: .scheduler, at: Date())
            }
            try Output.print(devices, json: sweep.json) { OperatorText.overdueErasures($0) }
            return
        }
        try await SweepRunner(options: options, sweep: sweep).run { database, progress, stop in
            try await SweepJob.keys(database: database, clock: { Date() }, batchSize: sweep.batchSize, dryRun: sweep.dryRun, progress: progress, shouldStop: stop)
        }
    }
}
