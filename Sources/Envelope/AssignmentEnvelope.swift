import AssignmentCore
import Foundation

/// The end-to-end encrypted envelope of one assignment, format 1 or 2 (`docs/envelope.md`).
///
/// Layout, all integers big-endian:
///
/// ```
/// header (signed)   "ADE1" · version · algorithm · assignment id (16) · organisation id (16)
///                   · sender fingerprint (32) · n (1) · n × [recipient fingerprint (32) · SHA-256 of
///                   its sealed key (32)] · nonce (24) · ciphertext length (4) · ciphertext
/// signature         Ed25519 over the header (64)
/// sealed keys       m (1) · m × [recipient fingerprint (32) · sealed content key]
/// ```
///
/// The formats differ only in the sealed content key (``EnvelopeFormat``): format 1 (version and
/// algorithm 1) seals it with `crypto_box_seal` (80 bytes), format 2 (version and algorithm 2)
/// wraps it with HPKE over X-Wing (1168 bytes, ``XWingKeyWrap``).
///
/// The coordinator uploads it with every sealed key (m = n). The server keeps the sealed keys apart
/// and hands each device an envelope with only its own (m = 1): the signature still verifies,
/// because it covers the hashes of all sealed keys rather than the keys themselves, and a sealed
/// key can be destroyed (a revoked device) without touching what the others receive.
public struct AssignmentEnvelope: Sendable, Hashable {
    public static let magic: [UInt8] = Array("ADE1".utf8)

    public static let nonceByteCount = 24
    public static let contentKeyByteCount = 32
    public static let signatureByteCount = 64
    public static let tagByteCount = 16
    public static let paddingBlockSize = 256
    public static let maximumRecipients = 16
    /// The largest padded plaintext: 256 KiB.
    public static let maximumPaddedPayload = 256 * 1024
    public static let maximumCiphertext = maximumPaddedPayload + tagByteCount
    /// The largest envelope the parser accepts; anything longer is refused before it is read.
    public static let maximumSerializedSize = 6 + 32 + 32 + 1 + maximumRecipients * 64 + nonceByteCount + 4 + maximumCiphertext
        + signatureByteCount + 1 + maximumRecipients * (32 + EnvelopeFormat.v2.sealedKeyByteCount)

    public struct Recipient: Sendable, Hashable {
        public var fingerprint: KeyFingerprint
        public var sealedKeyHash: [UInt8]

        public init(fingerprint: KeyFingerprint, sealedKeyHash: [UInt8]) {
            self.fingerprint = fingerprint
            self.sealedKeyHash = sealedKeyHash
        }
    }

    public struct SealedKey: Sendable, Hashable {
        public var fingerprint: KeyFingerprint
        public var sealedKey: [UInt8]

        public init(fingerprint: KeyFingerprint, sealedKey: [UInt8]) {
            self.fingerprint = fingerprint
            self.sealedKey = sealedKey
        }
    }

    public var version: UInt8
    public var algorithm: UInt8
    public var assignmentID: UUID
    public var organizationID: UUID
    public var senderFingerprint: KeyFingerprint
    public var recipients: [Recipient]
    public var nonce: [UInt8]
    public var ciphertext: [UInt8]
    public var signature: [UInt8]
    public var sealedKeys: [SealedKey]

    /// The format its version and algorithm bytes name (every parsed envelope has one).
    public var format: EnvelopeFormat? { EnvelopeFormat(version: version, algorithm: algorithm) }

    /// Reassembles an envelope from its parts (the server does, from the stored columns, for each
    /// device that downloads it). Nothing is checked here: see ``parse(_:)`` and ``EnvelopeVerifier``.
    public init(
        version: UInt8, algorithm: UInt8, assignmentID: UUID, organizationID: UUID, senderFingerprint: KeyFingerprint,
        recipients: [Recipient], nonce: [UInt8], ciphertext: [UInt8], signature: [UInt8], sealedKeys: [SealedKey]
    ) {
        self.version = version
        self.algorithm = algorithm
        self.assignmentID = assignmentID
        self.organizationID = organizationID
        self.senderFingerprint = senderFingerprint
        self.recipients = recipients
        self.nonce = nonce
        self.ciphertext = ciphertext
        self.signature = signature
        self.sealedKeys = sealedKeys
    }

    /// The bytes the signature covers.
    public var headerBytes: [UInt8] {
        var bytes = Self.prefix(version: version, algorithm: algorithm, assignmentID: assignmentID, organizationID: organizationID, senderFingerprint: senderFingerprint)
        bytes.append(UInt8(recipients.count))
        for recipient in recipients {
            bytes += recipient.fingerprint.bytes
            bytes += recipient.sealedKeyHash
        }
        bytes += nonce
        bytes += Self.bigEndian(UInt32(ciphertext.count))
        bytes += ciphertext
        return bytes
    }

    /// The AEAD associated data: magic, version, algorithm, both ids, the sender fingerprint, and
    /// the recipient count and fingerprints. Changing any of them makes decryption fail.
    public var associatedData: [UInt8] {
        Self.associatedData(
            version: version, algorithm: algorithm, assignmentID: assignmentID, organizationID: organizationID,
            senderFingerprint: senderFingerprint, recipientFingerprints: recipients.map(\.fingerprint))
    }

    static func associatedData(
        version: UInt8, algorithm: UInt8, assignmentID: UUID, organizationID: UUID,
        senderFingerprint: KeyFingerprint, recipientFingerprints: [KeyFingerprint]
    ) -> [UInt8] {
        var bytes = prefix(version: version, algorithm: algorithm, assignmentID: assignmentID, organizationID: organizationID, senderFingerprint: senderFingerprint)
        bytes.append(UInt8(recipientFingerprints.count))
        for fingerprint in recipientFingerprints { bytes += fingerprint.bytes }
        return bytes
    }

    /// What header and associated data both start with: magic, version, algorithm, ids, sender.
    private static func prefix(version: UInt8, algorithm: UInt8, assignmentID: UUID, organizationID: UUID, senderFingerprint: KeyFingerprint) -> [UInt8] {
        magic + [version, algorithm] + bytes(of: assignmentID) + bytes(of: organizationID) + senderFingerprint.bytes
    }

    /// The byte-exact serialisation.
    public var serialized: [UInt8] {
        var bytes = headerBytes
        bytes += signature
        bytes.append(UInt8(sealedKeys.count))
        for sealed in sealedKeys {
            bytes += sealed.fingerprint.bytes
            bytes += sealed.sealedKey
        }
        return bytes
    }

    /// The fingerprints of every recipient device, in envelope order.
    public var recipientFingerprints: [KeyFingerprint] { recipients.map(\.fingerprint) }

    /// The same envelope with only the sealed key of one device: what that device downloads.
    public func delivering(to fingerprint: KeyFingerprint) -> AssignmentEnvelope? {
        guard let sealed = sealedKeys.first(where: { $0.fingerprint == fingerprint }) else { return nil }
        var copy = self
        copy.sealedKeys = [sealed]
        return copy
    }

    /// Parses an envelope, checking its structure (not its signature: see ``EnvelopeVerifier``).
    /// Anything that is not an envelope, plaintext included, is refused with ``EnvelopeError/malformed(_:)``.
    public static func parse(_ bytes: [UInt8]) throws -> AssignmentEnvelope {
        guard bytes.count <= maximumSerializedSize else { throw EnvelopeError.malformed("it is larger than any envelope can be") }
        var reader = ByteReader(bytes)
        guard try reader.read(4) == magic else { throw EnvelopeError.malformed("it does not start with the envelope marker") }
        let version = try reader.readByte()
        let algorithm = try reader.readByte()
        guard let format = EnvelopeFormat(version: version, algorithm: algorithm) else {
            throw EnvelopeError.unsupportedVersion(version: version, algorithm: algorithm)
        }
        let assignmentID = uuid(try reader.read(16))
        let organizationID = uuid(try reader.read(16))
        let sender = KeyFingerprint(bytes: try reader.read(32))!
        let recipientCount = Int(try reader.readByte())
        guard recipientCount >= 1 else { throw EnvelopeError.malformed("it names no recipient") }
        guard recipientCount <= maximumRecipients else { throw EnvelopeError.malformed("it names more than \(maximumRecipients) recipients") }
        var recipients: [Recipient] = []
        for _ in 0..<recipientCount {
            let fingerprint = KeyFingerprint(bytes: try reader.read(32))!
            guard !recipients.contains(where: { $0.fingerprint == fingerprint }) else {
                throw EnvelopeError.malformed("it names the same recipient twice")
            }
            recipients.append(Recipient(fingerprint: fingerprint, sealedKeyHash: try reader.read(32)))
        }
        let nonce = try reader.read(nonceByteCount)
        let ciphertextLength = Int(try reader.readUInt32())
        guard ciphertextLength >= tagByteCount + paddingBlockSize, ciphertextLength <= maximumCiphertext,
            (ciphertextLength - tagByteCount) % paddingBlockSize == 0
        else { throw EnvelopeError.malformed("its ciphertext length is not possible") }
        let ciphertext = try reader.read(ciphertextLength)
        let signature = try reader.read(signatureByteCount)
        let sealedCount = Int(try reader.readByte())
        guard sealedCount >= 1, sealedCount <= recipientCount else { throw EnvelopeError.malformed("it has no usable sealed key") }
        var sealedKeys: [SealedKey] = []
        for _ in 0..<sealedCount {
            let fingerprint = KeyFingerprint(bytes: try reader.read(32))!
            let sealedKey = try reader.read(format.sealedKeyByteCount)
            guard let recipient = recipients.first(where: { $0.fingerprint == fingerprint }) else {
                throw EnvelopeError.malformed("it has a sealed key for a device it does not name")
            }
            guard !sealedKeys.contains(where: { $0.fingerprint == fingerprint }) else {
                throw EnvelopeError.malformed("it has two sealed keys for one device")
            }
            guard SHA256.hash(sealedKey) == recipient.sealedKeyHash else {
                throw EnvelopeError.malformed("a sealed key does not match its signed hash")
            }
            sealedKeys.append(SealedKey(fingerprint: fingerprint, sealedKey: sealedKey))
        }
        guard reader.isAtEnd else { throw EnvelopeError.malformed("it has bytes after its end") }
        return AssignmentEnvelope(
            version: version, algorithm: algorithm, assignmentID: assignmentID, organizationID: organizationID,
            senderFingerprint: sender, recipients: recipients, nonce: nonce, ciphertext: ciphertext,
            signature: signature, sealedKeys: sealedKeys)
    }

    // MARK: - Byte helpers

    static func bytes(of uuid: UUID) -> [UInt8] {
        withUnsafeBytes(of: uuid.uuid) { Array($0) }
    }

    static func uuid(_ bytes: [UInt8]) -> UUID {
        precondition(bytes.count == 16)
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}

/// Reads a byte array front to back; running past the end is a malformed envelope, never a crash.
struct ByteReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func read(_ count: Int) throws -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw EnvelopeError.malformed("it ends early") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    mutating func readByte() throws -> UInt8 { try read(1)[0] }

    mutating func readUInt32() throws -> UInt32 {
        try read(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func readUInt64() throws -> UInt64 {
        try read(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}
