import ArgumentParser
import Foundation
import Postgres
import Storage

/// `dispatch db start`
struct DatabaseStartCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the embedded database in the background (creating and migrating it on first use).")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        let report = try EmbeddedDatabaseReport.start(try environment.managedCluster(), migrator: .schema, now: Date())
        try Output.print(report, json: json) { $0.plainText }
    }
}
