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

    func bytes(_ hex: String) throws -> [UInt8] { try #require(Hex.decode(hex)) }

    func keyPair(_ keys: Vector.Keys) throws -> DeviceKeyPair {
        try DeviceKeyPair(encryptionSeed: SecretBytes(copying: bytes(keys.encryption_seed)), signingSeed: SecretBytes(copying: bytes(keys.signing_seed)))
    }

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
        let data = try bytes(vector.envelope)
        var offset = 0
        func take(_ count: Int) throws -> [UInt8] {
            try #require(offset + count <= data.count)
            defer { offset += count }
            return Array(data[offset..<offset + count])
        }
        // Header
        #expect(try take(4) == Array("ADE1".utf8))
        #expect(try take(2) == [1, 1])
        let assignmentID = try take(16)
        let organizationID = try take(16)
        let senderFingerprint = try take(32)
        let count = Int(try take(1)[0])
        var recipients: [(fingerprint: [UInt8], sealedHash: [UInt8])] = []
        for _ in 0..<count { recipients.append((try take(32), try take(32))) }
        let nonce = try take(24)
        let length = try take(4).reduce(0) { $0 << 8 | Int($1) }
        let ciphertext = try take(length)
        let headerEnd = offset
        let signature = try take(64)
        let sealedCount = Int(try take(1)[0])
        var sealed: [(fingerprint: [UInt8], key: [UInt8])] = []
        for _ in 0..<sealedCount { sealed.append((try take(32), try take(80))) }
        #expect(offset == data.count)
        #expect(Hex.encode(assignmentID) == vector.assignment_id.replacingOccurrences(of: "-", with: ""))
        #expect(Hex.encode(organizationID) == vector.organization_id.replacingOccurrences(of: "-", with: ""))

        // The sender's public keys and fingerprint, from the seeds, with libsodium directly.
        func publicKeys(_ keys: Vector.Keys) throws -> (box: [UInt8], boxSecret: [UInt8], sign: [UInt8]) {
            var boxPublic = [UInt8](repeating: 0, count: 32), boxSecret = [UInt8](repeating: 0, count: 32)
            var signPublic = [UInt8](repeating: 0, count: 32), signSecret = [UInt8](repeating: 0, count: 64)
            crypto_box_seed_keypair(&boxPublic, &boxSecret, try bytes(keys.encryption_seed))
            crypto_sign_seed_keypair(&signPublic, &signSecret, try bytes(keys.signing_seed))
            return (boxPublic, boxSecret, signPublic)
        }
        func sha256(_ input: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            crypto_hash_sha256(&out, input, UInt64(input.count))
            return out
        }
        let sender = try publicKeys(vector.sender)
        #expect(sha256(sender.box + sender.sign) == senderFingerprint)

        // Signature over the header.
        #expect(crypto_sign_verify_detached(signature, Array(data[0..<headerEnd]), UInt64(headerEnd), sender.sign) == 0)

        // Each recipient: find its sealed key, check the signed hash, unseal, decrypt, unpad.
        for keys in vector.recipients {
            let recipient = try publicKeys(keys)
            let fingerprint = sha256(recipient.box + recipient.sign)
            let entry = try #require(sealed.first { $0.fingerprint == fingerprint })
            #expect(recipients.first { $0.fingerprint == fingerprint }?.sealedHash == sha256(entry.key))
            var contentKey = [UInt8](repeating: 0, count: 32)
            #expect(crypto_box_seal_open(&contentKey, entry.key, 80, recipient.box, recipient.boxSecret) == 0)
            let associatedData = Array(data[0..<(4 + 2 + 16 + 16 + 32)]) + [UInt8(count)] + recipients.flatMap(\.fingerprint)
            var padded = [UInt8](repeating: 0, count: ciphertext.count - 16)
            var paddedLength: UInt64 = 0
            #expect(crypto_aead_xchacha20poly1305_ietf_decrypt(
                &padded, &paddedLength, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count), nonce, contentKey) == 0)
            var unpadded = 0
            #expect(sodium_unpad(&unpadded, padded, Int(paddedLength), 256) == 0)
            #expect(String(decoding: padded.prefix(unpadded), as: UTF8.self) == vector.payload)
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
