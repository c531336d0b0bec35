import Foundation

/// One immutable line of an assignment's history: what changed, who did it, and when.
public struct AssignmentEvent: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case statusChanged(from: AssignmentStatus, to: AssignmentStatus)
        case contactMade
    }

    public var assignmentID: AssignmentID
    public var kind: Kind
    /// `nil` when the system acted.
    public var actorID: UserID?
    /// A ``Role`` raw value, or `"system"`.
    public var actorRole: String
    public var occurredAt: Date
    /// The cancellation reason; screened for personal data before it gets here.
    public var reason: String?

    public init(assignmentID: AssignmentID, kind: Kind, actorID: UserID?, actorRole: String, occurredAt: Date, reason: String?) {
        self.assignmentID = assignmentID
        self.kind = kind
        self.actorID = actorID
        self.actorRole = actorRole
        self.occurredAt = occurredAt
        self.reason = reason
    }
}
