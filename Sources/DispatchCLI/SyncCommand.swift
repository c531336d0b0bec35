import ArgumentParser
import DeviceClient
import Envelope

/// `dispatch sync`: sends waiting receipts, downloads new assignments, removes closed ones.
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Send waiting receipts, download new assignments for offline reading, and remove closed ones from this device.",
        discussion: "Downloading an assignment tells the coordinator it was delivered. Needs no passphrase.")

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let keys = try? Keystore.publicKeys(at: environment.keystorePath)
        let report = try await environment.withDevice { try await $0.sync(device: keys?.fingerprint) }
        try Output.print(report, json: json) { SpokenText.sync($0) }
    }
}
