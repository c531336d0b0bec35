import ArgumentParser
import Envelope

/// `dispatch keys generate`
struct KeysGenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Create this device's keys and store them encrypted under a passphrase.",
        discussion: "Asks for the passphrase twice without showing it. For scripts, give --passphrase-file or --passphrase-stdin instead.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var passphraseOptions: PassphraseOptions
    @Option(help: "Where to write the keystore (DISPATCH_KEYSTORE).") var keystore: String?
    @Flag(help: "Replace an existing keystore. Its keys are lost for ever.") var force = false
    @Option(help: "How hard the passphrase is stretched: moderate (default) or interactive (for small devices).")
    var kdfProfile: KeyDerivationProfile = .moderate
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() throws {
        let environment = try CommandEnvironment(options: options)
        let path = keystore.map(CommandEnvironment.absolute) ?? environment.keystorePath
        let passphrase = try passphraseOptions.read(confirming: true)
        let report = try DeviceKeyReport.generate(at: path, passphrase: passphrase, hardness: kdfProfile.hardness, overwrite: force)
        try Output.print(report, json: json) { "Keys created.\n" + $0.plainText }
    }
}

enum KeyDerivationProfile: String, ExpressibleByArgument, CaseIterable {
    case moderate
    case interactive

    var hardness: KeystoreHardness {
        switch self {
        case .moderate: .moderate
        case .interactive: .interactive
        }
    }
}
