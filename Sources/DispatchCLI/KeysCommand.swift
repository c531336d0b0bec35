import ArgumentParser

/// `dispatch keys …`: this device's key pair, its registration, and the keys of others it trusts.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "This device's keys, their registration, and the keys of others this device trusts.",
        discussion: "The private keys never leave this device: they are stored encrypted under your passphrase in the keystore (DISPATCH_KEYSTORE).",
        subcommands: [KeysGenerateCommand.self, KeysShowCommand.self, KeysUpgradeCommand.self, KeysRegisterCommand.self, KeysListCommand.self, KeysVerifyCommand.self]
    )
}
