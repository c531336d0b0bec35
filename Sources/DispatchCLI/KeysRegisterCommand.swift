import ArgumentParser
import DeviceClient
import Envelope

/// `dispatch keys register`: tells the server this device's public keys.
struct KeysRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "register",
        abstract: "Register this device's public keys with the server, after dispatch login.",
        discussion: "Needs no passphrase: only the public keys are sent. Coordinators can then seal assignments to this device.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "A name for this device, such as 'work phone' (no personal data).") var label: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let keys = try Keystore.publicKeys(at: environment.keystorePath)
        let registered = try await environment.withDevice { try await $0.registerKeys(keys, label: label) }
        try Output.print(registered, json: json) { key in
            """
            This device's keys are registered.
            Fingerprint to read aloud: \(key.fingerprintReadAloud.joined(separator: " ")).
            """
        }
    }
}
