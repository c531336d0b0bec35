import ArgumentParser
import AssignmentCore
import DeviceClient

/// `dispatch open ID`: downloads (or takes from this device), decrypts and shows an assignment.
struct OpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open an assignment: decrypt it on this device and read the case information.",
        discussion: "The coordinator is told you opened it, and each opening is recorded in the audit trail. Works offline for assignments downloaded by dispatch sync.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var assignment: AssignmentArgument
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        var assignment: AssignmentInfo
        var payload: CasePayload
        var readReceipt: String?
        enum CodingKeys: String, CodingKey {
            case assignment, payload
            case readReceipt = "read_receipt"
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let keys = try environment.unlockKeys(passphrase)
        let opened = try await environment.withDevice { try await $0.open(id, with: keys) }
        let receipt: String? = switch opened.receipt {
        case .sent: "sent"
        case .queued: "queued"
        case nil: nil
        }
        try Output.print(Report(assignment: opened.info, payload: opened.payload, readReceipt: receipt), json: json) { _ in SpokenText.opened(opened) }
    }
}
