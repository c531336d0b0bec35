import ArgumentParser
import Foundation
import Postgres
import Storage

/// `dispatch migrate [--status]`
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply pending database migrations, or list them with --status.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "List every migration and whether it is applied, without applying anything.") var status = false
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let report = try await MigrationReport.run(
            try environment.databaseConfiguration(), apply: !status, logger: environment.logger, now: Date(), migrator: .schema)
        try Output.print(report, json: json) { status ? $0.statusText : $0.plainText }
    }
}
