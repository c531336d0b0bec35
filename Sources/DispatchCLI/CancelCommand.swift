import ArgumentParser
import DeviceClient

/// `dispatch cancel ID --reason TEXT`: coordinators cancel; the case information is destroyed.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel an assignment. Its encrypted case information is destroyed on the server at once.",
        discussion: "The peer mentor's devices remove their copy at their next sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Option(help: "Why (no personal data; kept in the audit trail).") var reason: String
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let info = try await environment.withDevice { try await $0.cancel(id, reason: reason) }
        try Output.print(info, json: json) { "Cancelled: \($0.title). The case information has been destroyed on the server." }
    }
}
