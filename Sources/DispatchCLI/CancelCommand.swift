import ArgumentParser
import DeviceClient

/// `dispatch cancel ID --reason TEXT`: coordinators cancel; the case information is destroyed
/// (what that means in the data files, the WAL and backups: docs/security.md, "Erasure").
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel an assignment. The server destroys its encrypted case information at once, clears it from its data files within minutes, and from older copies (backups) once the day's erasure key goes.",
        discussion: "The peer mentor's devices remove their copy at their next sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Option(help: "Why (no personal data; kept in the audit trail).") var reason: String
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let info = try await environment.withDevice { try await $0.cancel(id, reason: reason) }
        try Output.print(info, json: json) { "Cancelled: \($0.title). The server has destroyed the case information; it leaves the server's data files within minutes, and older copies such as backups can no longer open it once that day's erasure key is destroyed." }
    }
}
