import ArgumentParser
import DeviceClient

/// `dispatch keys list --user H`: a user's registered keys, and which this device trusts.
struct KeysListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List a user's registered device keys, and whether this device trusts each.")

    @OptionGroup var options: GlobalOptions
    @Option(help: "The user, by handle.") var user: String
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        var handle: String
        var keys: [Key]
        struct Key: Encodable {
            var fingerprint: String
            var fingerprintReadAloud: [String]
            var trusted: Bool
            enum CodingKeys: String, CodingKey {
                case fingerprint, trusted
                case fingerprintReadAloud = "fingerprint_read_aloud"
            }
        }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let (keys, pinned) = try await environment.withDevice { try await $0.keys(of: user) }
        let report = Report(
            handle: keys.handle,
            keys: keys.keys.map { .init(fingerprint: $0.fingerprint, fingerprintReadAloud: $0.fingerprintReadAloud, trusted: pinned.contains($0.fingerprint)) })
        try Output.print(report, json: json) { report in
            var lines = ["\(report.handle) has \(SpokenText.plural(report.keys.count, "active device key"))."]
            for (index, key) in report.keys.enumerated() {
                lines.append("\(index + 1). Fingerprint \(key.fingerprintReadAloud.joined(separator: " ")). \(key.trusted ? "Trusted on this device." : "Not yet trusted on this device.")")
            }
            return lines.joined(separator: "\n")
        }
    }
}
