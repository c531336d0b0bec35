/// Why an envelope or a keystore could not be made, read or opened.
///
/// The messages are for people and never contain key material or payload bytes. Opening errors are
/// deliberately coarse where detail would help an attacker (a failed decryption does not say which
/// byte was wrong).
public enum EnvelopeError: Error, Sendable, Hashable {
    case cryptoUnavailable
    /// Not an envelope at all (for example plaintext), or bytes that do not follow the format.
    case malformed(String)
    case unsupportedVersion(version: UInt8, algorithm: UInt8)
    case payloadTooLarge(limit: Int)
    case tooManyRecipients(limit: Int)
    case noRecipients
    /// The envelope names a different sender key than the one expected.
    case senderMismatch
    case badSignature
    /// The envelope belongs to another assignment or organisation.
    case wrongAssignment
    /// This device's key is not among the envelope's recipients.
    case notARecipient
    /// Decryption failed: the envelope was changed, or the key is wrong.
    case cannotOpen
    case invalidPublicKey

    // Keystore
    case keystoreMissing(path: String)
    case keystoreExists(path: String)
    case keystoreTooOpen(path: String, mode: UInt16)
    case keystoreNotOwned(path: String)
    case keystoreTruncated(path: String)
    case keystoreCorrupt(path: String, reason: String)
    case wrongPassphrase
    /// Argon2id could not get the memory it needs.
    case keyDerivationFailed
    case passphraseTooShort(minimum: Int)
    /// The passphrase is not UTF-8 text.
    case passphraseNotUTF8
    case keystoreIO(path: String, reason: String)
    /// The server's key file cannot be read or made.
    case serverKeyUnusable(path: String, reason: String)
    /// Something was made with a version of the server key this process does not hold.
    case serverKeyVersionUnknown(version: Int, newest: Int)

    // The erasure keyring (ErasureKeyring)
    case erasureKeyringUnusable(path: String, reason: String)
    /// A sealed key's day has no key in the keyring: destroyed, or the keyring file was lost.
    case erasureKeyMissing(epoch: String)
    /// A wrapped sealed key does not unwrap: changed, or moved to another row.
    case sealedKeyWrapInvalid
    /// Format 2 was asked for, but a recipient device has no X-Wing key.
    case recipientNotPostQuantum
}

extension EnvelopeError {
    /// A stable machine-readable code, as in the API's problem answers.
    public var code: String {
        switch self {
        case .cryptoUnavailable: "crypto_unavailable"
        case .malformed: "envelope_malformed"
        case .unsupportedVersion: "envelope_unsupported"
        case .payloadTooLarge: "payload_too_large"
        case .tooManyRecipients: "too_many_recipients"
        case .noRecipients: "no_recipients"
        case .senderMismatch: "sender_key_mismatch"
        case .badSignature: "signature_invalid"
        case .wrongAssignment: "envelope_wrong_assignment"
        case .notARecipient: "not_a_recipient"
        case .cannotOpen: "envelope_cannot_open"
        case .invalidPublicKey: "public_key_invalid"
        case .keystoreMissing: "keystore_missing"
        case .keystoreExists: "keystore_exists"
        case .keystoreTooOpen: "keystore_too_open"
        case .keystoreNotOwned: "keystore_not_owned"
        case .keystoreTruncated: "keystore_truncated"
        case .keystoreCorrupt: "keystore_corrupt"
        case .wrongPassphrase: "wrong_passphrase"
        case .keyDerivationFailed: "key_derivation_failed"
        case .passphraseTooShort: "passphrase_too_short"
        case .passphraseNotUTF8: "passphrase_not_utf8"
        case .keystoreIO: "keystore_unavailable"
        case .serverKeyUnusable: "server_key_unusable"
        case .serverKeyVersionUnknown: "server_key_version_unknown"
        case .erasureKeyringUnusable: "erasure_keyring_unusable"
        case .erasureKeyMissing: "erasure_key_missing"
        case .sealedKeyWrapInvalid: "sealed_key_wrap_invalid"
        case .recipientNotPostQuantum: "recipient_key_not_post_quantum"
        }
    }
}

extension EnvelopeError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .cryptoUnavailable:
            "The cryptography library could not be initialised (no secure random source)."
        case .malformed(let reason):
            "This is not a valid assignment envelope: \(reason)."
        case .unsupportedVersion(let version, let algorithm):
            "This envelope uses format \(version), algorithm \(algorithm), which this version does not support."
        case .payloadTooLarge(let limit):
            "The payload is too large: at most \(limit) bytes can be sent."
        case .tooManyRecipients(let limit):
            "An envelope can be sealed to at most \(limit) devices."
        case .noRecipients:
            "An envelope needs at least one recipient device key."
        case .senderMismatch:
            "The envelope was not sealed by the expected sender's device key."
        case .badSignature:
            "The envelope's signature is not valid: it was changed after it was sealed, or signed by another key."
        case .wrongAssignment:
            "The envelope belongs to another assignment or organisation."
        case .notARecipient:
            "This device's key is not one of the envelope's recipients."
        case .cannotOpen:
            "The envelope could not be decrypted: it was changed, or this is not the right key."
        case .invalidPublicKey:
            "A public key is not valid (an encryption or signing key is 32 bytes, an X-Wing key 1216)."
        case .keystoreMissing(let path):
            "No keystore at \(path). Create one with: dispatch keys generate"
        case .keystoreExists(let path):
            "A keystore already exists at \(path). Refusing to overwrite it; pass --force to replace it (the old keys are lost)."
        case .keystoreTooOpen(let path, let mode):
            "The keystore \(path) can be read by other users (mode \(String(mode, radix: 8))). Run: chmod 600 \(path)"
        case .keystoreNotOwned(let path):
            "The keystore \(path) belongs to another user."
        case .keystoreTruncated(let path):
            "The keystore \(path) is truncated or damaged; restore it from a backup or generate new keys."
        case .keystoreCorrupt(let path, let reason):
            "The keystore \(path) is damaged (\(reason)); restore it from a backup or generate new keys."
        case .wrongPassphrase:
            "Wrong passphrase (or the keystore was changed)."
        case .keyDerivationFailed:
            "The passphrase could not be stretched: not enough memory on this machine."
        case .passphraseTooShort(let minimum):
            "The passphrase must be at least \(minimum) characters."
        case .passphraseNotUTF8:
            "The passphrase is not UTF-8 text. Type it again, or save the passphrase file as UTF-8."
        case .keystoreIO(let path, let reason):
            "Could not use the keystore \(path): \(reason)."
        case .serverKeyUnusable(let path, let reason):
            "Could not use the server key file \(path): \(reason). It must hold one or more 32-byte keys, be owned by this user, mode 600."
        case .serverKeyVersionUnknown(let version, let newest):
            "This was made with version \(version) of the server key, but this process holds versions 1 to \(newest). Restart it after 'dispatch server-key rotate'."
        case .erasureKeyringUnusable(let path, let reason):
            "Cannot use the erasure keyring \(path): \(reason)."
        case .erasureKeyMissing(let epoch):
            "The erasure key of \(epoch) is not in the keyring (it was destroyed, or the keyring file was lost), so sealed keys stored that day can no longer be handed out."
        case .sealedKeyWrapInvalid:
            "A stored sealed key does not unwrap: it was changed or moved to another row."
        case .recipientNotPostQuantum:
            "A recipient device has no post-quantum (X-Wing) key, so a format 2 envelope cannot be sealed to it. Its owner must update the program, run 'dispatch keys upgrade' and register the device again."
        }
    }
}
