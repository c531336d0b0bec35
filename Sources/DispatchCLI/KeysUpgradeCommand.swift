import ArgumentParser
import Envelope

/// `dispatch keys upgrade`: adds a post-quantum (X-Wing) key to this device's keystore.
struct KeysUpgradeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Add a post-quantum key to this device, so that assignments to it can use format 2.",
        discussion: """
            Rewrites the keystore under the same passphrase, keeping this device's other keys, and asks for the \
            passphrase once. The device's fingerprint changes: run dispatch keys register next, which also retires \
            the old registration, and read the new fingerprint aloud to your coordinator. Assignments sent before \
            keep opening.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var passphraseOptions: PassphraseOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        let before = try Keystore.publicKeys(at: environment.keystorePath)
        let keys = try Keystore.addPostQuantumKey(at: environment.keystorePath, passphrase: try passphraseOptions.read(confirming: false))
        let report = DeviceKeyReport(keystore: environment.keystorePath, publicKeys: keys.publicKeys)
        try Output.print(report, json: json) { report in
            (before.isPostQuantum ? "This device has a post-quantum key already; nothing was changed.\n" : "Post-quantum key added.\n")
                + report.plainText
                + (before.isPostQuantum ? "" : "\nNext: dispatch keys register. Then read the new fingerprint aloud to your coordinator.")
        }
    }
}
