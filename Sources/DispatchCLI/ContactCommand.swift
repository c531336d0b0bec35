import ArgumentParser
import DeviceClient

/// `dispatch contact ID`: sends the contact receipt, or keeps it for the next sync when offline.
struct ContactCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contact",
        abstract: "Record that you have made contact with the person (stops reminders).",
        discussion: "Without a connection the receipt is kept on this device and sent, in order, at the next sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await sendReceipt(.contact, assignment: assignment, options: options, json: json)
    }
}
