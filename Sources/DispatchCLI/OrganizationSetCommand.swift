import ArgumentParser
import AssignmentCore
import Foundation
import Storage

/// `dispatch org set --org NAME [--module on|off] [--reminder-after-days N] …`
struct OrganizationSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change an organisation's settings: the encrypted-assignments module, reminders, honorarium, time zone, retention, the longest assignment lifetime.",
        discussion: "Only the settings given change. docs/domain.md explains each in plain words.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "Switch encrypted assignments on or off for the organisation.") var module: Switch?
    @Option(help: "Days after dispatch without contact before the first reminder (1-365).") var reminderAfterDays: Int?
    @Option(help: "Days between reminders (1-365).") var reminderRepeatDays: Int?
    @Option(help: "How many reminders at most (1-20).") var reminderMaximumCount: Int?
    @Option(help: "Honorarium tiers, increasing, separated by commas (for example 3,15).") var honorariumTiers: String?
    @Option(help: "When an assignment counts for the honorarium: completed or acknowledged.") var countAt: String?
    @Option(help: "The organisation's time zone (for example Europe/Oslo).") var timeZone: String?
    @Option(help: "Days after which closed assignments are archived (30-3650).") var retentionDays: Int?
    @Option(help: "The longest an assignment may stay open after dispatch, in days (7-730): it expires then at the latest, and its erasure key goes soon after.")
    var assignmentLifetimeDays: Int?
    @Option(help: "Days after an assignment closed before a device that has not confirmed erasing it counts as overdue (1-365; default 14).")
    var erasureConfirmationDays: Int?
    @Option(help: "Require post-quantum envelopes (format 2) for every dispatch: on or off. Devices without a post-quantum key then receive nothing until they run dispatch keys upgrade and register again.")
    var requirePostQuantum: Switch?
    @Option(
        help: "Honorarium rates in øre, separated by commas: band:FROM:ØRE[:PAYCODE] (each counted assignment from the FROMth of the year pays ØRE) and bonus:TIER:ØRE[:PAYCODE] (reaching TIER pays ØRE once), for example band:3:50000:LA101,bonus:15:200000:LA110.")
    var honorariumRates: String?
    @Option(help: "The first day the rates apply to (in the organisation's time zone; default: today), such as 2026-03-01.") var ratesValidFrom: String?
    @Option(help: "The rates' currency (default NOK).") var currency: String = "NOK"
    @Flag(help: "Print JSON instead of text.") var json = false

    enum Switch: String, ExpressibleByArgument, CaseIterable {
        case on, off
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        var tiers: [Int]?
        if let honorariumTiers {
            let parsed = honorariumTiers.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--honorarium-tiers takes whole numbers separated by commas, such as 3,15.")
            }
            tiers = parsed.compactMap { $0 }
        }
        var counting: AssignmentStatus?
        if let countAt {
            guard let status = AssignmentStatus(rawValue: countAt) else { throw ValidationError("--count-at takes completed or acknowledged.") }
            counting = status
        }
        if honorariumRates == nil && ratesValidFrom != nil { throw ValidationError("--rates-valid-from goes with --honorarium-rates.") }
        let record = try await environment.withAccounts { accounts in
            let current = try await accounts.organization(organization.organization)
            // Everything is checked before anything is written.
            var rates: HonorariumRateSet?
            if let honorariumRates {
                let today = current.settings.calendar.dateComponents([.year, .month, .day], from: Date())
                let validFrom = ratesValidFrom ?? String(format: "%04d-%02d-%02d", today.year!, today.month!, today.day!)
                rates = try HonorariumRateSet.parse(honorariumRates, validFrom: validFrom, currency: currency)
            }
            var settings = current.settings
            if let module { settings.encryptedAssignmentsEnabled = module == .on }
            if let reminderAfterDays { settings.reminderAfterDays = reminderAfterDays }
            if let reminderRepeatDays { settings.reminderRepeatDays = reminderRepeatDays }
            if let reminderMaximumCount { settings.reminderMaximumCount = reminderMaximumCount }
            if let tiers { settings.honorariumTiers = tiers }
            if let counting { settings.honorariumCountingStatus = counting }
            if let timeZone { settings.timeZoneIdentifier = timeZone }
            if let retentionDays { settings.retentionDays = retentionDays }
            if let assignmentLifetimeDays { settings.assignmentLifetimeDays = assignmentLifetimeDays }
            if let erasureConfirmationDays { settings.erasureConfirmationDays = erasureConfirmationDays }
            if let requirePostQuantum { settings.requirePostQuantum = requirePostQuantum == .on }
            try settings.validate()
            if let rates { try await HonorariumStore(database: accounts.database).setRates(rates, of: current.id, at: Date()) }
            return try await accounts.updateSettings(of: current.id, to: settings, at: Date())
        }
        try Output.print(record, json: json) { "Settings saved.\n" + $0.plainText }
    }
}
