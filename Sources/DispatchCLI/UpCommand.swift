import ArgumentParser
import Foundation
import Storage

/// `dispatch up`, also plain `dispatch`: the main job. For now it starts the database (the
/// embedded one unless DATABASE_URL is set), applies migrations, prints the status and stops what
/// it started.
struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the database, apply migrations and print its status (the default command).",
        discussion: "Uses an embedded PostgreSQL unless DATABASE_URL is set. An embedded database this command started is stopped again when it ends.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let report = try await DatabaseStatusReport.bootstrap(
            try environment.databaseConfiguration(), logger: environment.logger, now: Date())
        try Output.print(report, json: json) { $0.plainText }
    }
}
