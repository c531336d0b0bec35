import AssignmentCore
import CSodium
import Envelope
import Foundation
import Testing

/// The known-answer vectors in `Vectors/`: fixed keys and fixed "random" bytes must give exactly the
/// committed envelope, and the committed envelope must open by following `docs/envelope.md` step by
/// step with plain libsodium calls, as a client in another language would. `envelope-v1.json` is
/// sealed to two recipient devices; `envelope-v1-sender-copy.json` to one recipient device and the
/// sending device itself (the sender's own copy).
@Suite("Envelope known-answer vector")
struct KnownAnswerTests {
    struct Vector: Decodable {
        struct Keys: Decodable {
            var encryption_seed: String
            var signing_seed: String
            /// The X-Wing seed (format 2's vector only).
            var kem_seed: String?
            var fingerprint: String
        }
        var sender: Keys
        var recipients: [Keys]
        var random: String
        var assignment_id: String
        var organization_id: String
        var payload: String
        var envelope: String
    }

    static let vectors = ["envelope-v1", "envelope-v1-sender-copy"]

    static func vector(_ name: String) throws -> Vector {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors"))
        return try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
    }

    static func bytes(_ hex: String) throws -> [UInt8] { try #require(Hex.decode(hex)) }
    func bytes(_ hex: String) throws -> [UInt8] { try Self.bytes(hex) }

    /// The device the vector's seeds make (with its X-Wing key where the vector gives a seed).
    static func keyPair(_ keys: Vector.Keys) throws -> DeviceKeyPair {
        try DeviceKeyPair(
            encryptionSeed: SecretBytes(copying: bytes(keys.encryption_seed)), signingSeed: SecretBytes(copying: bytes(keys.signing_seed)),
            kemSeed: try keys.kem_seed.map { try SecretBytes(copying: try bytes($0)) })
    }
    func keyPair(_ keys: Vector.Keys) throws -> DeviceKeyPair { try Self.keyPair(keys) }

    @Test("sealing with the vector's keys and randomness gives the vector's bytes", arguments: vectors)
    func sealingIsReproducible(_ name: String) throws {
        let vector = try Self.vector(name)
        let sender = try keyPair(vector.sender)
        let recipients = try vector.recipients.map(keyPair)
        #expect(sender.fingerprint.hex == vector.sender.fingerprint)
        #expect(recipients.map(\.fingerprint.hex) == vector.recipients.map(\.fingerprint))
        let random = ReplayRandomSource(bytes: try bytes(vector.random))
        let envelope = try EnvelopeSealer(random: random).seal(
            payload: Array(vector.payload.utf8), assignmentID: try #require(UUID(uuidString: vector.assignment_id)),
            organizationID: try #require(UUID(uuidString: vector.organization_id)), sender: sender, recipients: recipients.map(\.publicKeys))
        #expect(Hex.encode(envelope.serialized) == vector.envelope)
        #expect(random.remaining == 0, "the sealer draws exactly the documented random bytes")
    }

    @Test("the vector opens by following docs/envelope.md with plain libsodium", arguments: vectors)
    func openByTheSpecification(_ name: String) throws {
        let vector = try Self.vector(name)
        let envelope = try EnvelopeBySpecification(try bytes(vector.envelope), sealedKeyBytes: 80)
        #expect(envelope.versionAndAlgorithm == [1, 1])
        #expect(Hex.encode(envelope.assignmentID) == vector.assignment_id.replacingOccurrences(of: "-", with: ""))
        #expect(Hex.encode(envelope.organizationID) == vector.organization_id.replacingOccurrences(of: "-", with: ""))

        // The sender's public keys and fingerprint, from the seeds, with libsodium directly.
        func publicKeys(_ keys: Vector.Keys) throws -> (box: [UInt8], boxSecret: [UInt8], sign: [UInt8]) {
            var boxPublic = [UInt8](repeating: 0, count: 32), boxSecret = [UInt8](repeating: 0, count: 32)
            var signPublic = [UInt8](repeating: 0, count: 32), signSecret = [UInt8](repeating: 0, count: 64)
            crypto_box_seed_keypair(&boxPublic, &boxSecret, try bytes(keys.encryption_seed))
            crypto_sign_seed_keypair(&signPublic, &signSecret, try bytes(keys.signing_seed))
            return (boxPublic, boxSecret, signPublic)
        }
        let sender = try publicKeys(vector.sender)
        #expect(EnvelopeBySpecification.sha256(sender.box + sender.sign) == envelope.senderFingerprint)

        // Signature over the header.
        #expect(crypto_sign_verify_detached(envelope.signature, envelope.header, UInt64(envelope.header.count), sender.sign) == 0)

        // Each recipient: find its sealed key, check the signed hash, unseal, decrypt, unpad.
        for keys in vector.recipients {
            let recipient = try publicKeys(keys)
            let fingerprint = EnvelopeBySpecification.sha256(recipient.box + recipient.sign)
            let entry = try #require(envelope.sealed.first { $0.fingerprint == fingerprint })
            #expect(envelope.recipients.first { $0.fingerprint == fingerprint }?.sealedHash == EnvelopeBySpecification.sha256(entry.key))
            var contentKey = [UInt8](repeating: 0, count: 32)
            #expect(crypto_box_seal_open(&contentKey, entry.key, 80, recipient.box, recipient.boxSecret) == 0)
            #expect(envelope.payload(with: contentKey) == vector.payload)
        }
    }
}

/// The erasure receipt's known-answer vector (`Vectors/erasure-receipt-v1.json`, made with Python's
/// `cryptography` package from `docs/envelope.md`, not with this code): the same bytes and the same
/// signature from ``ErasureReceipt``, and a signature that verifies with plain libsodium.
@Suite("Erasure receipt known-answer vector")
struct ErasureReceiptVectorTests {
    struct Vector: Decodable {
        var device: KnownAnswerTests.Vector.Keys
        var assignment_id: String
        var organization_id: String
        var erased_at: Int64
        var reason: String
        var signed_bytes: String
        var signature: String
    }

    @Test("the receipt's signed bytes and signature are the vector's, and libsodium verifies them")
    func vector() throws {
        let url = try #require(Bundle.module.url(forResource: "erasure-receipt-v1", withExtension: "json", subdirectory: "Vectors"))
        let vector = try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
        let device = try DeviceKeyPair(
            encryptionSeed: SecretBytes(copying: try #require(Hex.decode(vector.device.encryption_seed))),
            signingSeed: SecretBytes(copying: try #require(Hex.decode(vector.device.signing_seed))))
        #expect(device.fingerprint.hex == vector.device.fingerprint)
        let receipt = ErasureReceipt(
            assignmentID: try #require(UUID(uuidString: vector.assignment_id)), organizationID: try #require(UUID(uuidString: vector.organization_id)),
            device: device.fingerprint, erasedAt: Date(timeIntervalSince1970: TimeInterval(vector.erased_at)),
            reason: try #require(ErasureReason(rawValue: vector.reason)))
        #expect(Hex.encode(receipt.signedBytes) == vector.signed_bytes)
        #expect(receipt.signedBytes.count == 111)
        let signature = try receipt.signature(by: device)
        #expect(Hex.encode(signature) == vector.signature)
        #expect(receipt.isSigned(signature, by: device.publicKeys))
        let bytes = try #require(Hex.decode(vector.signed_bytes))
        #expect(crypto_sign_verify_detached(try #require(Hex.decode(vector.signature)), bytes, UInt64(bytes.count), device.publicKeys.signingKey) == 0)
        // Any other reason, time or device is another message: the signature no longer holds.
        var changed = receipt
        changed.reason = .completed
        #expect(!changed.isSigned(signature, by: device.publicKeys))
        changed = receipt
        changed.erasedAt += 1
        #expect(!changed.isSigned(signature, by: device.publicKeys))
        #expect(!receipt.isSigned(signature, by: try DeviceKeyPair.generate().publicKeys))
    }
}
