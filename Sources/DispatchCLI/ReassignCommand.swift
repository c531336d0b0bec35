import ArgumentParser
import DeviceClient

/// `dispatch reassign ID --to HANDLE`: a coordinator sends an assignment again, to another peer mentor.
struct ReassignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reassign",
        abstract: "Send an assignment again, to another peer mentor: after a decline, or when no contact was made.",
        discussion: """
            On this device: opens your own copy of what you sent, seals it for the new peer mentor as a new assignment \
            linked to the old one, then cancels the old one if it is still open. If anything fails halfway, the old one \
            stays open; run the command again to finish. Works while the assignment is open, and up to 30 days after a \
            decline, from the device that sent it. dispatch suggest ID lists who could take it over.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var assignment: AssignmentArgument
    @Option(help: "The handle of the peer mentor who takes it over.") var to: String
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        var assignment: AssignmentInfo?
        var cancelledOld: Bool
        enum CodingKeys: String, CodingKey {
            case assignment
            case cancelledOld = "cancelled_old"
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let keys = try environment.unlockKeys(passphrase)
        let outcome = try await environment.withDevice { try await $0.reassign(id, to: to, with: keys) }
        try Output.print(Report(assignment: outcome.assignment, cancelledOld: outcome.cancelledOld), json: json) { _ in
            SpokenText.reassigned(outcome, handle: to)
        }
    }
}
