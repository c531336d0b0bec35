import CSodium
import Testing

/// An envelope's bytes taken apart field by field as `docs/envelope.md` lays them out, with no help
/// from the `Envelope` module: what the known-answer tests of both formats read, as another
/// client would.
struct EnvelopeBySpecification {
    var versionAndAlgorithm: [UInt8]
    var assignmentID: [UInt8]
    var organizationID: [UInt8]
    var senderFingerprint: [UInt8]
    var recipients: [(fingerprint: [UInt8], sealedHash: [UInt8])] = []
    var nonce: [UInt8]
    var ciphertext: [UInt8]
    /// The signed header: everything before the signature.
    var header: [UInt8]
    var signature: [UInt8]
    var sealed: [(fingerprint: [UInt8], key: [UInt8])] = []

    /// `sealedKeyBytes` is the format's sealed-key length (80 or 1168).
    init(_ data: [UInt8], sealedKeyBytes: Int) throws {
        var offset = 0
        func take(_ count: Int) throws -> [UInt8] {
            try #require(offset + count <= data.count)
            defer { offset += count }
            return Array(data[offset..<offset + count])
        }
        #expect(try take(4) == Array("ADE1".utf8))
        versionAndAlgorithm = try take(2)
        assignmentID = try take(16)
        organizationID = try take(16)
        senderFingerprint = try take(32)
        let count = Int(try take(1)[0])
        for _ in 0..<count { recipients.append((try take(32), try take(32))) }
        nonce = try take(24)
        let length = try take(4).reduce(0) { $0 << 8 | Int($1) }
        ciphertext = try take(length)
        header = Array(data[0..<offset])
        signature = try take(64)
        let sealedCount = Int(try take(1)[0])
        for _ in 0..<sealedCount { sealed.append((try take(32), try take(sealedKeyBytes))) }
        #expect(offset == data.count)
    }

    /// The associated data, rebuilt from the header: its first 70 bytes, the count, the fingerprints.
    var associatedData: [UInt8] {
        Array(header.prefix(4 + 2 + 16 + 16 + 32)) + [UInt8(recipients.count)] + recipients.flatMap(\.fingerprint)
    }

    /// The payload inside, with `contentKey`: XChaCha20-Poly1305 and the padding removed, by libsodium.
    func payload(with contentKey: [UInt8]) -> String? {
        let associatedData = associatedData
        var padded = [UInt8](repeating: 0, count: ciphertext.count - 16)
        var paddedLength: UInt64 = 0
        guard crypto_aead_xchacha20poly1305_ietf_decrypt(
            &padded, &paddedLength, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count), nonce, contentKey) == 0
        else { return nil }
        var unpadded = 0
        guard sodium_unpad(&unpadded, padded, Int(paddedLength), 256) == 0 else { return nil }
        return String(decoding: padded.prefix(unpadded), as: UTF8.self)
    }

    static func sha256(_ input: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        crypto_hash_sha256(&out, input, UInt64(input.count))
        return out
    }
}
