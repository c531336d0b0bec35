import AssignmentCore
import Foundation

/// A device's signed word that it removed its copy of a closed assignment (`docs/envelope.md`,
/// "Erasure receipts"): assignment, organisation, device fingerprint, time (whole seconds) and
/// reason, signed with the device's Ed25519 key. The server verifies it against the device's
/// registered signing key before it stores and audits it.
public struct ErasureReceipt: Sendable, Hashable {
    /// The first bytes of what is signed, so that no other signed message of this system (an
    /// envelope's header) can ever be taken for a receipt.
    public static let context = Array("AssignmentDispatch erasure receipt v1".utf8) + [0]

    public var assignmentID: UUID
    public var organizationID: UUID
    public var device: KeyFingerprint
    /// When the device erased its copy, in whole seconds since 1970 (UTC).
    public var erasedAt: Int64
    public var reason: ErasureReason

    public init(assignmentID: UUID, organizationID: UUID, device: KeyFingerprint, erasedAt: Date, reason: ErasureReason) {
        self.assignmentID = assignmentID
        self.organizationID = organizationID
        self.device = device
        self.erasedAt = Int64(erasedAt.timeIntervalSince1970.rounded(.down))
        self.reason = reason
    }

    public var erasedAtDate: Date { Date(timeIntervalSince1970: TimeInterval(erasedAt)) }

    /// The exact bytes signed: context ‖ assignment id (16) ‖ organisation id (16) ‖ device
    /// fingerprint (32) ‖ erased-at seconds (8, big-endian, signed) ‖ reason code (1): 111 bytes.
    public var signedBytes: [UInt8] {
        var bytes = Self.context
        bytes += AssignmentEnvelope.bytes(of: assignmentID)
        bytes += AssignmentEnvelope.bytes(of: organizationID)
        bytes += device.bytes
        bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(bitPattern: erasedAt) >> (8 * UInt64($0))) }
        bytes.append(reason.code)
        return bytes
    }

    /// The detached Ed25519 signature of ``signedBytes`` with `device`'s signing key, which must be
    /// the key of ``device`` (by either fingerprint of a device that gained an X-Wing key).
    public func signature(by keys: DeviceKeyPair) throws -> [UInt8] {
        guard keys.fingerprints.contains(device) else { throw EnvelopeError.senderMismatch }
        return keys.sign(signedBytes)
    }

    /// Whether `signature` is this receipt signed by the device whose public keys are `keys`
    /// (which must be the keys of ``device``).
    public func isSigned(_ signature: [UInt8], by keys: DevicePublicKeys) -> Bool {
        keys.fingerprint == device && SignatureCheck.isValid(signature, of: signedBytes, signingKey: keys.signingKey)
    }
}
