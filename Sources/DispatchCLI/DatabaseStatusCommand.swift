import ArgumentParser
import Postgres
import Storage

/// `dispatch db status`
struct DatabaseStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Say whether the embedded database exists and runs, without starting it.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        let report = EmbeddedDatabaseReport.status(try environment.managedCluster())
        try Output.print(report, json: json) { $0.plainText }
    }
}
