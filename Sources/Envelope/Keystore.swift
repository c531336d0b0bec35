import AssignmentCore
import CSodium
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How hard the passphrase is stretched (Argon2id `opslimit` and `memlimit`).
public struct KeystoreHardness: Sendable, Hashable {
    public var operations: UInt64
    public var memoryBytes: UInt64

    public init(operations: UInt64, memoryBytes: UInt64) {
        self.operations = operations
        self.memoryBytes = memoryBytes
    }

    /// libsodium's "moderate" profile (3 passes, 256 MiB): about a second on a laptop. The default.
    public static let moderate = KeystoreHardness(
        operations: UInt64(crypto_pwhash_OPSLIMIT_MODERATE), memoryBytes: UInt64(crypto_pwhash_MEMLIMIT_MODERATE))
    /// libsodium's "interactive" profile (2 passes, 64 MiB), for small devices.
    public static let interactive = KeystoreHardness(
        operations: UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), memoryBytes: UInt64(crypto_pwhash_MEMLIMIT_INTERACTIVE))
    /// The cheapest Argon2id allows. Tests only: it protects nothing.
    public static let testingOnly = KeystoreHardness(operations: 1, memoryBytes: 8192)

    /// What a keystore file may ask for: a hostile file must not make us spend gigabytes.
    static let acceptedOperations: ClosedRange<UInt64> = 1...20
    static let acceptedMemory: ClosedRange<UInt64> = 8192...(1 << 30)
}

/// A device's private keys on disk, encrypted under a passphrase (DESIGN.md §5).
///
/// The passphrase is UTF-8 in Unicode NFC (``normalised(_:)``). File layout, version 1 (206 bytes,
/// integers big-endian):
///
/// ```
/// "ADK1" · version 1 · KDF 1 (Argon2id v1.3) · opslimit (8) · memlimit (8) · salt (16)
/// · X25519 public key (32) · Ed25519 public key (32) · nonce (24)
/// · XChaCha20-Poly1305(encryption seed ‖ signing seed) (64 + 16)
/// ```
///
/// Version 2 (1454 bytes) holds the X-Wing key too: its public key (1216) after the Ed25519 key,
/// and its seed after the other two inside the ciphertext (96 + 16). A device with an X-Wing key
/// writes version 2; version 1 files keep opening, as devices without one.
///
/// Everything before the ciphertext is its associated data, so the public keys can be read without
/// the passphrase (for `dispatch keys show`) and still cannot be swapped. The file must be a regular
/// file owned by the user and readable by nobody else (mode 0600): anything wider is refused.
public enum Keystore {
    static let magic: [UInt8] = Array("ADK1".utf8)
    static let kdfArgon2id13: UInt8 = 1
    static let saltByteCount = Int(crypto_pwhash_SALTBYTES)

    /// What differs between the two versions: the X-Wing public key in the header, its seed in the ciphertext.
    struct Layout {
        var version: UInt8
        var kemKeyByteCount: Int
        var seedsByteCount: Int { kemKeyByteCount == 0 ? 64 : 96 }
        var headerByteCount: Int { 4 + 1 + 1 + 8 + 8 + 16 + 32 + 32 + kemKeyByteCount + 24 }
        var fileByteCount: Int { headerByteCount + seedsByteCount + AssignmentEnvelope.tagByteCount }

        static let v1 = Layout(version: 1, kemKeyByteCount: 0)
        static let v2 = Layout(version: 2, kemKeyByteCount: XWingKeyWrap.publicKeyByteCount)

        static func of(version: UInt8) -> Layout? { version == 1 ? .v1 : version == 2 ? .v2 : nil }
    }
    public static let minimumPassphraseBytes = 8

    /// Writes a new keystore at `path` (mode 0600, parent folder created with mode 0700). Refuses to
    /// replace an existing file unless `overwrite`.
    public static func create(
        at path: String,
        keys: DeviceKeyPair,
        passphrase: SecretBytes,
        hardness: KeystoreHardness = .moderate,
        overwrite: Bool = false,
        random: some RandomSource = SystemRandomSource()
    ) throws {
        try Sodium.ready()
        let passphrase = try normalised(passphrase)
        guard passphrase.count >= minimumPassphraseBytes else { throw EnvelopeError.passphraseTooShort(minimum: minimumPassphraseBytes) }
        if !overwrite, FileManager.default.fileExists(atPath: path) { throw EnvelopeError.keystoreExists(path: path) }

        let layout: Layout = keys.kemSeed == nil ? .v1 : .v2
        var header = magic
        header.append(layout.version)
        header.append(kdfArgon2id13)
        header += bigEndian(hardness.operations)
        header += bigEndian(hardness.memoryBytes)
        var salt = [UInt8](repeating: 0, count: saltByteCount)
        salt.withUnsafeMutableBytes { random.fill($0) }
        header += salt
        header += keys.publicKeys.encryptionKey
        header += keys.publicKeys.signingKey
        header += keys.publicKeys.kemKey ?? []
        var nonce = [UInt8](repeating: 0, count: AssignmentEnvelope.nonceByteCount)
        nonce.withUnsafeMutableBytes { random.fill($0) }
        header += nonce
        precondition(header.count == layout.headerByteCount)

        let key = try deriveKey(passphrase: passphrase, salt: salt, hardness: hardness)
        let seeds = try SecretBytes(count: layout.seedsByteCount) { buffer in
            keys.encryptionSeed.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: 32) }
            keys.signingSeed.withUnsafeBytes { (buffer.baseAddress! + 32).copyMemory(from: $0.baseAddress!, byteCount: 32) }
            keys.kemSeed?.withUnsafeBytes { (buffer.baseAddress! + 64).copyMemory(from: $0.baseAddress!, byteCount: 32) }
        }
        var ciphertext = [UInt8](repeating: 0, count: layout.seedsByteCount + AssignmentEnvelope.tagByteCount)
        var ciphertextLength: UInt64 = 0
        _ = ciphertext.withUnsafeMutableBufferPointer { output in
            header.withUnsafeBufferPointer { ad in
                crypto_aead_xchacha20poly1305_ietf_encrypt(
                    output.baseAddress!, &ciphertextLength, seeds.unsafePointer, UInt64(layout.seedsByteCount), ad.baseAddress, UInt64(ad.count), nil, nonce,
                    key.unsafePointer)
            }
        }
        try writePrivateFile(header + ciphertext, to: path)
    }

    /// Adds an X-Wing key to the device in the keystore at `path` (`dispatch keys upgrade`): the
    /// file is rewritten as version 2 under the same passphrase and key-stretching settings, with
    /// the same encryption and signing keys. A keystore that has one already is left as it is.
    /// Returns the device's keys as they are now.
    public static func addPostQuantumKey(at path: String, passphrase: SecretBytes, random: some RandomSource = SystemRandomSource()) throws -> DeviceKeyPair {
        let keys = try unlock(at: path, passphrase: passphrase)
        guard !keys.publicKeys.isPostQuantum else { return keys }
        let hardness = try parse(try readPrivateFile(at: path), path: path).hardness
        let upgraded = try keys.addingPostQuantumKey(random: random)
        try create(at: path, keys: upgraded, passphrase: passphrase, hardness: hardness, overwrite: true, random: random)
        return upgraded
    }

    /// The public keys in a keystore, without the passphrase.
    public static func publicKeys(at path: String) throws -> DevicePublicKeys {
        let file = try readPrivateFile(at: path)
        return try parse(file, path: path).publicKeys
    }

    /// Decrypts the keystore and returns the device's key pair.
    public static func unlock(at path: String, passphrase: SecretBytes) throws -> DeviceKeyPair {
        try Sodium.ready()
        let file = try readPrivateFile(at: path)
        let parsed = try parse(file, path: path)
        let normal = try normalised(passphrase)
        do {
            return try unlock(file, parsed: parsed, path: path, passphrase: normal)
        } catch EnvelopeError.wrongPassphrase where !normal.hasSameBytes(as: passphrase) {
            // A keystore written before passphrases were normalised took the bytes as typed.
            return try unlock(file, parsed: parsed, path: path, passphrase: passphrase)
        }
    }

    private static func unlock(_ file: [UInt8], parsed: Parsed, path: String, passphrase: SecretBytes) throws -> DeviceKeyPair {
        let key = try deriveKey(passphrase: passphrase, salt: parsed.salt, hardness: parsed.hardness)
        let layout = parsed.layout
        let header = Array(file.prefix(layout.headerByteCount))
        let ciphertext = Array(file.suffix(from: layout.headerByteCount))
        let seeds = try SecretBytes(count: layout.seedsByteCount) { output in
            var length: UInt64 = 0
            let status = ciphertext.withUnsafeBufferPointer { input in
                header.withUnsafeBufferPointer { ad in
                    crypto_aead_xchacha20poly1305_ietf_decrypt(
                        output.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, nil, input.baseAddress!,
                        UInt64(input.count), ad.baseAddress, UInt64(ad.count), parsed.nonce, key.unsafePointer)
                }
            }
            guard status == 0 else { throw EnvelopeError.wrongPassphrase }
        }
        let keys = try DeviceKeyPair(
            encryptionSeed: try SecretBytes(count: 32) { $0.copyMemory(from: UnsafeRawBufferPointer(start: seeds.unsafePointer, count: 32)) },
            signingSeed: try SecretBytes(count: 32) { $0.copyMemory(from: UnsafeRawBufferPointer(start: seeds.unsafePointer + 32, count: 32)) },
            kemSeed: layout.kemKeyByteCount == 0
                ? nil : try SecretBytes(count: 32) { $0.copyMemory(from: UnsafeRawBufferPointer(start: seeds.unsafePointer + 64, count: 32)) })
        guard keys.publicKeys == parsed.publicKeys else {
            throw EnvelopeError.keystoreCorrupt(path: path, reason: "its public keys do not match its private keys")
        }
        return keys
    }

    // MARK: - Format

    private struct Parsed {
        var layout: Layout
        var hardness: KeystoreHardness
        var salt: [UInt8]
        var publicKeys: DevicePublicKeys
        var nonce: [UInt8]
    }

    private static func parse(_ file: [UInt8], path: String) throws -> Parsed {
        guard file.count >= 6 else { throw EnvelopeError.keystoreTruncated(path: path) }
        var reader = ByteReader(file)
        guard try reader.read(4) == magic else { throw EnvelopeError.keystoreCorrupt(path: path, reason: "it is not a dispatch keystore") }
        let fileVersion = try reader.readByte()
        let kdf = try reader.readByte()
        guard let layout = Layout.of(version: fileVersion), kdf == kdfArgon2id13 else {
            throw EnvelopeError.keystoreCorrupt(path: path, reason: "format \(fileVersion) is not supported by this version")
        }
        guard file.count >= layout.fileByteCount else { throw EnvelopeError.keystoreTruncated(path: path) }
        guard file.count == layout.fileByteCount else { throw EnvelopeError.keystoreCorrupt(path: path, reason: "it is longer than a keystore") }
        let hardness = KeystoreHardness(operations: try reader.readUInt64(), memoryBytes: try reader.readUInt64())
        guard KeystoreHardness.acceptedOperations.contains(hardness.operations), KeystoreHardness.acceptedMemory.contains(hardness.memoryBytes) else {
            throw EnvelopeError.keystoreCorrupt(path: path, reason: "its key-stretching settings are out of range")
        }
        let salt = try reader.read(saltByteCount)
        let publicKeys = try DevicePublicKeys(
            encryptionKey: try reader.read(32), signingKey: try reader.read(32),
            kemKey: layout.kemKeyByteCount == 0 ? nil : try reader.read(layout.kemKeyByteCount))
        let nonce = try reader.read(AssignmentEnvelope.nonceByteCount)
        return Parsed(layout: layout, hardness: hardness, salt: salt, publicKeys: publicKeys, nonce: nonce)
    }

    private static func deriveKey(passphrase: SecretBytes, salt: [UInt8], hardness: KeystoreHardness) throws -> SecretBytes {
        try SecretBytes(count: 32) { key in
            let status = salt.withUnsafeBufferPointer { saltBuffer in
                passphrase.withUnsafeBytes { secret in
                    crypto_pwhash(
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self), 32,
                        secret.baseAddress!.assumingMemoryBound(to: CChar.self), UInt64(secret.count), saltBuffer.baseAddress!,
                        hardness.operations, Int(hardness.memoryBytes), crypto_pwhash_ALG_ARGON2ID13)
                }
            }
            guard status == 0 else { throw EnvelopeError.keyDerivationFailed }
        }
    }

    /// The passphrase as a keystore uses it: its UTF-8 bytes in Unicode normalisation form C, so
    /// that "ä" typed as one code point or as "a" and a combining diaeresis unlock alike, whatever
    /// keyboard or device typed it. An ASCII passphrase is its own normal form and never leaves
    /// ``SecretBytes``; any other is normalised through a `String`, which cannot be wiped.
    public static func normalised(_ passphrase: SecretBytes) throws -> SecretBytes {
        if isASCII(passphrase) { return passphrase }
        let text = try passphrase.withUnsafeBytes { bytes -> String in
            guard let text = String(validating: bytes.bindMemory(to: UInt8.self), as: UTF8.self) else { throw EnvelopeError.passphraseNotUTF8 }
            return text
        }
        return try SecretBytes(copying: Array(text.precomposedStringWithCanonicalMapping.utf8))
    }

    private static func isASCII(_ passphrase: SecretBytes) -> Bool {
        passphrase.withUnsafeBytes { $0.allSatisfy { $0 < 0x80 } }
    }

    private static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).reversed().map { UInt8(value >> (UInt64($0) * 8) & 0xff) }
    }

    // MARK: - Files

    /// ``PrivateFile/read(at:maximumBytes:)``, with the keystore's errors.
    static func readPrivateFile(at path: String) throws -> [UInt8] {
        do {
            return try PrivateFile.read(at: path, maximumBytes: Layout.v2.fileByteCount)
        } catch let error as PrivateFileError {
            switch error {
            case .missing: throw EnvelopeError.keystoreMissing(path: path)
            case .notOwned: throw EnvelopeError.keystoreNotOwned(path: path)
            case .tooOpen(_, let mode): throw EnvelopeError.keystoreTooOpen(path: path, mode: mode)
            case .unusable(_, let reason): throw EnvelopeError.keystoreIO(path: path, reason: reason)
            }
        }
    }

    static func writePrivateFile(_ bytes: [UInt8], to path: String) throws {
        do {
            try PrivateFile.write(bytes, to: path)
        } catch let error as PrivateFileError {
            throw EnvelopeError.keystoreIO(path: path, reason: error.reason)
        }
    }
}
