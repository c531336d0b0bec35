import ArgumentParser
import DeviceClient

/// `dispatch suggest ID`: coordinators see who could take an assignment over.
struct SuggestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suggest",
        abstract: "Peer mentors who could take an assignment over, after a decline or when no contact was made: best first.",
        discussion: "Ranked by the same local association, experience in the region, then the fewest open assignments; only active peer mentors with a registered device, never the one it was sent to.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var assignment: AssignmentArgument
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let id = try assignment.parsed()
        let suggestions = try await environment.withDevice { try await $0.suggestions(id) }
        try Output.print(suggestions, json: json) { SpokenText.suggestions($0) }
    }
}
