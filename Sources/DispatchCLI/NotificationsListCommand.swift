import ArgumentParser
import Storage

/// `dispatch notifications list --org NAME [--status dead]`
struct NotificationsListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the newest notifications of an organisation.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "Only this status: pending, delivered, failed or dead.") var status: String?
    @Option(help: "How many at most (1-1000; default 50).") var limit = 50
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if let status, !["pending", "delivered", "failed", "dead"].contains(status) { throw ValidationError("--status takes pending, delivered, failed or dead.") }
        guard (1...1000).contains(limit) else { throw ValidationError("--limit takes a number from 1 to 1000.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let records = try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            return try await NotificationStore(database: accounts.database).notifications(of: found.id, status: status, limit: limit)
        }
        try Output.print(records, json: json) { records in
            var lines = ["\(SpokenText.plural(records.count, "notification"))."]
            for (index, record) in records.enumerated() {
                var line = "\(index + 1). \(record.kind.replacingOccurrences(of: "_", with: " ")), \(record.status), \(SpokenText.plural(record.attempts, "attempt"))"
                if let error = record.lastError { line += ", last error \(error)" }
                line += ". Made \(SpokenText.date(record.createdAt)). Id \(record.id.uuidString.lowercased())."
                lines.append(line)
            }
            return lines.joined(separator: "\n")
        }
    }
}
