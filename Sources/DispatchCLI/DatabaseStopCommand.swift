import ArgumentParser
import Postgres
import Storage

/// `dispatch db stop`
struct DatabaseStopCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop the embedded database.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        let report = try EmbeddedDatabaseReport.stop(try environment.managedCluster())
        try Output.print(report, json: json) { $0.plainText }
    }
}
