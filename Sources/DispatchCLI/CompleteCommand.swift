import ArgumentParser
import DeviceClient

/// `dispatch complete ID`: sends the complete receipt, or keeps it for the next sync when offline.
struct CompleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "complete",
        abstract: "Mark the assignment as completed.",
        discussion: "Without a connection the receipt is kept on this device and sent, in order, at the next sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await sendReceipt(.complete, assignment: assignment, options: options, json: json)
    }
}
