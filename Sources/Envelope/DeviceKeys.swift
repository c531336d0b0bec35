import AssignmentCore
import CSodium

/// The public half of a device key: an X25519 key that envelopes are sealed to, and an Ed25519
/// key that verifies what the device signs. This is what a device registers with the server.
public struct DevicePublicKeys: Sendable, Hashable {
    public static let keyByteCount = 32

    public let encryptionKey: [UInt8]
    public let signingKey: [UInt8]

    public init(encryptionKey: [UInt8], signingKey: [UInt8]) throws {
        guard encryptionKey.count == Self.keyByteCount, signingKey.count == Self.keyByteCount else {
            throw EnvelopeError.invalidPublicKey
        }
        self.encryptionKey = encryptionKey
        self.signingKey = signingKey
    }

    /// Throws `invalidPublicKey` unless the signing key is a valid Ed25519 point and the encryption
    /// key is an X25519 key a shared secret can be made with (not a low-order point), so that a
    /// registered key can always be sealed to and verified against.
    public func validate() throws {
        try Sodium.ready()
        guard signingKey.withUnsafeBufferPointer({ crypto_core_ed25519_is_valid_point($0.baseAddress!) }) == 1 else {
            throw EnvelopeError.invalidPublicKey
        }
        var shared = [UInt8](repeating: 0, count: 32)
        var scalar = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&scalar, 32)
        let status = encryptionKey.withUnsafeBufferPointer { crypto_scalarmult(&shared, scalar, $0.baseAddress!) }
        sodium_memzero(&scalar, 32)
        guard status == 0 else { throw EnvelopeError.invalidPublicKey }
    }

    /// SHA-256 of the two public keys, encryption key first (64 bytes in). One fingerprint covers
    /// both keys, so reading it aloud verifies both.
    public var fingerprint: KeyFingerprint {
        KeyFingerprint(bytes: SHA256.hash(encryptionKey + signingKey))!
    }
}

/// A device's key pair: the secret halves stay in ``SecretBytes`` and never leave the device.
///
/// Both key pairs are derived from 32-byte seeds (`crypto_box_seed_keypair`,
/// `crypto_sign_seed_keypair`); the keystore stores the seeds.
public final class DeviceKeyPair: Sendable {
    public let publicKeys: DevicePublicKeys
    let encryptionSeed: SecretBytes
    let signingSeed: SecretBytes
    let encryptionSecretKey: SecretBytes
    let signingSecretKey: SecretBytes

    public static let seedByteCount = 32

    /// A new key pair with seeds from `random`.
    public static func generate(random: some RandomSource = SystemRandomSource()) throws -> DeviceKeyPair {
        let encryptionSeed = try SecretBytes(randomCount: seedByteCount, from: random)
        let signingSeed = try SecretBytes(randomCount: seedByteCount, from: random)
        return try DeviceKeyPair(encryptionSeed: encryptionSeed, signingSeed: signingSeed)
    }

    /// Derives both key pairs from their seeds.
    public init(encryptionSeed: SecretBytes, signingSeed: SecretBytes) throws {
        try Sodium.ready()
        guard encryptionSeed.count == Self.seedByteCount, signingSeed.count == Self.seedByteCount else {
            throw EnvelopeError.malformed("a key seed is 32 bytes")
        }
        var encryptionPublic = [UInt8](repeating: 0, count: Int(crypto_box_PUBLICKEYBYTES))
        var signingPublic = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        let encryptionSecret = try SecretBytes(count: Int(crypto_box_SECRETKEYBYTES)) { secret in
            let status = encryptionPublic.withUnsafeMutableBufferPointer { publicKey in
                crypto_box_seed_keypair(
                    publicKey.baseAddress!, secret.baseAddress!.assumingMemoryBound(to: UInt8.self), encryptionSeed.unsafePointer)
            }
            guard status == 0 else { throw EnvelopeError.cryptoUnavailable }
        }
        let signingSecret = try SecretBytes(count: Int(crypto_sign_SECRETKEYBYTES)) { secret in
            let status = signingPublic.withUnsafeMutableBufferPointer { publicKey in
                crypto_sign_seed_keypair(
                    publicKey.baseAddress!, secret.baseAddress!.assumingMemoryBound(to: UInt8.self), signingSeed.unsafePointer)
            }
            guard status == 0 else { throw EnvelopeError.cryptoUnavailable }
        }
        self.publicKeys = try DevicePublicKeys(encryptionKey: encryptionPublic, signingKey: signingPublic)
        self.encryptionSeed = encryptionSeed
        self.signingSeed = signingSeed
        self.encryptionSecretKey = encryptionSecret
        self.signingSecretKey = signingSecret
    }

    public var fingerprint: KeyFingerprint { publicKeys.fingerprint }

    /// An Ed25519 signature over `message` with this device's signing key.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        _ = signature.withUnsafeMutableBufferPointer { signatureBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                crypto_sign_detached(
                    signatureBuffer.baseAddress!, nil, messageBuffer.baseAddress, UInt64(messageBuffer.count),
                    signingSecretKey.unsafePointer)
            }
        }
        return signature
    }
}

/// Ed25519 verification against a registered signing key.
public enum SignatureCheck {
    public static func isValid(_ signature: [UInt8], of message: [UInt8], signingKey: [UInt8]) -> Bool {
        guard (try? Sodium.ready()) != nil, signature.count == Int(crypto_sign_BYTES), signingKey.count == Int(crypto_sign_PUBLICKEYBYTES) else {
            return false
        }
        return signature.withUnsafeBufferPointer { signatureBuffer in
            message.withUnsafeBufferPointer { messageBuffer in
                signingKey.withUnsafeBufferPointer { keyBuffer in
                    crypto_sign_verify_detached(
                        signatureBuffer.baseAddress!, messageBuffer.baseAddress, UInt64(messageBuffer.count), keyBuffer.baseAddress!) == 0
                }
            }
        }
    }
}
