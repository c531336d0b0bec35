import ArgumentParser
import AssignmentCore
import Envelope
import Foundation

/// `dispatch audit key`: the public half of the audit signing key, for whoever verifies extracts.
struct AuditKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Print the public audit key that signs extract manifests (give it to whoever verifies them).")

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let key = try environment.serverKey().auditSigningKey()
        print(Hex.encode(key.publicKeys.signingKey))
    }
}
