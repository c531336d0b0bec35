import AssignmentCore
import ArgumentParser

/// `dispatch feed rotate [--org NAME --handle HANDLE | --handle HANDLE] [--language nb|en] [--json]`
struct FeedRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Give a calendar feed a new address; the old one stops working at once.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var target: FeedTargetOptions
    @Option(help: "Language of the event texts: nb or en (default: as before).") var language: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        try await FeedIssuing(options: options, target: target, language: language, json: json).run(replacing: true)
    }
}
