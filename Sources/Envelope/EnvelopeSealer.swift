import AssignmentCore
import CSodium
import Foundation

/// Seals a payload for the devices of one recipient, on the coordinator's device.
///
/// Steps (`docs/envelope.md` gives them byte by byte): draw a fresh 32-byte content key and a
/// 24-byte nonce; pad the payload to a multiple of 256 bytes (ISO/IEC 7816-4, so the length of an
/// epikrise leaks only coarsely); encrypt it with XChaCha20-Poly1305-IETF under the associated data;
/// seal the content key to each recipient device (format 1: `crypto_box_seal` to its X25519 key,
/// the ephemeral key drawn from the injected random source; format 2: HPKE over its X-Wing key,
/// the encapsulation's 64 bytes of entropy drawn from the same source); sign the header with the
/// sender's Ed25519 key.
///
/// The format is format 2 when every recipient device has an X-Wing key, and format 1 otherwise,
/// unless the caller names one (``seal(payload:assignmentID:organizationID:sender:recipients:format:)``).
public struct EnvelopeSealer: Sendable {
    private let random: any RandomSource
    /// Where each seal's secrets live; kept for the sealer's life and wiped after every seal.
    private let workspace: GuardedWorkspace

    public init(random: some RandomSource = SystemRandomSource(), workspace: GuardedWorkspace = GuardedWorkspace()) {
        self.random = random
        self.workspace = workspace
    }

    public func seal(
        payload: [UInt8],
        assignmentID: UUID,
        organizationID: UUID,
        sender: DeviceKeyPair,
        recipients: [DevicePublicKeys],
        format requested: EnvelopeFormat? = nil
    ) throws -> AssignmentEnvelope {
        try Sodium.ready()
        guard !recipients.isEmpty else { throw EnvelopeError.noRecipients }
        let format = requested ?? Self.format(for: recipients)
        if format == .v2, recipients.contains(where: { !$0.isPostQuantum }) { throw EnvelopeError.recipientNotPostQuantum }
        guard recipients.count <= AssignmentEnvelope.maximumRecipients else {
            throw EnvelopeError.tooManyRecipients(limit: AssignmentEnvelope.maximumRecipients)
        }
        guard Set(recipients.map(\.fingerprint)).count == recipients.count else {
            throw EnvelopeError.malformed("the same recipient key is listed twice")
        }
        let maximumPayload = AssignmentEnvelope.maximumPaddedPayload - 1
        guard payload.count <= maximumPayload else { throw EnvelopeError.payloadTooLarge(limit: maximumPayload) }

        // Every secret of this seal (the content key, each recipient's ephemeral seed and secret
        // key, the padded payload) lives in the sealer's guarded workspace, wiped when the seal is
        // done: a `sodium_malloc` per secret, and then one per seal, was most of what sealing cost
        // beyond the cryptography (docs/performance.md, "Envelope").
        let block = AssignmentEnvelope.paddingBlockSize
        let paddedCapacity = (payload.count / block + 1) * block
        let keyCount = AssignmentEnvelope.contentKeyByteCount
        let ephemeralCount = format == .v2 ? XWingKeyWrap.entropyByteCount : Int(crypto_box_SEEDBYTES) + Int(crypto_box_SECRETKEYBYTES)
        var nonce = [UInt8](repeating: 0, count: AssignmentEnvelope.nonceByteCount)
        var sealedKeys: [AssignmentEnvelope.SealedKey] = []
        var ciphertext: [UInt8] = []
        let associatedData = AssignmentEnvelope.associatedData(
            version: format.version, algorithm: format.algorithm,
            assignmentID: assignmentID, organizationID: organizationID,
            senderFingerprint: sender.fingerprint, recipientFingerprints: recipients.map(\.fingerprint))
        try workspace.withRegion(count: keyCount + recipients.count * ephemeralCount + paddedCapacity) { region in
            let base = region.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let contentKey = UnsafeMutableRawBufferPointer(start: base, count: keyCount)
            random.fill(contentKey)
            nonce.withUnsafeMutableBytes { random.fill($0) }
            for (index, recipient) in recipients.enumerated() {
                let ephemeral = base + keyCount + index * ephemeralCount
                let sealedKey: [UInt8]
                switch format {
                case .v1:
                    sealedKey = try sealContentKey(UnsafePointer(base), to: recipient.encryptionKey, seed: ephemeral, secret: ephemeral + Int(crypto_box_SEEDBYTES))
                case .v2:
                    let entropy = UnsafeMutableRawBufferPointer(start: ephemeral, count: XWingKeyWrap.entropyByteCount)
                    random.fill(entropy)
                    sealedKey = try XWingKeyWrap.wrap(
                        contentKey: UnsafeRawBufferPointer(contentKey), to: recipient.kemKey!,
                        info: XWingKeyWrap.info(assignmentID: assignmentID, organizationID: organizationID, recipient: recipient.fingerprint),
                        entropy: UnsafeRawBufferPointer(entropy))
                }
                sealedKeys.append(AssignmentEnvelope.SealedKey(fingerprint: recipient.fingerprint, sealedKey: sealedKey))
            }
            ciphertext = try encrypt(
                payload, key: UnsafePointer(base), nonce: nonce, associatedData: associatedData,
                padded: UnsafeMutableBufferPointer(start: base + keyCount + recipients.count * ephemeralCount, count: paddedCapacity))
        }

        var envelope = AssignmentEnvelope(
            version: format.version,
            algorithm: format.algorithm,
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

    /// Format 2 when every recipient device has an X-Wing key, else format 1.
    public static func format(for recipients: [DevicePublicKeys]) -> EnvelopeFormat {
        recipients.allSatisfy(\.isPostQuantum) ? .v2 : .v1
    }

    /// `crypto_box_seal`, spelled out so that the ephemeral key comes from the injected random
    /// source: ephemeral key pair from a 32-byte seed, nonce = BLAKE2b-192(ephemeral pk ‖ recipient
    /// pk), output = ephemeral pk ‖ crypto_box_easy(content key). libsodium's
    /// `crypto_box_seal_open` opens it (a test checks this). `seed` and `secret` are 32 bytes each
    /// of the seal's guarded workspace.
    private func sealContentKey(
        _ contentKey: UnsafePointer<UInt8>, to recipientKey: [UInt8], seed: UnsafeMutablePointer<UInt8>, secret: UnsafeMutablePointer<UInt8>
    ) throws -> [UInt8] {
        random.fill(UnsafeMutableRawBufferPointer(start: seed, count: Int(crypto_box_SEEDBYTES)))
        var sealed = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES) + AssignmentEnvelope.contentKeyByteCount + Int(crypto_box_MACBYTES))
        let status = sealed.withUnsafeMutableBufferPointer { output -> Int32 in
            let ephemeralPublic = output.baseAddress!
            guard crypto_box_seed_keypair(ephemeralPublic, secret, seed) == 0 else { return -1 }
            var boxNonce = [UInt8](repeating: 0, count: Int(crypto_box_NONCEBYTES))
            let nonceInput = Array(UnsafeBufferPointer(start: ephemeralPublic, count: Int(crypto_box_PUBLICKEYBYTES))) + recipientKey
            crypto_generichash(&boxNonce, boxNonce.count, nonceInput, UInt64(nonceInput.count), nil, 0)
            // A low-order or otherwise unusable public key makes crypto_box refuse.
            return crypto_box_easy(
                ephemeralPublic + Int(crypto_box_PUBLICKEYBYTES), contentKey, UInt64(AssignmentEnvelope.contentKeyByteCount), boxNonce, recipientKey, secret)
        }
        guard status == 0 else { throw EnvelopeError.invalidPublicKey }
        return sealed
    }

    private func encrypt(
        _ payload: [UInt8], key: UnsafePointer<UInt8>, nonce: [UInt8], associatedData: [UInt8], padded: UnsafeMutableBufferPointer<UInt8>
    ) throws -> [UInt8] {
        _ = payload.withUnsafeBufferPointer { memcpy(padded.baseAddress!, $0.baseAddress!, $0.count) }
        var paddedLength = 0
        guard sodium_pad(&paddedLength, padded.baseAddress!, payload.count, AssignmentEnvelope.paddingBlockSize, padded.count) == 0 else {
            throw EnvelopeError.payloadTooLarge(limit: AssignmentEnvelope.maximumPaddedPayload - 1)
        }
        var ciphertext = [UInt8](repeating: 0, count: paddedLength + AssignmentEnvelope.tagByteCount)
        var ciphertextLength: UInt64 = 0
        crypto_aead_xchacha20poly1305_ietf_encrypt(
            &ciphertext, &ciphertextLength, padded.baseAddress!, UInt64(paddedLength), associatedData, UInt64(associatedData.count), nil, nonce, key)
        precondition(Int(ciphertextLength) == ciphertext.count)
        return ciphertext
    }
}
