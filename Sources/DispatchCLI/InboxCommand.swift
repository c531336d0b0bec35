import ArgumentParser
import DeviceClient

/// `dispatch inbox`: a peer mentor's open assignments.
struct InboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inbox",
        abstract: "List your open assignments, most urgent first.",
        discussion: "Open one with: dispatch open ID. Run dispatch sync to download new ones for reading offline.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "Where to continue, from the end of the previous list.") var cursor: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let page = try await environment.withDevice { try await $0.overview(OverviewFilter(cursor: cursor)) }
        try Output.print(page, json: json) { SpokenText.overview($0, forMentor: true) }
    }
}
