import Foundation

/// The decryption receipt: a recipient's device reports each time it decrypted an assignment's
/// case, also when it did so offline and reports later. Every receipt becomes an audit entry, so a
/// compliance officer can see each time sensitive data was opened, by which device and when. The
/// first receipt also moves a dispatched or delivered assignment to read, at the server's time.
///
/// The device's own clock says when it opened the case. It is believed within ``clockTolerance``:
/// not after the server's now, and not before the assignment was dispatched (a device cannot have
/// decrypted what it had not been sent). Anything else is refused, not corrected, so the audit
/// never holds a time nobody reported.
public enum DecryptionReceipt {
    /// How far a device's clock may run ahead of the server's, or behind the dispatch time.
    public static let clockTolerance: TimeInterval = 5 * 60

    /// What recording the receipt does to `assignment`.
    public struct Outcome: Sendable, Hashable {
        /// The move to read this receipt makes, when the assignment had not been read yet.
        public var readTransition: LifecycleTransition?
    }

    /// Checks a receipt from `principal` that says the case was decrypted at `openedAt`, received
    /// at `time`. Only the recipient sends one; the assignment may be in any state it has reached
    /// since dispatch (an offline device may report after a cancellation).
    public static func record(_ assignment: Assignment, by principal: Principal, openedAt: Date, at time: Date) throws -> Outcome {
        guard let parties = LifecycleParty.parties(of: principal, in: assignment) else { throw DomainError.notFound }
        guard parties.contains(.recipient) else { throw DomainError.actorNotPermitted(from: assignment.status, to: assignment.status) }
        guard let dispatchedAt = assignment.dispatchedAt else { throw DomainError.notFound }
        guard openedAt <= time.addingTimeInterval(clockTolerance), openedAt >= dispatchedAt.addingTimeInterval(-clockTolerance) else {
            throw DomainError.openingTimeImpossible
        }
        guard assignment.status == .dispatched || assignment.status == .delivered else { return Outcome(readTransition: nil) }
        return Outcome(readTransition: try AssignmentLifecycle.transition(assignment, to: .read, by: principal, at: time))
    }
}
