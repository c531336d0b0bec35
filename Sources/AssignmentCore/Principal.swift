/// Who is acting: a signed-in user, or the system itself (scheduled sweeps and jobs).
///
/// Every transition is attributed to a principal; the database refuses a status change that does
/// not name one.
public enum Principal: Sendable, Hashable {
    case user(UserContext)
    case system

    /// The user's identifier, or `nil` for the system.
    public var userID: UserID? {
        if case .user(let context) = self { return context.userID }
        return nil
    }

    /// The role recorded in events and audit entries: a ``Role`` raw value, or `"system"`.
    public var roleName: String {
        switch self {
        case .user(let context): context.role.rawValue
        case .system: "system"
        }
    }
}

/// What the server knows about a signed-in user when it decides what they may do.
public struct UserContext: Sendable, Hashable {
    public var userID: UserID
    public var organizationID: OrganizationID
    /// The local association (lokallag) a coordinator works in; `nil` means organisation-wide.
    public var localAssociationID: LocalAssociationID?
    public var role: Role

    public init(userID: UserID, organizationID: OrganizationID, localAssociationID: LocalAssociationID? = nil, role: Role) {
        self.userID = userID
        self.organizationID = organizationID
        self.localAssociationID = localAssociationID
        self.role = role
    }
}
