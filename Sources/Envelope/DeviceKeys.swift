import AssignmentCore
import CSodium
import Crypto

/// The public half of a device key: an X25519 key that format 1 envelopes are sealed to, an
/// Ed25519 key that verifies what the device signs, and (on devices made since format 2) an X-Wing
/// key that format 2 envelopes are wrapped to. This is what a device registers with the server.
public struct DevicePublicKeys: Sendable, Hashable {
    public static let keyByteCount = 32

    public let encryptionKey: [UInt8]
    public let signingKey: [UInt8]
    /// The X-Wing (ML-KEM-768 + X25519) public key, 1216 bytes; `nil` on a device from before format 2.
    public let kemKey: [UInt8]?

    public init(encryptionKey: [UInt8], signingKey: [UInt8], kemKey: [UInt8]? = nil) throws {
        guard encryptionKey.count == Self.keyByteCount, signingKey.count == Self.keyByteCount,
            kemKey.map({ $0.count == XWingKeyWrap.publicKeyByteCount }) ?? true
        else {
            throw EnvelopeError.invalidPublicKey
        }
        self.encryptionKey = encryptionKey
        self.signingKey = signingKey
        self.kemKey = kemKey
        self.fingerprint = KeyFingerprint(bytes: SHA256.hash(encryptionKey + signingKey + (kemKey ?? [])))!
    }

    /// Whether format 2 envelopes can be sealed to this device.
    public var isPostQuantum: Bool { kemKey != nil }

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
        if let kemKey {
            // BoringSSL refuses to encapsulate to an X-Wing key whose ML-KEM part is not a valid
            // encoding; one encapsulation now means a registered key can always be sealed to.
            do {
                _ = try XWingMLKEM768X25519.PublicKey(rawRepresentation: kemKey).encapsulate()
            } catch {
                throw EnvelopeError.invalidPublicKey
            }
        }
    }

    /// SHA-256 of the public keys: encryption key, signing key, then the X-Wing key where there is
    /// one (64 or 1280 bytes in). One fingerprint covers every key, so reading it aloud verifies
    /// them all, and a format 1 device keeps the fingerprint it always had. Computed once, when the
    /// keys are made: a seal asks for it several times.
    public let fingerprint: KeyFingerprint

    /// The same device's keys without the X-Wing key: what it was known by before it gained one
    /// (`dispatch keys upgrade`), and so the fingerprint its older envelopes name.
    public var classical: DevicePublicKeys {
        // Cannot fail: the two keys were checked already.
        try! DevicePublicKeys(encryptionKey: encryptionKey, signingKey: signingKey)
    }
}

/// A device's key pair: the secret halves stay in ``SecretBytes`` and never leave the device.
///
/// Every key pair is derived from a 32-byte seed (`crypto_box_seed_keypair`,
/// `crypto_sign_seed_keypair`, and X-Wing's own derivation from its seed); the keystore stores the
/// seeds.
public final class DeviceKeyPair: Sendable {
    public let publicKeys: DevicePublicKeys
    let encryptionSeed: SecretBytes
    let signingSeed: SecretBytes
    let encryptionSecretKey: SecretBytes
    let signingSecretKey: SecretBytes
    /// The X-Wing seed and private key (swift-crypto keeps the expanded key in its own storage).
    let kemSeed: SecretBytes?
    let kemPrivateKey: XWingMLKEM768X25519.PrivateKey?

    public static let seedByteCount = 32

    /// A new key pair with seeds from `random`: with an X-Wing key (format 2) unless `postQuantum`
    /// is false, which only tests of format 1 ask for.
    public static func generate(random: some RandomSource = SystemRandomSource(), postQuantum: Bool = true) throws -> DeviceKeyPair {
        let encryptionSeed = try SecretBytes(randomCount: seedByteCount, from: random)
        let signingSeed = try SecretBytes(randomCount: seedByteCount, from: random)
        let kemSeed = postQuantum ? try SecretBytes(randomCount: seedByteCount, from: random) : nil
        return try DeviceKeyPair(encryptionSeed: encryptionSeed, signingSeed: signingSeed, kemSeed: kemSeed)
    }

    /// The same device with an X-Wing key added (a seed from `random`): `dispatch keys upgrade`.
    public func addingPostQuantumKey(random: some RandomSource = SystemRandomSource()) throws -> DeviceKeyPair {
        guard kemSeed == nil else { return self }
        return try DeviceKeyPair(encryptionSeed: encryptionSeed, signingSeed: signingSeed, kemSeed: try SecretBytes(randomCount: Self.seedByteCount, from: random))
    }

    /// Derives every key pair from its seed.
    public init(encryptionSeed: SecretBytes, signingSeed: SecretBytes, kemSeed: SecretBytes? = nil) throws {
        try Sodium.ready()
        guard encryptionSeed.count == Self.seedByteCount, signingSeed.count == Self.seedByteCount, kemSeed.map({ $0.count == Self.seedByteCount }) ?? true else {
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
        var kemPrivateKey: XWingMLKEM768X25519.PrivateKey?
        if let kemSeed {
            do {
                kemPrivateKey = try kemSeed.withUnsafeBytes { try XWingMLKEM768X25519.PrivateKey(seedRepresentation: Array($0), publicKey: nil) }
            } catch {
                throw EnvelopeError.cryptoUnavailable
            }
        }
        self.publicKeys = try DevicePublicKeys(
            encryptionKey: encryptionPublic, signingKey: signingPublic, kemKey: kemPrivateKey.map { [UInt8]($0.publicKey.rawRepresentation) })
        self.encryptionSeed = encryptionSeed
        self.signingSeed = signingSeed
        self.encryptionSecretKey = encryptionSecret
        self.signingSecretKey = signingSecret
        self.kemSeed = kemSeed
        self.kemPrivateKey = kemPrivateKey
    }

    public var fingerprint: KeyFingerprint { publicKeys.fingerprint }

    /// This device's public keys as they were under `fingerprint`: its own, or, for what it sealed
    /// or signed before it gained an X-Wing key, the classical ones; `nil` for another device.
    public func publicKeys(as fingerprint: KeyFingerprint) -> DevicePublicKeys? {
        if fingerprint == publicKeys.fingerprint { return publicKeys }
        return publicKeys.isPostQuantum && fingerprint == publicKeys.classical.fingerprint ? publicKeys.classical : nil
    }

    /// The fingerprints this device answers to: its own, and, once it has an X-Wing key, the one it
    /// had before (envelopes sealed to it then still name that one).
    public var fingerprints: [KeyFingerprint] {
        publicKeys.isPostQuantum ? [publicKeys.fingerprint, publicKeys.classical.fingerprint] : [publicKeys.fingerprint]
    }

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
