import ArgumentParser
import Envelope

/// `dispatch server-key rotate`
struct ServerKeyRotateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Add a new version of the server key and make it current.",
        discussion: """
            New audit extracts are signed with the new version's audit key; new feeds and webhook secrets are derived \
            from it. Older versions stay in the file: feeds and webhook secrets made with them keep working, and old \
            extracts still verify with the audit key they name. Restart every server and job runner afterwards.
            """)

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        try Output.print(try ServerKeyReport.rotate(at: environment.serverKeyPath), json: json) { $0.plainText }
    }
}
