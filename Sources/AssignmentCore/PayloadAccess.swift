import Foundation

/// Whether the recipient's device may be handed the envelope now, and if not, which placeholder
/// the API answers with instead.
public enum PayloadAccess {
    /// Throws the reason the payload is withheld: cancelled, expired or declined (its contents are destroyed),
    /// destroyed by a sweep, or consent still missing. Returns when the envelope may be handed out.
    public static func check(_ assignment: Assignment, at time: Date) throws {
        if assignment.status == .cancelled { throw DomainError.payloadCancelled }
        if assignment.status == .expired { throw DomainError.payloadExpired }
        if assignment.status == .declined { throw DomainError.payloadDeclined }
        if let expiresAt = assignment.expiresAt, time >= expiresAt { throw DomainError.payloadExpired }
        if assignment.payloadDestroyedAt != nil { throw DomainError.payloadDestroyed }
        if assignment.requiresConsent, assignment.consentGivenAt == nil { throw DomainError.consentRequired }
    }

    /// The same for the dispatching coordinator's own copy: while the assignment is open and its
    /// case not destroyed (consent is the peer mentor's, so it does not apply; completed closes it too).
    public static func checkSenderCopy(_ assignment: Assignment, at time: Date) throws {
        if assignment.status == .cancelled { throw DomainError.payloadCancelled }
        if assignment.status == .expired { throw DomainError.payloadExpired }
        if assignment.status == .declined { throw DomainError.payloadDeclined }
        if let expiresAt = assignment.expiresAt, time >= expiresAt { throw DomainError.payloadExpired }
        if assignment.payloadDestroyedAt != nil || !assignment.status.isOpen { throw DomainError.payloadDestroyed }
    }
}
