import Exports
import ArgumentParser

/// `dispatch audit extract|verify|key`: audit extracts for compliance officers (docs/audit.md).
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Pull a signed audit extract, verify an extract or the live chain, show the audit signing key.",
        subcommands: [AuditExtractCommand.self, AuditVerifyCommand.self, AuditKeyCommand.self]
    )
}

extension AuditExtractFormat: ExpressibleByArgument {}
