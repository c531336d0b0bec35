import AssignmentCore
import CSodium
import Foundation

/// Seals a payload for the devices of one recipient, on the coordinator's device.
///
/// Steps (`docs/envelope.md` gives them byte by byte): draw a fresh 32-byte content key and a
/// 24-byte nonce; pad the payload to a multiple of 256 bytes (ISO/IEC 7816-4, so the length of an
/// epikrise leaks only coarsely); encrypt it with XChaCha20-Poly1305-IETF under the associated data;
/// seal the content key to each recipient's X25519 key (`crypto_box_seal`, with the ephemeral key
/// drawn from the injected random source); sign the header with the sender's Ed25519 key.
public struct EnvelopeSealer: Sendable {
    private let random: any RandomSource

    public init(random: some RandomSource = SystemRandomSource()) {
        self.random = random
    }

    public func seal(
        payload: [UInt8],
        assignmentID: UUID,
        organizationID: UUID,
        sender: DeviceKeyPair,
        recipients: [DevicePublicKeys]
    ) throws -> AssignmentEnvelope {
        try Sodium.ready()
        guard !recipients.isEmpty else { throw EnvelopeError.noRecipients }
        guard recipients.count <= AssignmentEnvelope.maximumRecipients else {
            throw EnvelopeError.tooManyRecipients(limit: AssignmentEnvelope.maximumRecipients)
        }
        guard Set(recipients.map(\.fingerprint)).count == recipients.count else {
            throw EnvelopeError.malformed("the same recipient key is listed twice")
        }
        let maximumPayload = AssignmentEnvelope.maximumPaddedPayload - 1
        guard payload.count <= maximumPayload else { throw EnvelopeError.payloadTooLarge(limit: maximumPayload) }

        let contentKey = try SecretBytes(randomCount: AssignmentEnvelope.contentKeyByteCount, from: random)
        var nonce = [UInt8](repeating: 0, count: AssignmentEnvelope.nonceByteCount)
        nonce.withUnsafeMutableBytes { random.fill($0) }

        let sealedKeys = try recipients.map { recipient in
            AssignmentEnvelope.SealedKey(
                fingerprint: recipient.fingerprint, sealedKey: try sealContentKey(contentKey, to: recipient.encryptionKey))
        }
        let associatedData = AssignmentEnvelope.associatedData(
            version: AssignmentEnvelope.formatVersion, algorithm: AssignmentEnvelope.algorithmV1,
            assignmentID: assignmentID, organizationID: organizationID,
            senderFingerprint: sender.fingerprint, recipientFingerprints: recipients.map(\.fingerprint))
        let ciphertext = try encrypt(payload, key: contentKey, nonce: nonce, associatedData: associatedData)

        var envelope = AssignmentEnvelope(
            version: AssignmentEnvelope.formatVersion,
            algorithm: AssignmentEnvelope.algorithmV1,
            assignmentID: assignmentID,
            organizationID: organizationID,
            senderFingerprint: sender.fingerprint,
            recipients: sealedKeys.map { .init(fingerprint: $0.fingerprint, sealedKeyHash: SHA256.hash($0.sealedKey)) },
            nonce: nonce,
            ciphertext: ciphertext,
            signature: [],
            sealedKeys: sealedKeys)
        envelope.signature = sender.sign(envelope.headerBytes)
        return envelope
    }

    /// `crypto_box_seal`, spelled out so that the ephemeral key comes from the injected random
    /// source: ephemeral key pair from a 32-byte seed, nonce = BLAKE2b-192(ephemeral pk ‖ recipient
    /// pk), output = ephemeral pk ‖ crypto_box_easy(content key). libsodium's
    /// `crypto_box_seal_open` opens it (a test checks this).
    private func sealContentKey(_ contentKey: SecretBytes, to recipientKey: [UInt8]) throws -> [UInt8] {
        let seed = try SecretBytes(randomCount: Int(crypto_box_SEEDBYTES), from: random)
        var ephemeralPublic = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        let ephemeralSecret = try SecretBytes(count: Int(crypto_box_SECRETKEYBYTES)) { secret in
            let status = ephemeralPublic.withUnsafeMutableBufferPointer {
                crypto_box_seed_keypair($0.baseAddress!, secret.baseAddress!.assumingMemoryBound(to: UInt8.self), seed.unsafePointer)
            }
            guard status == 0 else { throw EnvelopeError.cryptoUnavailable }
        }
        var boxNonce = [UInt8](repeating: 0, count: Int(crypto_box_NONCEBYTES))
        let nonceInput = ephemeralPublic + recipientKey
        _ = boxNonce.withUnsafeMutableBufferPointer { nonceBuffer in
            nonceInput.withUnsafeBufferPointer { input in
                crypto_generichash(nonceBuffer.baseAddress!, nonceBuffer.count, input.baseAddress!, UInt64(input.count), nil, 0)
            }
        }
        var box = [UInt8](repeating: 0, count: contentKey.count + Int(crypto_box_MACBYTES))
        let status = box.withUnsafeMutableBufferPointer { boxBuffer in
            recipientKey.withUnsafeBufferPointer { recipient in
                crypto_box_easy(
                    boxBuffer.baseAddress!, contentKey.unsafePointer, UInt64(contentKey.count),
                    boxNonce, recipient.baseAddress!, ephemeralSecret.unsafePointer)
            }
        }
        // A low-order or otherwise unusable public key makes crypto_box refuse.
        guard status == 0 else { throw EnvelopeError.invalidPublicKey }
        return ephemeralPublic + box
    }

    private func encrypt(_ payload: [UInt8], key: SecretBytes, nonce: [UInt8], associatedData: [UInt8]) throws -> [UInt8] {
        let block = AssignmentEnvelope.paddingBlockSize
        let paddedCapacity = (payload.count / block + 1) * block
        var paddedLength = 0
        let padded = try SecretBytes(count: paddedCapacity) { buffer in
            buffer.copyBytes(from: payload)
            let base = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            guard sodium_pad(&paddedLength, base, payload.count, block, paddedCapacity) == 0 else {
                throw EnvelopeError.payloadTooLarge(limit: AssignmentEnvelope.maximumPaddedPayload - 1)
            }
        }
        var ciphertext = [UInt8](repeating: 0, count: paddedLength + AssignmentEnvelope.tagByteCount)
        var ciphertextLength: UInt64 = 0
        _ = ciphertext.withUnsafeMutableBufferPointer { output in
            associatedData.withUnsafeBufferPointer { ad in
                crypto_aead_xchacha20poly1305_ietf_encrypt(
                    output.baseAddress!, &ciphertextLength, padded.unsafePointer, UInt64(paddedLength),
                    ad.baseAddress, UInt64(ad.count), nil, nonce, key.unsafePointer)
            }
        }
        precondition(Int(ciphertextLength) == ciphertext.count)
        return ciphertext
    }
}
