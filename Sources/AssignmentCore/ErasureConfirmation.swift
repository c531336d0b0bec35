import Foundation

/// Why a device removed its copy of an assignment's envelope: the word an erasure receipt carries
/// (`docs/envelope.md`, "Erasure receipts").
public enum ErasureReason: String, Sendable, Hashable, Codable, CaseIterable {
    case completed, cancelled, expired, declined

    /// The byte that stands for the reason in the signed bytes of a receipt.
    public var code: UInt8 {
        switch self {
        case .completed: 1
        case .cancelled: 2
        case .expired: 3
        case .declined: 4
        }
    }

    /// Why a copy of an assignment in this state must be erased at `time`, or `nil` while it must
    /// be kept (the assignment is open and its case still there). The one rule both sides use: the
    /// device, to decide when to wipe; the server, to accept a receipt only for what is closed.
    public static func due(status: AssignmentStatus, payloadDestroyed: Bool, expiresAt: Date?, at time: Date) -> ErasureReason? {
        switch status {
        case .completed: return .completed
        case .cancelled: return .cancelled
        case .declined: return .declined
        case .expired: return .expired
        default: return payloadDestroyed || (expiresAt.map { $0 <= time } ?? false) ? .expired : nil
        }
    }
}

/// The erasure receipt: a recipient's device says, signed with its Ed25519 key, that it removed its
/// copy of a closed assignment. The server checks the signature (``Envelope``'s `ErasureReceipt`),
/// and these rules: only the recipient confirms, only once the assignment is closed, and only at a
/// time the device can have erased it (not in the future, not before the dispatch).
///
/// The reason is the device's word (it erased on what it saw: an expiry, say, before a later
/// cancellation); the server records it as said, like the time.
public enum ErasureConfirmation {
    /// How far a device's clock may run ahead of the server's, or behind the dispatch time.
    public static let clockTolerance = DecryptionReceipt.clockTolerance

    /// How many days after an assignment closed an unconfirmed device counts as overdue, unless the
    /// organisation sets its own (``OrganizationSettings/erasureConfirmationDays``).
    public static let defaultOverdueDays = 14
    public static let overdueDaysRange = 1...365

    public static func check(_ assignment: Assignment, by principal: Principal, erasedAt: Date, at time: Date) throws {
        guard let parties = LifecycleParty.parties(of: principal, in: assignment) else { throw DomainError.notFound }
        guard parties.contains(.recipient) else { throw DomainError.actorNotPermitted(from: assignment.status, to: assignment.status) }
        guard let dispatchedAt = assignment.dispatchedAt else { throw DomainError.notFound }
        guard erasedAt <= time.addingTimeInterval(clockTolerance), erasedAt >= dispatchedAt.addingTimeInterval(-clockTolerance) else {
            throw DomainError.erasureTimeImpossible
        }
        // A device whose clock runs a little ahead wipes at its own expiry time: within the
        // tolerance, that is not early.
        guard
            ErasureReason.due(
                status: assignment.status, payloadDestroyed: assignment.payloadDestroyedAt != nil, expiresAt: assignment.expiresAt,
                at: time.addingTimeInterval(clockTolerance)) != nil
        else { throw DomainError.erasureNotDue }
    }
}
