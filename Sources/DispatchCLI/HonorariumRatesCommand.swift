import ArgumentParser
import AssignmentCore
import Foundation
import Storage

/// `dispatch honorarium rates --org NAME`: the organisation's honorarium rates, set by
/// `dispatch org set --honorarium-rates`.
struct HonorariumRatesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rates", abstract: "The organisation's honorarium rates, each set with the day it applies from.",
        discussion: "Set them with: dispatch org set --org NAME --honorarium-rates … --rates-valid-from DAY")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let sets = try await environment.withAccounts { accounts in
            let found = try await accounts.organization(organization.organization)
            return try await HonorariumStore(database: accounts.database).rateSets(of: found.id)
        }
        try Output.print(sets, json: json) { HonorariumText.rates($0) }
    }
}

extension HonorariumText {
    /// Rate sets as linear text, one rate a line.
    static func rates(_ sets: [HonorariumRateSet]) -> String {
        guard !sets.isEmpty else { return "No honorarium rates are set: the report counts, but pays nothing." }
        var lines: [String] = []
        for set in sets {
            lines.append("From \(set.validFrom), in \(set.currency):")
            for rate in set.rates {
                let amount = HonorariumPayroll.text(ore: rate.amountOre)
                let code = rate.payCode.map { ", pay code \($0)" } ?? ""
                switch rate.kind {
                case .band: lines.append("From counted assignment \(rate.threshold) of the year on, each pays \(amount)\(code).")
                case .tierBonus: lines.append("Reaching tier \(rate.threshold) pays \(amount) once\(code).")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
