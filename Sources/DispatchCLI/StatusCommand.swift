import ArgumentParser
import AssignmentCore
import Contract
import DeviceClient

/// `dispatch status`: the coordinators' status overview.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "The open assignments you follow, most urgent first, with counts per status.",
        discussion: "Overdue means no contact yet and the contact deadline (or the first reminder time) has passed.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "Only this status: dispatched, delivered, read or acknowledged.") var status: Components.Schemas.OpenStatus?
    @Option(help: "Only this peer mentor (handle).") var mentor: String?
    @Option(help: "Only this region.") var region: String?
    @Flag(help: "Only overdue assignments.") var overdue = false
    @Flag(help: "Only assignments that are not overdue.") var onTime = false
    @Option(help: "How many at most (1-200; default 50).") var limit: Int?
    @Option(help: "Where to continue, from the end of the previous list.") var cursor: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func validate() throws {
        if overdue && onTime { throw ValidationError("Give --overdue or --on-time, not both.") }
        if let limit, !(1...200).contains(limit) { throw ValidationError("--limit takes a number from 1 to 200.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let query = OverviewFilter(
            status: status, peerMentor: mentor, region: region, overdue: overdue ? true : (onTime ? false : nil), limit: limit, cursor: cursor)
        let page = try await environment.withDevice { try await $0.overview(query) }
        try Output.print(page, json: json) { SpokenText.overview($0, forMentor: false) }
    }
}

extension Components.Schemas.OpenStatus: ExpressibleByArgument {}
