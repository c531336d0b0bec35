import AssignmentCore
import CSodium
import Foundation

/// Checks an envelope without opening it: what the server does before it stores a dispatch, and
/// what a device does before it decrypts.
public enum EnvelopeVerifier {
    /// Throws unless the envelope names `sender`'s key, carries a valid signature by it, belongs to
    /// the given assignment and organisation, and (when `requireEverySealedKey`, as on upload) holds
    /// a sealed key for every recipient it names.
    public static func verify(
        _ envelope: AssignmentEnvelope,
        sender: DevicePublicKeys,
        assignmentID: UUID,
        organizationID: UUID,
        requireEverySealedKey: Bool
    ) throws {
        guard envelope.senderFingerprint == sender.fingerprint else { throw EnvelopeError.senderMismatch }
        guard envelope.signature.count == AssignmentEnvelope.signatureByteCount,
            SignatureCheck.isValid(envelope.signature, of: envelope.headerBytes, signingKey: sender.signingKey)
        else { throw EnvelopeError.badSignature }
        guard envelope.assignmentID == assignmentID, envelope.organizationID == organizationID else {
            throw EnvelopeError.wrongAssignment
        }
        if requireEverySealedKey, envelope.sealedKeys.count != envelope.recipients.count {
            throw EnvelopeError.malformed("it lacks a sealed key for a recipient it names")
        }
    }
}

/// Opens an envelope on the recipient's device.
public enum EnvelopeOpener {
    /// Verifies, unseals and decrypts; returns the payload bytes (the JSON of a ``CasePayload``).
    ///
    /// `sender` is the coordinator's registered public keys as this device knows them, and
    /// `assignmentID` / `organizationID` what the device asked the server for: an envelope moved
    /// to another assignment, or re-signed by anyone else, is refused.
    public static func open(
        _ envelope: AssignmentEnvelope,
        recipient: DeviceKeyPair,
        sender: DevicePublicKeys,
        assignmentID: UUID,
        organizationID: UUID
    ) throws -> [UInt8] {
        try Sodium.ready()
        try EnvelopeVerifier.verify(
            envelope, sender: sender, assignmentID: assignmentID, organizationID: organizationID, requireEverySealedKey: false)
        guard let sealed = envelope.sealedKeys.first(where: { $0.fingerprint == recipient.fingerprint }) else {
            throw EnvelopeError.notARecipient
        }
        let contentKey = try SecretBytes(count: AssignmentEnvelope.contentKeyByteCount) { key in
            let status = sealed.sealedKey.withUnsafeBufferPointer { sealedBuffer in
                recipient.publicKeys.encryptionKey.withUnsafeBufferPointer { publicKey in
                    crypto_box_seal_open(
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self), sealedBuffer.baseAddress!, UInt64(sealedBuffer.count),
                        publicKey.baseAddress!, recipient.encryptionSecretKey.unsafePointer)
                }
            }
            guard status == 0 else { throw EnvelopeError.cannotOpen }
        }
        let ciphertext = envelope.ciphertext
        let associatedData = envelope.associatedData
        var paddedLength: UInt64 = 0
        let padded = try SecretBytes(count: ciphertext.count - AssignmentEnvelope.tagByteCount) { output in
            let status = ciphertext.withUnsafeBufferPointer { input in
                associatedData.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        output.baseAddress!.assumingMemoryBound(to: UInt8.self), &paddedLength, nil,
                        input.baseAddress!, UInt64(input.count), ad.baseAddress, UInt64(ad.count),
                        envelope.nonce, contentKey.unsafePointer)
                }
            }
            guard status == 0 else { throw EnvelopeError.cannotOpen }
        }
        var unpaddedLength = 0
        let status = sodium_unpad(&unpaddedLength, padded.unsafePointer, Int(paddedLength), AssignmentEnvelope.paddingBlockSize)
        guard status == 0 else { throw EnvelopeError.malformed("its payload padding is broken") }
        return padded.withUnsafeBytes { Array($0.prefix(unpaddedLength)) }
    }
}
