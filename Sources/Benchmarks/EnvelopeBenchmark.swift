import CSodium
import Crypto
import Envelope
import Foundation

/// Sealing and opening an envelope (`EnvelopeSealer`, `AssignmentEnvelope.parse` and
/// `EnvelopeOpener`) against the bare calls they are made of, on the same payload and the same
/// number of recipients: random content key and nonce, the key wrap and SHA-256 per recipient,
/// padding, XChaCha20-Poly1305, an Ed25519 signature over a header of the same length; and for
/// opening, the signature check, the key unwrap, decryption and unpadding. The key wrap is
/// libsodium's `crypto_box_seal` in format 1, and swift-crypto's own HPKE sender and recipient
/// (X-Wing, HKDF-SHA256, AES-256-GCM) in format 2.
///
/// The target (docs/performance.md): within 1.10× of the bare calls. What the envelope adds is
/// parsing, the header and associated-data layout, and guarded memory for secrets.
struct EnvelopeBenchmark {
    struct Result: Sendable, Encodable {
        var format: Int
        var recipients: Int
        var payloadBytes: Int
        var envelopeBytes: Int
        var sealMicroseconds: Double
        var sealBaselineMicroseconds: Double
        var openMicroseconds: Double
        var openBaselineMicroseconds: Double

        enum CodingKeys: String, CodingKey {
            case format, recipients
            case payloadBytes = "payload_bytes"
            case envelopeBytes = "envelope_bytes"
            case sealMicroseconds = "seal_us"
            case sealBaselineMicroseconds = "seal_libsodium_us"
            case openMicroseconds = "open_us"
            case openBaselineMicroseconds = "open_libsodium_us"
        }
    }

    var payloadBytes = 2_048
    var iterations = 1_000
    var rounds = 5

    func run(recipients count: Int, format: EnvelopeFormat) throws -> Result {
        let payload = (0..<payloadBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let sender = try DeviceKeyPair.generate()
        let recipients = try (0..<count).map { _ in try DeviceKeyPair.generate(postQuantum: format == .v2) }
        let assignment = UUID(), organization = UUID()
        // One sealer and one opening workspace for the whole run, as a device keeps them.
        let sealer = EnvelopeSealer()
        let openingWorkspace = GuardedWorkspace()
        let sample = try sealer.seal(
            payload: payload, assignmentID: assignment, organizationID: organization, sender: sender, recipients: recipients.map(\.publicKeys), format: format)
        let delivered = sample.delivering(to: recipients[0].fingerprint)!.serialized
        let baseline = try BareCalls(recipients: count, format: format, payloadBytes: payloadBytes, headerBytes: sample.headerBytes.count)

        var seal: [Double] = [], sealBaseline: [Double] = [], open: [Double] = [], openBaseline: [Double] = []
        for _ in 0..<rounds {
            seal.append(try time {
                _ = try sealer.seal(
                    payload: payload, assignmentID: assignment, organizationID: organization, sender: sender,
                    recipients: recipients.map(\.publicKeys), format: format
                ).serialized
            })
            sealBaseline.append(try time { try baseline.seal(payload) })
            open.append(try time {
                _ = try EnvelopeOpener.open(
                    try AssignmentEnvelope.parse(delivered), recipient: recipients[0], sender: sender.publicKeys, assignmentID: assignment,
                    organizationID: organization, workspace: openingWorkspace)
            })
            openBaseline.append(try time { try baseline.open() })
        }
        return Result(
            format: Int(format.rawValue), recipients: count, payloadBytes: payloadBytes, envelopeBytes: sample.serialized.count,
            sealMicroseconds: BenchmarkStatistics.median(seal), sealBaselineMicroseconds: BenchmarkStatistics.median(sealBaseline),
            openMicroseconds: BenchmarkStatistics.median(open), openBaselineMicroseconds: BenchmarkStatistics.median(openBaseline))
    }

    /// Microseconds per call of `body`, over `iterations` calls.
    private func time(_ body: () throws -> Void) throws -> Double {
        let start = ContinuousClock.now
        for _ in 0..<iterations { try body() }
        return BenchmarkStatistics.seconds(since: start) * 1e6 / Double(iterations)
    }
}

/// The baseline: the same calls on plain buffers, nothing else.
private final class BareCalls {
    let format: EnvelopeFormat
    let recipientKeys: [(public: [UInt8], secret: [UInt8])]
    /// Format 2: each recipient's X-Wing key, and the wrapped keys (encapsulation and sealed key).
    let kemKeys: [XWingMLKEM768X25519.PrivateKey]
    var wrapped: [(encapsulated: Data, sealed: Data)] = []
    let signingPublic: [UInt8]
    let signingSecret: [UInt8]
    var key = [UInt8](repeating: 0, count: 32)
    var nonce = [UInt8](repeating: 0, count: 24)
    var sealedKeys: [[UInt8]]
    var hashes: [[UInt8]]
    var padded: [UInt8]
    var ciphertext: [UInt8]
    var header: [UInt8]
    var signature = [UInt8](repeating: 0, count: 64)
    let associatedData = [UInt8](repeating: 7, count: 86)
    var paddedLength = 0
    var openedKey = [UInt8](repeating: 0, count: 32)
    var decrypted: [UInt8]

    init(recipients: Int, format: EnvelopeFormat, payloadBytes: Int, headerBytes: Int) throws {
        guard sodium_init() >= 0 else { throw EnvelopeError.cryptoUnavailable }
        self.format = format
        kemKeys = format == .v2 ? try (0..<recipients).map { _ in try XWingMLKEM768X25519.PrivateKey.generate() } : []
        recipientKeys = (0..<recipients).map { _ in
            var pk = [UInt8](repeating: 0, count: 32), sk = [UInt8](repeating: 0, count: 32)
            crypto_box_keypair(&pk, &sk)
            return (pk, sk)
        }
        var pk = [UInt8](repeating: 0, count: 32), sk = [UInt8](repeating: 0, count: 64)
        crypto_sign_keypair(&pk, &sk)
        signingPublic = pk
        signingSecret = sk
        sealedKeys = Array(repeating: [UInt8](repeating: 0, count: 80), count: recipients)
        hashes = Array(repeating: [UInt8](repeating: 0, count: 32), count: recipients)
        padded = [UInt8](repeating: 0, count: (payloadBytes / 256 + 1) * 256)
        ciphertext = [UInt8](repeating: 0, count: padded.count + 16)
        decrypted = [UInt8](repeating: 0, count: padded.count)
        header = [UInt8](repeating: 0, count: headerBytes)
    }

    func seal(_ payload: [UInt8]) throws {
        randombytes_buf(&key, 32)
        randombytes_buf(&nonce, 24)
        switch format {
        case .v1:
            for index in recipientKeys.indices {
                guard crypto_box_seal(&sealedKeys[index], key, 32, recipientKeys[index].public) == 0 else { throw EnvelopeError.cryptoUnavailable }
                crypto_hash_sha256(&hashes[index], sealedKeys[index], 80)
            }
        case .v2:
            wrapped = try kemKeys.enumerated().map { index, kem in
                var sender = try HPKE.Sender(recipientKey: kem.publicKey, ciphersuite: XWingKeyWrap.ciphersuite, info: Data(count: 98))
                let sealed = try sender.seal(key, authenticating: Data())
                let all = [UInt8](sender.encapsulatedKey) + [UInt8](sealed)
                crypto_hash_sha256(&hashes[index], all, UInt64(all.count))
                return (sender.encapsulatedKey, sealed)
            }
        }
        padded.withUnsafeMutableBufferPointer { buffer in
            _ = payload.withUnsafeBufferPointer { memcpy(buffer.baseAddress!, $0.baseAddress!, $0.count) }
            _ = sodium_pad(&paddedLength, buffer.baseAddress!, payload.count, 256, buffer.count)
        }
        var length: UInt64 = 0
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &length, padded, UInt64(paddedLength), associatedData, UInt64(associatedData.count), nil, nonce, key)
        header.withUnsafeMutableBufferPointer { buffer in
            _ = ciphertext.withUnsafeBufferPointer { memcpy(buffer.baseAddress! + (buffer.count - $0.count), $0.baseAddress!, $0.count) }
        }
        crypto_sign_detached(&signature, nil, header, UInt64(header.count), signingSecret)
    }

    func open() throws {
        guard crypto_sign_verify_detached(signature, header, UInt64(header.count), signingPublic) == 0 else { throw EnvelopeError.cannotOpen }
        switch format {
        case .v1:
            guard crypto_box_seal_open(&openedKey, sealedKeys[0], 80, recipientKeys[0].public, recipientKeys[0].secret) == 0 else {
                throw EnvelopeError.cannotOpen
            }
        case .v2:
            var recipient = try HPKE.Recipient(
                privateKey: kemKeys[0], ciphersuite: XWingKeyWrap.ciphersuite, info: Data(count: 98), encapsulatedKey: wrapped[0].encapsulated)
            openedKey = [UInt8](try recipient.open(wrapped[0].sealed, authenticating: Data()))
        }
        var length: UInt64 = 0
        guard crypto_aead_xchacha20poly1305_ietf_decrypt(
            &decrypted, &length, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count), nonce, openedKey) == 0
        else { throw EnvelopeError.cannotOpen }
        var unpadded = 0
        guard sodium_unpad(&unpadded, decrypted, Int(length), 256) == 0 else { throw EnvelopeError.cannotOpen }
    }
}
