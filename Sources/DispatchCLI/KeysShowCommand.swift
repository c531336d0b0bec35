import ArgumentParser
import Envelope

/// `dispatch keys show`
struct KeysShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show this device's key fingerprint, in a form to read aloud over the phone.",
        discussion: "Needs no passphrase: the public keys are stored in the clear (and authenticated) in the keystore.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "The keystore to read (DISPATCH_KEYSTORE).") var keystore: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        let report = try DeviceKeyReport.show(at: keystore.map(CommandEnvironment.absolute) ?? environment.keystorePath)
        try Output.print(report, json: json) { $0.plainText }
    }
}
