import AssignmentCore
import CSodium
import Envelope
import Foundation
import Testing

@Suite("Envelope")
struct EnvelopeTests {
    let sender: DeviceKeyPair
    let recipientPhone: DeviceKeyPair
    let recipientTablet: DeviceKeyPair
    let stranger: DeviceKeyPair
    let assignmentID = UUID()
    let organizationID = UUID()
    let payload = Array(#"{"contact_name":"Kari","epikrise":"Diabetes type 2","version":1}"#.utf8)

    init() throws {
        sender = try DeviceKeyPair.generate()
        recipientPhone = try DeviceKeyPair.generate()
        recipientTablet = try DeviceKeyPair.generate()
        stranger = try DeviceKeyPair.generate()
    }

    /// Every device here has an X-Wing key, so each can receive both formats; the tests of the
    /// format's properties run once per format.
    func seal(_ payload: [UInt8]? = nil, to recipients: [DeviceKeyPair]? = nil, format: EnvelopeFormat = .v1) throws -> AssignmentEnvelope {
        try EnvelopeSealer().seal(
            payload: payload ?? self.payload, assignmentID: assignmentID, organizationID: organizationID, sender: sender,
            recipients: (recipients ?? [recipientPhone]).map(\.publicKeys), format: format)
    }

    func open(_ envelope: AssignmentEnvelope, as recipient: DeviceKeyPair, assignmentID: UUID? = nil) throws -> [UInt8] {
        try EnvelopeOpener.open(
            envelope, recipient: recipient, sender: sender.publicKeys, assignmentID: assignmentID ?? self.assignmentID,
            organizationID: organizationID)
    }

    @Test("a sealed payload opens for its one recipient, after a round trip through bytes", arguments: EnvelopeFormat.allCases)
    func roundTripOneRecipient(_ format: EnvelopeFormat) throws {
        let envelope = try AssignmentEnvelope.parse(try seal(format: format).serialized)
        #expect(try open(envelope, as: recipientPhone) == payload)
        try EnvelopeVerifier.verify(envelope, sender: sender.publicKeys, assignmentID: assignmentID, organizationID: organizationID, requireEverySealedKey: true)
    }

    @Test("every device of the recipient opens its own copy, even when handed only its own sealed key", arguments: EnvelopeFormat.allCases)
    func severalRecipients(_ format: EnvelopeFormat) throws {
        let envelope = try seal(to: [recipientPhone, recipientTablet], format: format)
        #expect(envelope.recipientFingerprints == [recipientPhone.fingerprint, recipientTablet.fingerprint])
        for device in [recipientPhone, recipientTablet] {
            let delivered = try #require(envelope.delivering(to: device.fingerprint))
            #expect(delivered.sealedKeys.count == 1)
            let bytes = delivered.serialized
            #expect(try open(AssignmentEnvelope.parse(bytes), as: device) == payload)
        }
        let phoneOnly = try #require(envelope.delivering(to: recipientPhone.fingerprint))
        #expect(throws: EnvelopeError.notARecipient) { try open(phoneOnly, as: recipientTablet) }
        #expect(throws: EnvelopeError.malformed("it lacks a sealed key for a recipient it names")) {
            try EnvelopeVerifier.verify(phoneOnly, sender: sender.publicKeys, assignmentID: assignmentID, organizationID: organizationID, requireEverySealedKey: true)
        }
    }

    @Test("flipping any bit of any byte makes the envelope fail to parse, verify or open", arguments: EnvelopeFormat.allCases)
    func everyByteIsProtected(_ format: EnvelopeFormat) throws {
        let bytes = try seal(to: [recipientPhone, recipientTablet], format: format).serialized
        var undetected: [Int] = []
        for index in bytes.indices {
            for bit in [0, 7] {
                var changed = bytes
                changed[index] ^= 1 << bit
                let opened = try? open(AssignmentEnvelope.parse(changed), as: recipientPhone)
                if opened != nil { undetected.append(index) }
            }
        }
        #expect(undetected.isEmpty, "changes at byte offsets \(undetected) went unnoticed")
    }

    @Test("another device cannot open it", arguments: EnvelopeFormat.allCases)
    func wrongRecipient(_ format: EnvelopeFormat) throws {
        #expect(throws: EnvelopeError.notARecipient) { try open(try seal(format: format), as: stranger) }
        // Even a stranger that rewrites the sealed key's fingerprint to its own cannot get past the signature.
        var forged = try seal(format: format)
        forged.sealedKeys[0].fingerprint = stranger.fingerprint
        #expect(throws: (any Error).self) { try open(AssignmentEnvelope.parse(forged.serialized), as: stranger) }
    }

    @Test("a signature by another key fails", arguments: EnvelopeFormat.allCases)
    func otherSigner(_ format: EnvelopeFormat) throws {
        var envelope = try seal(format: format)
        envelope.signature = stranger.sign(envelope.headerBytes)
        #expect(throws: EnvelopeError.badSignature) { try open(envelope, as: recipientPhone) }
        // An envelope honestly sealed by someone else names that sender, not the expected one.
        let foreign = try EnvelopeSealer().seal(
            payload: payload, assignmentID: assignmentID, organizationID: organizationID, sender: stranger, recipients: [recipientPhone.publicKeys],
            format: format)
        #expect(throws: EnvelopeError.senderMismatch) { try open(foreign, as: recipientPhone) }
    }

    @Test("a ciphertext moved to another assignment fails", arguments: EnvelopeFormat.allCases)
    func movedToAnotherAssignment(_ format: EnvelopeFormat) throws {
        let original = try seal(format: format)
        let otherAssignment = UUID()
        // The server hands the envelope out under another assignment id.
        #expect(throws: EnvelopeError.wrongAssignment) { try open(original, as: recipientPhone, assignmentID: otherAssignment) }
        // The server rewrites the id in the envelope: the signature breaks.
        var rewritten = original
        rewritten.assignmentID = otherAssignment
        #expect(throws: EnvelopeError.badSignature) { try open(rewritten, as: recipientPhone, assignmentID: otherAssignment) }
        // Even re-signed by the real sender, the ciphertext stays bound to its original id.
        rewritten.signature = sender.sign(rewritten.headerBytes)
        #expect(throws: EnvelopeError.cannotOpen) { try open(rewritten, as: recipientPhone, assignmentID: otherAssignment) }
        // Swapping ciphertexts between two assignments to the same recipient, re-signed, fails too.
        let second = try EnvelopeSealer().seal(
            payload: Array("other".utf8), assignmentID: otherAssignment, organizationID: organizationID, sender: sender,
            recipients: [recipientPhone.publicKeys], format: format)
        var swapped = second
        swapped.ciphertext = original.ciphertext
        swapped.nonce = original.nonce
        swapped.signature = sender.sign(swapped.headerBytes)
        #expect(throws: EnvelopeError.cannotOpen) { try open(swapped, as: recipientPhone, assignmentID: otherAssignment) }
    }

    @Test("plaintext, truncated, oversized and padded-out input is refused as not an envelope", arguments: EnvelopeFormat.allCases)
    func notAnEnvelope(_ format: EnvelopeFormat) throws {
        let plaintext = Array(#"{"contact_name":"Kari Nordmann","address":"Storgata 1"}"#.utf8)
        #expect(throws: EnvelopeError.malformed("it does not start with the envelope marker")) { try AssignmentEnvelope.parse(plaintext) }
        #expect(throws: EnvelopeError.malformed("it ends early")) { try AssignmentEnvelope.parse([]) }
        let bytes = try seal(format: format).serialized
        for cut in [1, 5, 70, 200, bytes.count - 1] {
            #expect(throws: EnvelopeError.self) { try AssignmentEnvelope.parse(Array(bytes.prefix(cut))) }
        }
        #expect(throws: EnvelopeError.malformed("it has bytes after its end")) { try AssignmentEnvelope.parse(bytes + [0]) }
        #expect(throws: EnvelopeError.malformed("it is larger than any envelope can be")) {
            try AssignmentEnvelope.parse(bytes + [UInt8](repeating: 0, count: AssignmentEnvelope.maximumSerializedSize))
        }
        var future = bytes
        future[4] = 9
        #expect(throws: EnvelopeError.unsupportedVersion(version: 9, algorithm: format.algorithm)) { try AssignmentEnvelope.parse(future) }
        // docs/envelope.md, Opening, step 1: the version is judged before the length, so a future
        // format cut short is "unsupported", and fewer than six bytes are "malformed".
        #expect(throws: EnvelopeError.unsupportedVersion(version: 9, algorithm: format.algorithm)) { try AssignmentEnvelope.parse(Array(future.prefix(6))) }
        #expect(throws: EnvelopeError.malformed("it ends early")) { try AssignmentEnvelope.parse(Array(future.prefix(5))) }
        var otherAlgorithm = bytes
        otherAlgorithm[5] = 7
        #expect(throws: EnvelopeError.unsupportedVersion(version: format.version, algorithm: 7)) { try AssignmentEnvelope.parse(otherAlgorithm) }
        // The other format's bytes: version and algorithm must name one format together, and a
        // relabelled envelope does not have that format's sealed keys.
        var relabelled = bytes
        let other: EnvelopeFormat = format == .v1 ? .v2 : .v1
        relabelled[4] = other.version
        #expect(throws: EnvelopeError.unsupportedVersion(version: other.version, algorithm: format.algorithm)) { try AssignmentEnvelope.parse(relabelled) }
        relabelled[5] = other.algorithm
        #expect(throws: EnvelopeError.self) { try open(try AssignmentEnvelope.parse(relabelled), as: recipientPhone) }
        // m = 0: an envelope with no sealed key at all.
        let sealedCountOffset = bytes.count - 1 - (32 + format.sealedKeyByteCount)
        #expect(bytes[sealedCountOffset] == 1)
        var none = Array(bytes.prefix(sealedCountOffset))
        none.append(0)
        #expect(throws: EnvelopeError.malformed("it has no usable sealed key")) { try AssignmentEnvelope.parse(none) }
    }

    @Test("payload limits, recipient limits and padding", arguments: EnvelopeFormat.allCases)
    func limits(_ format: EnvelopeFormat) throws {
        #expect(throws: EnvelopeError.noRecipients) { try seal(to: [], format: format) }
        #expect(throws: EnvelopeError.malformed("the same recipient key is listed twice")) { try seal(to: [recipientPhone, recipientPhone], format: format) }
        let seventeen = try (0..<17).map { _ in try DeviceKeyPair.generate() }
        #expect(throws: EnvelopeError.tooManyRecipients(limit: 16)) { try seal(to: seventeen, format: format) }
        let largest = [UInt8](repeating: 0x41, count: AssignmentEnvelope.maximumPaddedPayload - 1)
        #expect(try open(try seal(largest, format: format), as: recipientPhone) == largest)
        #expect(throws: EnvelopeError.payloadTooLarge(limit: AssignmentEnvelope.maximumPaddedPayload - 1)) {
            try seal([UInt8](repeating: 0x41, count: AssignmentEnvelope.maximumPaddedPayload), format: format)
        }
        // Lengths leak only to the next 256 bytes.
        let short = try seal(Array("a".utf8), format: format).ciphertext.count
        let longer = try seal([UInt8](repeating: 0x62, count: 255), format: format).ciphertext.count
        #expect(short == longer)
        #expect(try open(try seal([], format: format), as: recipientPhone) == [])
    }

    @Test("a key sealed by the sealer opens with libsodium's crypto_box_seal_open, and one sealed by crypto_box_seal opens here")
    func sealedBoxInterop() throws {
        let seed = (0..<32).map { UInt8($0 * 3) }
        let device = try DeviceKeyPair(encryptionSeed: SecretBytes(copying: seed), signingSeed: SecretBytes(copying: seed.reversed()))
        var publicKey = [UInt8](repeating: 0, count: 32)
        var secretKey = [UInt8](repeating: 0, count: 32)
        #expect(crypto_box_seed_keypair(&publicKey, &secretKey, seed) == 0)
        #expect(publicKey == device.publicKeys.encryptionKey)

        var envelope = try seal(to: [device])
        var contentKey = [UInt8](repeating: 0, count: 32)
        #expect(crypto_box_seal_open(&contentKey, envelope.sealedKeys[0].sealedKey, 80, publicKey, secretKey) == 0)

        var libsodiumSealed = [UInt8](repeating: 0, count: 80)
        #expect(crypto_box_seal(&libsodiumSealed, contentKey, 32, publicKey) == 0)
        envelope.sealedKeys[0].sealedKey = libsodiumSealed
        envelope.recipients[0].sealedKeyHash = SHA256.hash(libsodiumSealed)
        envelope.signature = sender.sign(envelope.headerBytes)
        #expect(try open(AssignmentEnvelope.parse(envelope.serialized), as: device) == payload)
    }
}
