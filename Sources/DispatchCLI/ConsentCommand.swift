import ArgumentParser
import DeviceClient

/// `dispatch consent ID`: sends the consent receipt, or keeps it for the next sync when offline.
struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent",
        abstract: "Give your consent to receive the case information, where the assignment asks for it.",
        discussion: "Without a connection the receipt is kept on this device and sent, in order, at the next sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await sendReceipt(.consent, assignment: assignment, options: options, json: json)
    }
}
