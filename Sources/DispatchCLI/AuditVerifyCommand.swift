import ArgumentParser
import AssignmentCore
import Envelope
import Exports
import Foundation
import Storage

/// `dispatch audit verify DIR|FILE [--key HEX] [--json]` and `dispatch audit verify --live --org NAME`
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an audit extract offline, or the live chain in the database. Exits 1 when anything is wrong.",
        discussion: """
            An extract folder (from 'dispatch audit extract') or the file the API gives. Checked: the manifest's \
            signature, every entry's hash and link, the count, the first and last hash, the file's checksum. \
            Each problem is reported with the entry's number and its line.
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The extract folder or file.") var path: String?
    @Option(help: "The audit key you trust (hex, from 'dispatch audit key'); the extract must be signed by it.") var key: String?
    @Flag(help: "Check the chain in the database instead of an extract.") var live = false
    @Option(name: .customLong("org"), help: "With --live: the organisation's name or id.") var organization: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if live {
            guard organization != nil, path == nil else { throw ValidationError("--live checks the database: give --org and no path.") }
        } else {
            guard path != nil else { throw ValidationError("Give the extract's folder or file, or --live --org NAME.") }
        }
        if let key, Hex.decode(key)?.count != 32 { throw ValidationError("--key is the 64 hex digits 'dispatch audit key' prints.") }
    }

    func run() async throws {
        let result: AuditVerification
        let subject: String
        if live, let organization {
            let environment = try CommandEnvironment(options: options)
            (result, subject) = try await environment.withAccounts { accounts in
                let found = try await accounts.organization(organization)
                return (try await AuditExtractVerifier.verifyLive(AuditExtractStore(database: accounts.database), organization: found.id), "The audit chain of \(found.name)")
            }
        } else {
            let full = CommandEnvironment.absolute(path ?? "")
            result = try AuditExtractVerifier.verify(path: full, trustedKey: key.flatMap(Hex.decode))
            subject = "The extract at \(full)"
        }
        try Output.print(result, json: json) { $0.plainText(subject: subject) }
        if !result.intact { throw ExitCode(1) }
    }
}
