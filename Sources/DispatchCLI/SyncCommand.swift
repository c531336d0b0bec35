import ArgumentParser
import DeviceClient
import Envelope

/// `dispatch sync`: sends waiting receipts, downloads new assignments, removes closed ones.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send waiting receipts, download new assignments for offline reading, and remove closed ones from this device.",
        discussion: """
            Downloading an assignment tells the coordinator it was delivered. Needs no passphrase, except with --sign: \
            removing a closed assignment makes an erasure receipt, which is signed with this device's key and sent \
            with --sign (or the next time you open an assignment).
            """)

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Also sign and send the waiting erasure receipts (asks for the passphrase).") var sign = false
    @OptionGroup var passphrase: PassphraseOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let keys = try? Keystore.publicKeys(at: environment.keystorePath)
        let signer = sign ? try environment.unlockKeys(passphrase) : nil
        let formerly = keys?.isPostQuantum == true ? keys?.classical.fingerprint : nil
        let report = try await environment.withDevice { try await $0.sync(device: keys?.fingerprint, formerly: formerly, signingWith: signer) }
        try Output.print(report, json: json) { SpokenText.sync($0) }
    }
}
