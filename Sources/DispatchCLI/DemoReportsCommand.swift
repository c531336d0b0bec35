import ArgumentParser
import Demo
import Envelope
import Foundation
import Postgres
import Storage

/// `dispatch demo reports [--out Reports]`
struct DemoReportsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Build the demo data set in a throwaway database and write one example of every report (what Reports/ holds).",
        discussion: """
            Never touches your own database: a temporary embedded PostgreSQL is started and deleted afterwards. \
            The output is the same byte for byte on every run; CI compares it with the committed Reports/.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The folder to write the reports to.") var out: String = "Reports"

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let folder = CommandEnvironment.absolute(out)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let scratch = "/tmp/dispatch-demo-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let configuration = DatabaseConfiguration(
            location: .embedded(dataDirectory: scratch, binDirectory: environment.postgresBinDirectory), scopeProofKeys: .keys(try ServerKey.generate().scopeProofKeys()),
            erasureKeyringPath: scratch + "/erasure.keyring")
        let written = try await Database.using(configuration, logger: environment.logger) { database in
            try await database.prepareSchema(now: DemoReports.start)
            return try await DemoReports(database: database).generate(into: folder)
        }
        print("Wrote \(written.count) example reports to \(folder):")
        for file in written { print(file) }
    }
}
