import AssignmentCore
import CSodium
import Crypto
import Envelope
import Foundation
import Testing

/// Envelope format 2: the post-quantum key wrap (HPKE over X-Wing). The tampering tests of
/// `EnvelopeTests` run for both formats; these are what only format 2 has.
@Suite("Envelope format 2")
struct FormatTwoTests {
    typealias Vector = KnownAnswerTests.Vector

    static func vector() throws -> Vector { try KnownAnswerTests.vector("envelope-v2") }

    func bytes(_ hex: String) throws -> [UInt8] { try KnownAnswerTests.bytes(hex) }

    func keyPair(_ keys: Vector.Keys) throws -> DeviceKeyPair { try KnownAnswerTests.keyPair(keys) }

    @Test("sealing with the vector's keys and randomness gives the vector's bytes, and the sealer draws exactly the documented random bytes")
    func sealingIsReproducible() throws {
        let vector = try Self.vector()
        let sender = try keyPair(vector.sender)
        let recipients = try vector.recipients.map(keyPair)
        #expect(sender.fingerprint.hex == vector.sender.fingerprint)
        #expect(recipients.map(\.fingerprint.hex) == vector.recipients.map(\.fingerprint))
        let random = ReplayRandomSource(bytes: try bytes(vector.random))
        let envelope = try EnvelopeSealer(random: random).seal(
            payload: Array(vector.payload.utf8), assignmentID: try #require(UUID(uuidString: vector.assignment_id)),
            organizationID: try #require(UUID(uuidString: vector.organization_id)), sender: sender, recipients: recipients.map(\.publicKeys))
        #expect(envelope.format == .v2, "every recipient has an X-Wing key, so format 2 is chosen")
        #expect(Hex.encode(envelope.serialized) == vector.envelope)
        #expect(random.remaining == 0)
    }

    @Test("the vector opens by following docs/envelope.md: swift-crypto's HPKE recipient for the key, plain libsodium for the rest")
    func openByTheSpecification() throws {
        let vector = try Self.vector()
        let envelope = try EnvelopeBySpecification(try bytes(vector.envelope), sealedKeyBytes: 1168)
        #expect(envelope.versionAndAlgorithm == [2, 2])
        let sha256 = EnvelopeBySpecification.sha256
        // The fingerprint: SHA-256 of the X25519, Ed25519 and X-Wing public keys.
        func publicKeys(_ keys: Vector.Keys) throws -> (box: [UInt8], sign: [UInt8], kem: XWingMLKEM768X25519.PrivateKey) {
            var boxPublic = [UInt8](repeating: 0, count: 32), boxSecret = [UInt8](repeating: 0, count: 32)
            var signPublic = [UInt8](repeating: 0, count: 32), signSecret = [UInt8](repeating: 0, count: 64)
            crypto_box_seed_keypair(&boxPublic, &boxSecret, try bytes(keys.encryption_seed))
            crypto_sign_seed_keypair(&signPublic, &signSecret, try bytes(keys.signing_seed))
            let kem = try XWingMLKEM768X25519.PrivateKey(seedRepresentation: try bytes(try #require(keys.kem_seed)), publicKey: nil)
            return (boxPublic, signPublic, kem)
        }
        let sender = try publicKeys(vector.sender)
        #expect(sha256(sender.box + sender.sign + [UInt8](sender.kem.publicKey.rawRepresentation)) == envelope.senderFingerprint)
        #expect(crypto_sign_verify_detached(envelope.signature, envelope.header, UInt64(envelope.header.count), sender.sign) == 0)

        for keys in vector.recipients {
            let recipient = try publicKeys(keys)
            let fingerprint = sha256(recipient.box + recipient.sign + [UInt8](recipient.kem.publicKey.rawRepresentation))
            let entry = try #require(envelope.sealed.first { $0.fingerprint == fingerprint })
            #expect(envelope.recipients.first { $0.fingerprint == fingerprint }?.sealedHash == sha256(entry.key))
            // HPKE base mode, X-Wing · HKDF-SHA256 · AES-256-GCM; info = label ‖ assignment ‖ organisation ‖ fingerprint.
            let info = Array("AssignmentDispatch envelope v2 key".utf8) + [0] + envelope.assignmentID + envelope.organizationID + fingerprint
            var hpke = try HPKE.Recipient(
                privateKey: recipient.kem, ciphersuite: .XWingMLKEM768X25519_SHA256_AES_GCM_256, info: Data(info),
                encapsulatedKey: Data(entry.key.prefix(1120)))
            let contentKey = [UInt8](try hpke.open(Data(entry.key.dropFirst(1120)), authenticating: Data()))
            #expect(contentKey.count == 32)
            #expect(envelope.payload(with: contentKey) == vector.payload)
        }
    }

    @Test("a content key wrapped by swift-crypto's own HPKE sender opens here too: the key schedule is RFC 9180's")
    func interoperatesWithSwiftCrypto() throws {
        let kemSeed = (0..<32).map { UInt8(200 - $0) }
        let sender = try DeviceKeyPair.generate()
        let device = try DeviceKeyPair(
            encryptionSeed: SecretBytes(randomCount: 32, from: SystemRandomSource()), signingSeed: SecretBytes(randomCount: 32, from: SystemRandomSource()), kemSeed: SecretBytes(copying: kemSeed))
        let privateKey = try XWingMLKEM768X25519.PrivateKey(seedRepresentation: kemSeed, publicKey: nil)
        #expect([UInt8](privateKey.publicKey.rawRepresentation) == device.publicKeys.kemKey)
        let assignment = UUID(), organization = UUID()
        var envelope = try EnvelopeSealer().seal(
            payload: Array("hello".utf8), assignmentID: assignment, organizationID: organization, sender: sender, recipients: [device.publicKeys])
        #expect(envelope.format == .v2)
        // What this sealer wrapped, swift-crypto's HPKE recipient opens ...
        let info = XWingKeyWrap.info(assignmentID: assignment, organizationID: organization, recipient: device.fingerprint)
        var recipient = try HPKE.Recipient(
            privateKey: privateKey, ciphersuite: XWingKeyWrap.ciphersuite, info: Data(info), encapsulatedKey: Data(envelope.sealedKeys[0].sealedKey.prefix(1120)))
        let contentKey = try recipient.open(Data(envelope.sealedKeys[0].sealedKey.dropFirst(1120)), authenticating: Data())
        // ... and what swift-crypto's HPKE sender wraps, this opener opens.
        var hpke = try HPKE.Sender(recipientKey: privateKey.publicKey, ciphersuite: XWingKeyWrap.ciphersuite, info: Data(info))
        let rewrapped = [UInt8](hpke.encapsulatedKey) + [UInt8](try hpke.seal(contentKey, authenticating: Data()))
        #expect(rewrapped.count == XWingKeyWrap.wrappedByteCount && rewrapped != envelope.sealedKeys[0].sealedKey)
        envelope.sealedKeys[0].sealedKey = rewrapped
        envelope.recipients[0].sealedKeyHash = SHA256.hash(rewrapped)
        envelope.signature = sender.sign(envelope.headerBytes)
        let opened = try EnvelopeOpener.open(
            try AssignmentEnvelope.parse(envelope.serialized), recipient: device, sender: sender.publicKeys, assignmentID: assignment, organizationID: organization)
        #expect(opened == Array("hello".utf8))
        // Wrapped for another assignment or device (another info), it does not open.
        var moved = try HPKE.Sender(
            recipientKey: privateKey.publicKey, ciphersuite: XWingKeyWrap.ciphersuite,
            info: Data(XWingKeyWrap.info(assignmentID: UUID(), organizationID: organization, recipient: device.fingerprint)))
        envelope.sealedKeys[0].sealedKey = [UInt8](moved.encapsulatedKey) + [UInt8](try moved.seal(contentKey, authenticating: Data()))
        envelope.recipients[0].sealedKeyHash = SHA256.hash(envelope.sealedKeys[0].sealedKey)
        envelope.signature = sender.sign(envelope.headerBytes)
        #expect(throws: EnvelopeError.cannotOpen) {
            try EnvelopeOpener.open(envelope, recipient: device, sender: sender.publicKeys, assignmentID: assignment, organizationID: organization)
        }
    }

    @Test("format 2 is chosen when every device has an X-Wing key, format 1 otherwise; asking for format 2 for an older device is refused")
    func formatSelection() throws {
        let sender = try DeviceKeyPair.generate()
        let modern = try DeviceKeyPair.generate(), older = try DeviceKeyPair.generate(postQuantum: false)
        func seal(_ recipients: [DeviceKeyPair], format: EnvelopeFormat? = nil) throws -> AssignmentEnvelope {
            try EnvelopeSealer().seal(
                payload: [1], assignmentID: UUID(), organizationID: UUID(), sender: sender, recipients: recipients.map(\.publicKeys), format: format)
        }
        #expect(try seal([modern]).format == .v2)
        #expect(try seal([modern, older]).format == .v1)
        #expect(try seal([older]).format == .v1)
        #expect(throws: EnvelopeError.recipientNotPostQuantum) { try seal([modern, older], format: .v2) }
        #expect(try seal([modern]).sealedKeys[0].sealedKey.count == 1168)
        #expect(try seal([older]).sealedKeys[0].sealedKey.count == 80)
        #expect(modern.publicKeys.kemKey?.count == 1216 && older.publicKeys.kemKey == nil)
    }

    @Test("a device that gains an X-Wing key gets a new fingerprint and still opens what was sealed to it before")
    func upgradedDeviceKeepsItsOldEnvelopes() throws {
        let sender = try DeviceKeyPair.generate()
        let before = try DeviceKeyPair.generate(postQuantum: false)
        let assignment = UUID(), organization = UUID()
        let old = try EnvelopeSealer().seal(
            payload: Array("old".utf8), assignmentID: assignment, organizationID: organization, sender: sender, recipients: [before.publicKeys])
        let after = try before.addingPostQuantumKey()
        #expect(after.fingerprint != before.fingerprint && after.publicKeys.classical == before.publicKeys)
        #expect(after.fingerprints == [after.fingerprint, before.fingerprint])
        #expect(try EnvelopeOpener.open(old, recipient: after, sender: sender.publicKeys, assignmentID: assignment, organizationID: organization) == Array("old".utf8))
        let new = try EnvelopeSealer().seal(
            payload: Array("new".utf8), assignmentID: assignment, organizationID: organization, sender: sender, recipients: [after.publicKeys])
        #expect(new.format == .v2)
        #expect(try EnvelopeOpener.open(new, recipient: after, sender: sender.publicKeys, assignmentID: assignment, organizationID: organization) == Array("new".utf8))
        #expect(throws: EnvelopeError.notARecipient) {
            try EnvelopeOpener.open(new, recipient: before, sender: sender.publicKeys, assignmentID: assignment, organizationID: organization)
        }
    }

    @Test("the keystore keeps the X-Wing seed (version 2, 1454 bytes); a version 1 keystore keeps opening, without one")
    func keystoreVersions() throws {
        let folder = NSTemporaryDirectory() + "keystores-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let passphrase = try SecretBytes(copying: Array("a long passphrase".utf8))
        for (name, device, size) in [("v1", try DeviceKeyPair.generate(postQuantum: false), 206), ("v2", try DeviceKeyPair.generate(), 1454)] {
            let path = folder + "/\(name).keystore"
            try Keystore.create(at: path, keys: device, passphrase: passphrase, hardness: .testingOnly)
            let file = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect(file.count == size && file[4] == (name == "v1" ? 1 : 2))
            #expect(try Keystore.publicKeys(at: path) == device.publicKeys, "the public keys, X-Wing included, without the passphrase")
            let unlocked = try Keystore.unlock(at: path, passphrase: passphrase)
            #expect(unlocked.publicKeys == device.publicKeys && unlocked.fingerprint == device.fingerprint)
            // What one sealed to the device, the unlocked keys open.
            let sender = try DeviceKeyPair.generate()
            let envelope = try EnvelopeSealer().seal(payload: [7], assignmentID: UUID(), organizationID: UUID(), sender: sender, recipients: [device.publicKeys])
            #expect(envelope.format == (name == "v1" ? .v1 : .v2))
            #expect(try EnvelopeOpener.open(envelope, recipient: unlocked, sender: sender.publicKeys, assignmentID: envelope.assignmentID, organizationID: envelope.organizationID) == [7])
        }
        // A version 2 file cut to a version 1 length, or a version byte rewritten, is refused, never misread.
        let v2 = try Data(contentsOf: URL(fileURLWithPath: folder + "/v2.keystore"))
        for (name, bytes) in [("cut", Data(v2.prefix(206))), ("relabelled", { var b = v2; b[4] = 1; return b }())] {
            let path = folder + "/\(name).keystore"
            try bytes.write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
            #expect(throws: EnvelopeError.self) { try Keystore.unlock(at: path, passphrase: passphrase) }
        }
    }
}
