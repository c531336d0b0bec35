import ArgumentParser

/// `dispatch report …`: the export reports.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write reports for the organisation: the honorarium report for payroll.",
        subcommands: [ReportHonorariumCommand.self])
}
