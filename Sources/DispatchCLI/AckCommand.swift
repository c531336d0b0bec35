import ArgumentParser
import DeviceClient

/// `dispatch ack ID`: sends the acknowledge receipt, or keeps it for the next sync when offline.
struct AckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ack",
        abstract: "Confirm that you have read the assignment and take it on.",
        discussion: "Without a connection the receipt is kept on this device and sent, in order, at the next sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await sendReceipt(.acknowledge, assignment: assignment, options: options, json: json)
    }
}
