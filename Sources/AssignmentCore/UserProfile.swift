import Foundation

/// A user as the dispatch rules see them: role, scope and whether they are active.
public struct UserProfile: Sendable, Hashable {
    public var id: UserID
    public var organizationID: OrganizationID
    public var localAssociationID: LocalAssociationID?
    public var role: Role
    public var status: UserStatus
    /// Peer mentors are certified for a period; after it they receive no new assignments.
    public var certificationExpiresAt: Date?

    public init(
        id: UserID,
        organizationID: OrganizationID,
        localAssociationID: LocalAssociationID? = nil,
        role: Role,
        status: UserStatus = .active,
        certificationExpiresAt: Date? = nil
    ) {
        self.id = id
        self.organizationID = organizationID
        self.localAssociationID = localAssociationID
        self.role = role
        self.status = status
        self.certificationExpiresAt = certificationExpiresAt
    }

    public var context: UserContext {
        UserContext(userID: id, organizationID: organizationID, localAssociationID: localAssociationID, role: role)
    }
}

/// The lifecycle of a device key on the server.
public enum DeviceKeyStatus: String, Sendable, Codable, CaseIterable {
    /// Receives new assignments.
    case active
    /// Replaced by a newer key: still opens what was sealed to it, receives nothing new.
    case retired
    /// The device was lost: nothing sealed to it is handed out any more.
    case revoked
}

/// A registered device key as the dispatch rules see it: whose it is, its fingerprint, its status.
public struct DeviceKeyRecord: Sendable, Hashable {
    public var id: DeviceKeyID
    public var userID: UserID
    public var fingerprint: KeyFingerprint
    public var status: DeviceKeyStatus
    /// Whether the device has an X-Wing key, so that format 2 envelopes can be sealed to it.
    public var isPostQuantum: Bool

    public init(id: DeviceKeyID, userID: UserID, fingerprint: KeyFingerprint, status: DeviceKeyStatus, isPostQuantum: Bool = false) {
        self.id = id
        self.userID = userID
        self.fingerprint = fingerprint
        self.status = status
        self.isPostQuantum = isPostQuantum
    }
}
