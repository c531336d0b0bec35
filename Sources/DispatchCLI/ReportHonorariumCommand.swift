import ArgumentParser
import AssignmentCore
import Exports
import Foundation
import Storage
import Templates

extension Language: ExpressibleByArgument {}

/// `dispatch report honorarium --org NAME --period 2026|2026-Q1|2026-03 [--excel] [--out FILE]`, and
/// `--close 2026-03` instead of `--period`: the month's report, recorded as paid.
struct ReportHonorariumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "honorarium",
        abstract: "The honorarium report of an organisation for a year, quarter or month, with amounts, as CSV (docs/honorarium.md lists the columns).",
        discussion: """
            Without --out the CSV goes to standard output. With --out the file appears only when it is complete. \
            --close MONTH writes the month's report and records it as paid, with the SHA-256 of the file: it never changes again, \
            and a later correction is paid back in the next open month.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "A year (2026), a quarter (2026-Q1) or a month (2026-03).") var period: String?
    @Option(help: "Close this month as paid (such as 2026-03), writing its report.") var close: String?
    @Flag(help: "For Excel: semicolons, amounts with a decimal comma and a byte order mark, so Norwegian Excel opens it cleanly.") var excel = false
    @Option(help: "Column headings: en (the stable identifiers a payroll import maps) or nb (Norwegian).") var language: Language = .en
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func validate() throws {
        guard (period == nil) != (close == nil) else { throw ValidationError("Give either --period (to read a report) or --close (to close a month).") }
        if let period {
            do { try HonorariumReport.validate(period: period) } catch {
                throw ValidationError("--period takes a year (2026), a quarter (2026-Q1) or a month (2026-03), not '\(period.prefix(20))'.")
            }
        }
        if let close {
            guard case .month = try? HonorariumPeriod(close) else { throw ValidationError("--close takes a month, such as 2026-03, not '\(close.prefix(20))'.") }
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let format: CSVFormat = excel ? .excel : .standard
        try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            let report = HonorariumReport(database: accounts.database)
            if let close {
                let closed = try await report.close(organization: found.id, period: close, format: format, language: language, at: Date())
                if let out {
                    try Self.writeAtomically(closed.file, to: CommandEnvironment.absolute(out))
                    print("Closed \(close) as paid. The file's SHA-256: \(closed.sha256).")
                } else {
                    FileHandle.standardOutput.write(Data(closed.file.utf8))
                    FileHandle.standardError.write(Data("Closed \(close) as paid. The file's SHA-256: \(closed.sha256).\n".utf8))
                }
                return
            }
            guard let period else { return }
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

    /// Writes `text` to a temporary file beside `path` and moves it into place.
    static func writeAtomically(_ text: String, to path: String) throws {
        let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw ValidationError("Cannot write \(path): check that the folder exists and is writable.")
        }
        _ = try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }
}
