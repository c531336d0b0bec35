import Foundation

/// Sending an assignment again, to another peer mentor (`docs/domain.md`, "Reassignment").
///
/// The coordinator's device reopens its own copy of the case, seals it for the new peer mentor as
/// a new assignment that names the old one (`reassigned_from`), and then cancels the old one if it
/// is still open. These are the server's rules for the new assignment's link; the rest is an
/// ordinary dispatch.
public enum Reassignment {
    /// How long after a decline the case can still be reassigned: the coordinator's device keeps
    /// its copy this long (then wipes it), and the status overview lists the decline this long.
    public static let declinedWindowDays = 30
    public static let declinedWindow: TimeInterval = TimeInterval(declinedWindowDays) * 86_400

    /// Whether `old` may be reassigned to `recipient` by `sender` at `time`: only by the coordinator
    /// who dispatched it (only their device holds the copy), while it is open or within
    /// ``declinedWindow`` of a decline, and to someone else.
    public static func check(_ old: Assignment, to recipient: UserID, by sender: UserContext, at time: Date) throws {
        guard old.organizationID == sender.organizationID else { throw DomainError.notFound }
        guard old.coordinatorID == sender.userID, sender.role.dispatches else {
            throw DomainError.actorNotPermitted(from: old.status, to: .cancelled)
        }
        switch old.status {
        case .declined:
            guard let declinedAt = old.declinedAt, time.timeIntervalSince(declinedAt) <= declinedWindow else {
                throw DomainError.reassignNotAllowed(old.status)
            }
        case let status where status.isOpen:
            break
        default:
            throw DomainError.reassignNotAllowed(old.status)
        }
        guard recipient != old.peerMentorID else { throw DomainError.reassignToSamePeerMentor }
    }

    /// Whether a device should still keep its copy of what it sent: while the assignment is open,
    /// and after a decline for ``declinedWindow`` (so that it can be reassigned).
    public static func keepsSenderCopy(status: AssignmentStatus, payloadDestroyed: Bool, declinedAt: Date?, expiresAt: Date?, at time: Date) -> Bool {
        if status == .declined, let declinedAt { return time.timeIntervalSince(declinedAt) <= declinedWindow }
        return ErasureReason.due(status: status, payloadDestroyed: payloadDestroyed, expiresAt: expiresAt, at: time) == nil
    }
}
