import ArgumentParser
import Exports
import Foundation
import Storage

/// `dispatch audit extract --org NAME --from DAY --to DAY [--format jsonl|csv] --out DIR [--json]`
struct AuditExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Write every audit entry of a time range to a folder, with a manifest signed by the server's audit key.",
        discussion: """
            Days are in the organisation's time zone and --to includes its whole day; full times such as \
            2026-01-31T12:00:00Z are exact. The folder must be new or empty; it appears only when complete. \
            Check it with 'dispatch audit verify DIR'.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The first day (or time) of the range, such as 2026-01-01.") var from: String
    @Option(help: "The last day of the range, such as 2026-12-31 (or an exact end time).") var to: String
    @Option(help: "jsonl (default) or csv.") var format: AuditExtractFormat = .jsonl
    @Option(help: "The folder to write the extract to.") var out: String
    @Flag(help: "Print the manifest as JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let signingKey = try environment.serverKey().auditSigningKey()
        let path = CommandEnvironment.absolute(out)
        let signed = try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            let range = try AuditExtract.range(from: from, to: to, timeZone: found.settings.calendar.timeZone)
            let extract = AuditExtract(database: accounts.database, signingKey: signingKey)
            let now = Date()
            try await extract.store.recordPull(of: found.id, from: range.from, to: range.to, format: format.rawValue, via: "cli", by: .system, at: now)
            return try await extract.writeFolder(at: path, organization: found.id, from: range.from, to: range.to, format: format, generatedAt: now)
        }
        if json {
            print(String(decoding: signed.bytes, as: UTF8.self))
        } else {
            let manifest = signed.manifest
            print(
                [
                    "Audit extract written to \(path).",
                    manifest.entryCount == 0
                        ? "No audit entries fall in the range."
                        : "\(manifest.entryCount) entries, \(manifest.firstSequence ?? 0) to \(manifest.lastSequence ?? 0), from \(manifest.firstOccurredAt ?? "") to \(manifest.lastOccurredAt ?? "").",
                    "Signed by the audit key \(manifest.signingKey).",
                    "Check it with: dispatch audit verify \(path)",
                ].joined(separator: "\n"))
        }
    }
}
