import Envelope
import Foundation
import Testing

@Suite("Keystore")
struct KeystoreTests {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keystore-tests-\(UUID().uuidString)").path
    }

    func passphrase(_ text: String = "correct horse battery staple") throws -> SecretBytes { try SecretBytes(utf8: text) }

    func create(_ name: String = "device.keystore") throws -> (path: String, keys: DeviceKeyPair) {
        let keys = try DeviceKeyPair.generate()
        let path = folder + "/" + name
        try Keystore.create(at: path, keys: keys, passphrase: try passphrase(), hardness: .testingOnly)
        return (path, keys)
    }

    @Test("keys come back with the right passphrase, and the file is private")
    func roundTrip() throws {
        let (path, keys) = try create()
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let unlocked = try Keystore.unlock(at: path, passphrase: try passphrase())
        #expect(unlocked.publicKeys == keys.publicKeys)
        #expect(try Keystore.publicKeys(at: path) == keys.publicKeys)
        // The unlocked keys work: they open what is sealed to the original.
        let envelope = try EnvelopeSealer().seal(payload: [1, 2, 3], assignmentID: UUID(), organizationID: UUID(), sender: keys, recipients: [keys.publicKeys])
        #expect(try EnvelopeOpener.open(envelope, recipient: unlocked, sender: keys.publicKeys, assignmentID: envelope.assignmentID, organizationID: envelope.organizationID) == [1, 2, 3])
    }

    @Test("a wrong passphrase is a clear error")
    func wrongPassphrase() throws {
        let (path, _) = try create()
        #expect(throws: EnvelopeError.wrongPassphrase) { try Keystore.unlock(at: path, passphrase: try passphrase("correct horse battery stapler")) }
    }

    @Test("a truncated or damaged keystore is a clear error")
    func truncatedOrDamaged() throws {
        let (path, _) = try create()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for cut in [0, 3, 40, bytes.count - 1] {
            try Data(bytes.prefix(cut)).write(to: URL(fileURLWithPath: path))
            #expect(throws: EnvelopeError.self) { try Keystore.unlock(at: path, passphrase: try passphrase()) }
        }
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: path))
        #expect(throws: EnvelopeError.keystoreTruncated(path: path)) { try Keystore.publicKeys(at: path) }
        // A swapped public key is caught by the authentication of the header.
        var swapped = bytes
        swapped[40] ^= 1
        try Data(swapped).write(to: URL(fileURLWithPath: path))
        #expect(throws: EnvelopeError.wrongPassphrase) { try Keystore.unlock(at: path, passphrase: try passphrase()) }
        // A hostile file cannot make us allocate without bound.
        var greedy = bytes
        greedy[14] = 0xff
        try Data(greedy).write(to: URL(fileURLWithPath: path))
        #expect(throws: EnvelopeError.keystoreCorrupt(path: path, reason: "its key-stretching settings are out of range")) {
            try Keystore.unlock(at: path, passphrase: try passphrase())
        }
        try Data("not a keystore at all, just text".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: EnvelopeError.keystoreCorrupt(path: path, reason: "it is not a dispatch keystore")) { try Keystore.publicKeys(at: path) }
    }

    @Test("a keystore others can read is refused", arguments: [0o644, 0o640, 0o604, 0o660])
    func tooOpen(mode: Int) throws {
        let (path, _) = try create("open-\(mode).keystore")
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        #expect(throws: EnvelopeError.keystoreTooOpen(path: path, mode: UInt16(mode))) { try Keystore.publicKeys(at: path) }
        #expect(throws: EnvelopeError.keystoreTooOpen(path: path, mode: UInt16(mode))) { try Keystore.unlock(at: path, passphrase: try passphrase()) }
    }

    @Test("an existing keystore is not overwritten unless asked, a short passphrase is refused, a missing file is named")
    func creationRules() throws {
        let (path, first) = try create()
        #expect(throws: EnvelopeError.keystoreExists(path: path)) {
            try Keystore.create(at: path, keys: try DeviceKeyPair.generate(), passphrase: try passphrase(), hardness: .testingOnly)
        }
        #expect(try Keystore.publicKeys(at: path) == first.publicKeys)
        let second = try DeviceKeyPair.generate()
        try Keystore.create(at: path, keys: second, passphrase: try passphrase(), hardness: .testingOnly, overwrite: true)
        #expect(try Keystore.publicKeys(at: path) == second.publicKeys)
        #expect(throws: EnvelopeError.passphraseTooShort(minimum: 8)) {
            try Keystore.create(at: folder + "/short.keystore", keys: second, passphrase: try passphrase("short"), hardness: .testingOnly)
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/short.keystore"))
        #expect(throws: EnvelopeError.keystoreMissing(path: folder + "/none.keystore")) { try Keystore.publicKeys(at: folder + "/none.keystore") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
