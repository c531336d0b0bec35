import ArgumentParser
import DeviceClient

/// `dispatch keys verify --user H --fingerprint DIGITS`: trusts a key after comparing it aloud.
struct KeysVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Trust a user's new key after comparing its fingerprint with them, aloud.",
        discussion: """
            Ask the person to run 'dispatch keys show' and read the six groups of five digits; type them \
            here. This device then sends to that key. Until then it refuses to send to a key it has not seen.
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The user, by handle.") var user: String
    @Option(help: "The fingerprint as read aloud (six groups of five digits) or as 64 hex digits.") var fingerprint: String
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let key = try await environment.withDevice { try await $0.verifyKey(of: user, fingerprint: fingerprint) }
        try Output.print(key, json: json) { key in
            "The key \(key.fingerprintReadAloud.joined(separator: " ")) of \(user) is now trusted on this device."
        }
    }
}
