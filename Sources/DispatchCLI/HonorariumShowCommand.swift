import ArgumentParser
import Foundation
import Storage

/// `dispatch honorarium show --org NAME --mentor HANDLE [--period 2026]`
struct HonorariumShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A peer mentor's count, tier and history for a period.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The peer mentor, by handle.") var mentor: String
    @Option(help: "The year (default: this year, in the organisation's time zone).") var period: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let statement = try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            return try await HonorariumStore(database: accounts.database).statement(of: mentor, in: found.id, period: period, at: Date())
        }
        try Output.print(statement, json: json) { HonorariumText.statement($0) }
    }
}

/// The honorarium statement as linear text.
enum HonorariumText {
    static func statement(_ statement: HonorariumStatement) -> String {
        var lines = ["\(statement.handle), \(statement.period): \(SpokenText.plural(statement.counted, "counted assignment"))."]
        lines.append(statement.tierReached.map { "Tier reached: \($0)." } ?? "No tier reached yet.")
        if let next = statement.nextTier { lines.append("Next tier: \(next), \(next - statement.counted) to go.") }
        for event in statement.tierEvents {
            var line = "Tier \(event.tier) was reached \(SpokenText.date(event.crossedAt))"
            if let reversed = event.reversedAt { line += ", and reversed \(SpokenText.date(reversed)): \(event.reversalReason ?? "")" }
            lines.append(line + ".")
        }
        for entry in statement.entries {
            var line = "Assignment \(entry.assignmentID) counted as number \(entry.number), \(SpokenText.date(entry.countedAt))"
            if let voided = entry.voidedAt { line += "; voided \(SpokenText.date(voided)): \(entry.voidReason ?? "")" }
            lines.append(line + ".")
        }
        return lines.joined(separator: "\n")
    }
}
