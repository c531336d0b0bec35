import ArgumentParser
import Envelope

/// `dispatch server-key show`
struct ServerKeyShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "List the server key's versions and each one's public audit key. Never prints a secret.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        try Output.print(try ServerKeyReport.show(at: environment.serverKeyPath), json: json) { $0.plainText }
    }
}
