import ArgumentParser
import Exports
import Foundation
import Storage
import Templates

extension Language: ExpressibleByArgument {}

/// `dispatch report honorarium --org NAME --period 2026|2026-Q1|2026-03 [--excel] [--out FILE]`
struct ReportHonorariumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "honorarium",
        abstract: "The honorarium report of an organisation for a year, quarter or month, with amounts, as CSV (docs/honorarium.md lists the columns).",
        discussion: "Without --out the CSV goes to standard output. With --out the file appears only when it is complete.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "A year (2026), a quarter (2026-Q1) or a month (2026-03).") var period: String
    @Flag(help: "For Excel: semicolons, amounts with a decimal comma and a byte order mark, so Norwegian Excel opens it cleanly.") var excel = false
    @Option(help: "Column headings: en (the stable identifiers a payroll import maps) or nb (Norwegian).") var language: Language = .en
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func validate() throws {
        do { try HonorariumReport.validate(period: period) } catch {
            throw ValidationError("--period takes a year (2026), a quarter (2026-Q1) or a month (2026-03), not '\(period.prefix(20))'.")
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let format: CSVFormat = excel ? .excel : .standard
        try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            let report = HonorariumReport(database: accounts.database)
            try await report.store.recordPull(
                of: found.id, period: period, format: excel ? "excel" : "csv", language: language.rawValue, via: "cli", by: .system, at: Date())
            guard let out else {
                try await report.write(organization: found.id, period: period, format: format, language: language) { FileHandle.standardOutput.write(Data($0.utf8)) }
                return
            }
            let path = CommandEnvironment.absolute(out)
            let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
                throw ValidationError("Cannot write \(path): check that the folder exists and is writable.")
            }
            do {
                try await report.write(organization: found.id, period: period, format: format, language: language) { try handle.write(contentsOf: Data($0.utf8)) }
                try handle.close()
                _ = try? FileManager.default.removeItem(atPath: path)
                try FileManager.default.moveItem(atPath: temporary, toPath: path)
            } catch {
                try? handle.close()
                try? FileManager.default.removeItem(atPath: temporary)
                throw error
            }
        }
    }
}
