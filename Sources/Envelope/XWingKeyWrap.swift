import AssignmentCore
import CSodium
import CXWing
import Crypto
import Foundation

/// Format 2's key wrap: one device's content key, sealed with HPKE (RFC 9180) in base mode with
/// the suite X-Wing (KEM 0x647a) · HKDF-SHA256 (0x0001) · AES-256-GCM (0x0002), which swift-crypto
/// names `HPKE.Ciphersuite.XWingMLKEM768X25519_SHA256_AES_GCM_256`.
///
/// Sealing is spelled out here (the X-Wing encapsulation with entropy from the sealer's random
/// source, then RFC 9180's key schedule and one AES-GCM seal), so that the envelope's known-answer
/// vector is reproducible; opening is swift-crypto's `HPKE.Recipient`, and a test opens what this
/// seals with it, so the two cannot drift apart. The wrapped key is `enc (1120) ‖ AES-GCM
/// ciphertext of the content key (32) ‖ tag (16)`.
public enum XWingKeyWrap {
    public static let ciphersuite = HPKE.Ciphersuite.XWingMLKEM768X25519_SHA256_AES_GCM_256
    public static let publicKeyByteCount = 1216
    public static let encapsulationByteCount = 1120
    /// The entropy one X-Wing encapsulation draws.
    public static let entropyByteCount = 64
    public static let wrappedByteCount = encapsulationByteCount + AssignmentEnvelope.contentKeyByteCount + 16
    /// `"HPKE" ‖ kem id ‖ kdf id ‖ aead id` (RFC 9180 §5.1).
    static let suiteID: [UInt8] = Array("HPKE".utf8) + [0x64, 0x7a, 0x00, 0x01, 0x00, 0x02]
    static let infoLabel: [UInt8] = Array("AssignmentDispatch envelope v2 key".utf8) + [0]

    /// HPKE's `info` for one device's wrap: the label, assignment id (16), organisation id (16) and
    /// the device's fingerprint (32), so that a wrapped key is bound to its assignment and device.
    public static func info(assignmentID: UUID, organizationID: UUID, recipient: KeyFingerprint) -> [UInt8] {
        infoLabel + AssignmentEnvelope.bytes(of: assignmentID) + AssignmentEnvelope.bytes(of: organizationID) + recipient.bytes
    }

    /// Wraps the 32-byte `contentKey` to an X-Wing public key, the encapsulation drawing `entropy`
    /// (64 bytes).
    static func wrap(contentKey: UnsafeRawBufferPointer, to publicKey: [UInt8], info: [UInt8], entropy: UnsafeRawBufferPointer) throws -> [UInt8] {
        precondition(contentKey.count == AssignmentEnvelope.contentKeyByteCount && entropy.count == entropyByteCount)
        guard publicKey.count == publicKeyByteCount else { throw EnvelopeError.invalidPublicKey }
        var encapsulation = [UInt8](repeating: 0, count: encapsulationByteCount)
        var sharedSecret = [UInt8](repeating: 0, count: 32)
        defer { sodium_memzero(&sharedSecret, sharedSecret.count) }
        let status = publicKey.withUnsafeBufferPointer { key in
            CCryptoBoringSSL_XWING_encap_external_entropy(
                &encapsulation, &sharedSecret, key.baseAddress!, entropy.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        guard status == 1 else { throw EnvelopeError.invalidPublicKey }
        let (key, nonce) = keySchedule(sharedSecret: sharedSecret, info: info)
        let sealed = try AES.GCM.seal(
            Data(contentKey), using: key, nonce: try AES.GCM.Nonce(data: nonce), authenticating: Data())
        return encapsulation + [UInt8](sealed.ciphertext) + [UInt8](sealed.tag)
    }

    /// Opens a wrapped content key with the device's X-Wing private key (swift-crypto's HPKE
    /// recipient), into `output` (32 bytes of a guarded region).
    static func unwrap(_ wrapped: [UInt8], with privateKey: XWingMLKEM768X25519.PrivateKey, info: [UInt8], into output: UnsafeMutablePointer<UInt8>) throws {
        guard wrapped.count == wrappedByteCount else { throw EnvelopeError.cannotOpen }
        do {
            var recipient = try HPKE.Recipient(
                privateKey: privateKey, ciphersuite: ciphersuite, info: Data(info), encapsulatedKey: Data(wrapped.prefix(encapsulationByteCount)))
            var contentKey = try recipient.open(Data(wrapped.dropFirst(encapsulationByteCount)), authenticating: Data())
            defer { contentKey.resetBytes(in: 0..<contentKey.count) }
            guard contentKey.count == AssignmentEnvelope.contentKeyByteCount else { throw EnvelopeError.cannotOpen }
            contentKey.copyBytes(to: output, count: contentKey.count)
        } catch {
            throw EnvelopeError.cannotOpen
        }
    }

    /// RFC 9180 §5.1, base mode (no PSK): the AEAD key (32) and base nonce (12) of the context.
    static func keySchedule(sharedSecret: [UInt8], info: [UInt8]) -> (SymmetricKey, [UInt8]) {
        let pskIDHash = labeledExtract(salt: [], label: "psk_id_hash", ikm: [])
        let infoHash = labeledExtract(salt: [], label: "info_hash", ikm: info)
        let context = [UInt8(0)] + pskIDHash.withUnsafeBytes { Array($0) } + infoHash.withUnsafeBytes { Array($0) }
        let secret = labeledExtract(salt: sharedSecret, label: "secret", ikm: [])
        let key = labeledExpand(secret, label: "key", info: context, length: 32)
        let nonce = labeledExpand(secret, label: "base_nonce", info: context, length: 12).withUnsafeBytes { Array($0) }
        return (key, nonce)
    }

    static func labeledExtract(salt: [UInt8], label: String, ikm: [UInt8]) -> HashedAuthenticationCode<Crypto.SHA256> {
        let labeled = Array("HPKE-v1".utf8) + suiteID + Array(label.utf8) + ikm
        return HKDF<Crypto.SHA256>.extract(inputKeyMaterial: SymmetricKey(data: labeled), salt: salt)
    }

    static func labeledExpand(_ prk: HashedAuthenticationCode<Crypto.SHA256>, label: String, info: [UInt8], length: Int) -> SymmetricKey {
        let labeled = [UInt8(length >> 8), UInt8(length & 0xff)] + Array("HPKE-v1".utf8) + suiteID + Array(label.utf8) + info
        return HKDF<Crypto.SHA256>.expand(pseudoRandomKey: prk, info: labeled, outputByteCount: length)
    }
}
