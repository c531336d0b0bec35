import ArgumentParser

/// `dispatch keys generate|show`: this device's key pair.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create or show this device's encryption and signing keys.",
        discussion: "The private keys never leave this device: they are stored encrypted under your passphrase in the keystore (DISPATCH_KEYSTORE).",
        subcommands: [KeysGenerateCommand.self, KeysShowCommand.self]
    )
}
