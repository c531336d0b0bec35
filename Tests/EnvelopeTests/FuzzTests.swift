import AssignmentCore
import Envelope
import DatabaseTestSupport
import Foundation
import Testing

/// Mutated and random input for the parsers that face the outside: no crash, a clear error, and
/// nothing accepted that was changed. `DISPATCH_FUZZ_ITERATIONS` runs longer (the test command
/// uses the default).
@Suite("Fuzzing the envelope and keystore readers")
struct FuzzTests {
    static let iterations = FuzzIterations.value

    @Test("mutated envelopes: parsing and opening either fail with an envelope error or give back exactly the sealed envelope; never a crash")
    func envelopes() throws {
        let sender = try DeviceKeyPair.generate()
        let recipient = try DeviceKeyPair.generate()
        let other = try DeviceKeyPair.generate()
        let (assignment, organization) = (UUID(), UUID())
        let original = try EnvelopeSealer().seal(
            payload: Array(#"{"version":1,"contact_name":"FUZZ"}"#.utf8), assignmentID: assignment, organizationID: organization, sender: sender,
            recipients: [recipient.publicKeys, other.publicKeys]
        ).serialized
        var generator = SeededGenerator(seed: 20_261_130)
        var parsed = 0
        var opened = 0
        for _ in 0..<Self.iterations {
            let bytes = Mutation.binary(original, using: &generator)
            let envelope: AssignmentEnvelope
            do {
                envelope = try AssignmentEnvelope.parse(bytes)
            } catch is EnvelopeError {
                continue
            }
            parsed += 1
            do {
                _ = try EnvelopeOpener.open(envelope, recipient: recipient, sender: sender.publicKeys, assignmentID: assignment, organizationID: organization)
                opened += 1
                #expect(bytes == original, "a changed envelope opened")
            } catch is EnvelopeError {
                continue
            }
        }
        #expect(parsed > 0, "some mutations keep the form and reach the cryptography")
        #expect(opened <= parsed)
    }

    @Test("mutated keystores: reading the public keys fails with a keystore error or gives the keystore's own; unlocking a changed one never gives keys")
    func keystores() throws {
        let folder = NSTemporaryDirectory() + "dispatch-fuzz-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/device.keystore"
        let keys = try DeviceKeyPair.generate()
        let passphrase = try SecretBytes(utf8: "correct horse battery")
        try Keystore.create(at: path, keys: keys, passphrase: passphrase, hardness: .interactive)
        let original = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let mutatedPath = folder + "/mutated.keystore"
        var generator = SeededGenerator(seed: 7)
        var unlocks = 0
        for _ in 0..<Self.iterations {
            let bytes = Mutation.binary(original, using: &generator)
            FileManager.default.createFile(atPath: mutatedPath, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
            do {
                let publicKeys = try Keystore.publicKeys(at: mutatedPath)
                // The public part may be read from a keystore whose other bytes changed; unlocking
                // (a few times: each costs the key derivation) must then refuse anything changed.
                if bytes != original, unlocks < 8 {
                    unlocks += 1
                    #expect(throws: EnvelopeError.self) { _ = try Keystore.unlock(at: mutatedPath, passphrase: passphrase) }
                }
                _ = publicKeys
            } catch is EnvelopeError {
                continue
            }
        }
        #expect(try Keystore.unlock(at: path, passphrase: passphrase).fingerprint == keys.fingerprint, "the original still opens")
    }
}
