import ArgumentParser
import AssignmentCore
import DeviceClient

/// `dispatch decline ID --reason no_capacity|conflict_of_interest|too_far|other`: a peer mentor
/// declines on the teaser, before reading the case.
struct DeclineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decline",
        abstract: "Decline an assignment before reading it. The server destroys its case information at once and tells the coordinator, who can send it to someone else.",
        discussion: "Only before the case has been opened. Reasons: no_capacity, conflict_of_interest, too_far, other. This device forgets its copy at once.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Option(help: "no_capacity, conflict_of_interest, too_far or other.") var reason: DeclineReason
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let info = try await environment.withDevice { try await $0.decline(id, reason: reason) }
        try Output.print(info, json: json) { "Declined: \($0.title). The coordinator has been told; the case information has been destroyed, and this device no longer holds it." }
    }
}

extension DeclineReason: ExpressibleByArgument {}
