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
    /// to another assignment, or re-signed by anyone else, is refused. A device that opens many
    /// envelopes passes one ``GuardedWorkspace`` to all of them; without one, each open makes and
    /// frees a guarded region of its own.
    public static func open(
        _ envelope: AssignmentEnvelope,
        recipient: DeviceKeyPair,
        sender: DevicePublicKeys,
        assignmentID: UUID,
        organizationID: UUID,
        workspace: GuardedWorkspace? = nil
    ) throws -> [UInt8] {
        try Sodium.ready()
        try EnvelopeVerifier.verify(
            envelope, sender: sender, assignmentID: assignmentID, organizationID: organizationID, requireEverySealedKey: false)
        // A device that gained an X-Wing key still opens what was sealed to it before, under the
        // fingerprint it had then.
        guard let format = envelope.format,
            let sealed = recipient.fingerprints.lazy.compactMap({ fingerprint in envelope.sealedKeys.first { $0.fingerprint == fingerprint } }).first
        else {
            throw EnvelopeError.notARecipient
        }
        // The content key and the padded payload share one guarded region (the workspace's, as in
        // ``EnvelopeSealer``); only the unpadded payload leaves it, as the caller's bytes.
        let ciphertext = envelope.ciphertext
        let associatedData = envelope.associatedData
        let keyCount = AssignmentEnvelope.contentKeyByteCount
        let paddedCount = ciphertext.count - AssignmentEnvelope.tagByteCount
        var payload: [UInt8] = []
        try (workspace ?? GuardedWorkspace()).withRegion(count: keyCount + paddedCount) { region in
            let key = region.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let padded = key + keyCount
            switch format {
            case .v1:
                guard crypto_box_seal_open(key, sealed.sealedKey, UInt64(sealed.sealedKey.count), recipient.publicKeys.encryptionKey, recipient.encryptionSecretKey.unsafePointer) == 0
                else { throw EnvelopeError.cannotOpen }
            case .v2:
                guard let privateKey = recipient.kemPrivateKey else { throw EnvelopeError.cannotOpen }
                try XWingKeyWrap.unwrap(
                    sealed.sealedKey, with: privateKey,
                    info: XWingKeyWrap.info(assignmentID: envelope.assignmentID, organizationID: envelope.organizationID, recipient: sealed.fingerprint),
                    into: key)
            }
            var paddedLength: UInt64 = 0
            guard crypto_aead_xchacha20poly1305_ietf_decrypt(
                padded, &paddedLength, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count), envelope.nonce, key) == 0
            else { throw EnvelopeError.cannotOpen }
            var unpaddedLength = 0
            guard sodium_unpad(&unpaddedLength, padded, Int(paddedLength), AssignmentEnvelope.paddingBlockSize) == 0 else {
                throw EnvelopeError.malformed("its payload padding is broken")
            }
            payload = Array(UnsafeBufferPointer(start: padded, count: unpaddedLength))
        }
        return payload
    }
}
