import AssignmentCore
import Foundation

/// The signed-in user (`GET /v1/me`).
public struct UserInfo: Sendable, Hashable, Codable {
    public var id: UserID
    public var organizationID: OrganizationID
    public var handle: String
    public var role: Role
    public var status: UserStatus

    enum CodingKeys: String, CodingKey {
        case id, handle, role, status
        case organizationID = "organization_id"
    }
}

/// A registered device key.
public struct KeyInfo: Sendable, Hashable, Codable {
    public var id: DeviceKeyID
    public var userID: UserID
    public var encryptionPublicKey: String
    public var signingPublicKey: String
    public var fingerprint: String
    public var fingerprintReadAloud: [String]
    public var status: DeviceKeyStatus

    enum CodingKeys: String, CodingKey {
        case id, fingerprint, status
        case userID = "user_id"
        case encryptionPublicKey = "encryption_public_key"
        case signingPublicKey = "signing_public_key"
        case fingerprintReadAloud = "fingerprint_read_aloud"
    }

    /// The public keys, checked against the fingerprint the server gave with them.
    public func publicKeys() throws -> (keys: DevicePublicKeysValue, fingerprint: KeyFingerprint) {
        guard let encryption = Data(base64Encoded: encryptionPublicKey), let signing = Data(base64Encoded: signingPublicKey),
            let fingerprint = KeyFingerprint(hex: fingerprint)
        else { throw DeviceClientError.unexpectedAnswer(status: 200) }
        return (DevicePublicKeysValue(encryption: [UInt8](encryption), signing: [UInt8](signing)), fingerprint)
    }
}

/// Two raw public keys, before the envelope layer has checked them.
public struct DevicePublicKeysValue: Sendable, Hashable {
    public var encryption: [UInt8]
    public var signing: [UInt8]
}

/// `GET /v1/users/{user}/keys`.
public struct UserKeys: Sendable, Hashable, Codable {
    public var userID: UserID
    public var handle: String
    public var keys: [KeyInfo]

    enum CodingKeys: String, CodingKey {
        case handle, keys
        case userID = "user_id"
    }
}

/// The body of `POST /v1/assignments`.
public struct DispatchRequest: Sendable, Hashable, Codable {
    public var id: AssignmentID
    public var recipientID: UserID
    public var title: String
    public var coordinatorNotes: String?
    public var priority: Priority?
    public var isUrgent: Bool?
    public var requiresConsent: Bool?
    public var geographicRegion: String?
    public var expiresAt: Date?
    public var contactDeadlineAt: Date?
    public var envelope: String

    enum CodingKeys: String, CodingKey {
        case id, title, priority, envelope
        case recipientID = "recipient_id"
        case coordinatorNotes = "coordinator_notes"
        case isUrgent = "is_urgent"
        case requiresConsent = "requires_consent"
        case geographicRegion = "geographic_region"
        case expiresAt = "expires_at"
        case contactDeadlineAt = "contact_deadline_at"
    }
}

/// An assignment's metadata as the server shows it.
public struct AssignmentInfo: Sendable, Hashable, Codable {
    public var id: AssignmentID
    public var organizationID: OrganizationID
    public var coordinatorID: UserID
    public var peerMentorID: UserID
    public var title: String
    public var coordinatorNotes: String?
    public var status: AssignmentStatus
    public var priority: Priority
    public var isUrgent: Bool
    public var requiresConsent: Bool
    public var consentGivenAt: Date?
    public var dispatchedAt: Date?
    public var deliveredAt: Date?
    public var readAt: Date?
    public var acknowledgedAt: Date?
    public var contactMadeAt: Date?
    public var completedAt: Date?
    public var cancelledAt: Date?
    public var expiresAt: Date?
    public var contactDeadlineAt: Date?
    public var payloadDestroyed: Bool

    enum CodingKeys: String, CodingKey {
        case id, title, status, priority
        case organizationID = "organization_id"
        case coordinatorID = "coordinator_id"
        case peerMentorID = "peer_mentor_id"
        case coordinatorNotes = "coordinator_notes"
        case isUrgent = "is_urgent"
        case requiresConsent = "requires_consent"
        case consentGivenAt = "consent_given_at"
        case dispatchedAt = "dispatched_at"
        case deliveredAt = "delivered_at"
        case readAt = "read_at"
        case acknowledgedAt = "acknowledged_at"
        case contactMadeAt = "contact_made_at"
        case completedAt = "completed_at"
        case cancelledAt = "cancelled_at"
        case expiresAt = "expires_at"
        case contactDeadlineAt = "contact_deadline_at"
        case payloadDestroyed = "payload_destroyed"
    }
}

/// The answer to a dispatch: the assignment and the personal-data warnings for its title and notes.
public struct DispatchedAssignment: Sendable, Hashable, Codable {
    public var assignment: AssignmentInfo
    public var warnings: [PersonalDataFinding]
}

/// The status overview's filters and page (`GET /v1/assignments`).
public struct OverviewQuery: Sendable, Hashable {
    public var status: AssignmentStatus?
    public var peerMentor: String?
    public var region: String?
    public var overdue: Bool?
    public var limit: Int?
    public var cursor: String?

    public init(status: AssignmentStatus? = nil, peerMentor: String? = nil, region: String? = nil, overdue: Bool? = nil, limit: Int? = nil, cursor: String? = nil) {
        self.status = status
        self.peerMentor = peerMentor
        self.region = region
        self.overdue = overdue
        self.limit = limit
        self.cursor = cursor
    }

    var queryString: String {
        var items: [URLQueryItem] = []
        if let status { items.append(.init(name: "status", value: status.rawValue)) }
        if let peerMentor { items.append(.init(name: "peer_mentor", value: peerMentor)) }
        if let region { items.append(.init(name: "region", value: region)) }
        if let overdue { items.append(.init(name: "overdue", value: String(overdue))) }
        if let limit { items.append(.init(name: "limit", value: String(limit))) }
        if let cursor { items.append(.init(name: "cursor", value: cursor)) }
        guard !items.isEmpty else { return "" }
        var components = URLComponents()
        components.queryItems = items
        // URLComponents leaves "+" alone, which a server reads as a space.
        return "?" + (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
    }
}

/// One line of the status overview.
public struct OverviewItem: Sendable, Hashable, Codable {
    public var id: AssignmentID
    public var title: String
    public var status: AssignmentStatus
    public var coordinatorID: UserID
    public var peerMentorID: UserID
    public var peerMentorHandle: String
    public var geographicRegion: String?
    public var priority: Priority
    public var isUrgent: Bool
    public var requiresConsent: Bool
    public var consentGivenAt: Date?
    public var dispatchedAt: Date?
    public var contactMadeAt: Date?
    public var contactDeadline: Date
    public var overdue: Bool
    public var reminderCount: Int
    public var expiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, title, status, priority, overdue
        case coordinatorID = "coordinator_id"
        case peerMentorID = "peer_mentor_id"
        case peerMentorHandle = "peer_mentor_handle"
        case geographicRegion = "geographic_region"
        case isUrgent = "is_urgent"
        case requiresConsent = "requires_consent"
        case consentGivenAt = "consent_given_at"
        case dispatchedAt = "dispatched_at"
        case contactMadeAt = "contact_made_at"
        case contactDeadline = "contact_deadline"
        case reminderCount = "reminder_count"
        case expiresAt = "expires_at"
    }
}

/// A page of the status overview.
public struct OverviewPage: Sendable, Hashable, Codable {
    public var asOf: Date
    public var counts: [String: Int]
    public var overdueCount: Int
    public var assignments: [OverviewItem]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case counts, assignments
        case asOf = "as_of"
        case overdueCount = "overdue_count"
        case nextCursor = "next_cursor"
    }
}

/// A user's live calendar feed (`GET /v1/users/{user}/feed`): never its address.
public struct FeedInfo: Sendable, Hashable, Codable {
    public var id: UUID
    public var userID: UserID
    public var handle: String
    public var language: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, handle, language
        case userID = "user_id"
        case createdAt = "created_at"
    }
}

/// A feed just made or rotated (`POST /v1/users/{user}/feed`): the only answer with its address.
public struct FeedAddressInfo: Sendable, Hashable, Codable {
    public var feed: FeedInfo
    public var url: String
    public var webcalURL: String
    public var replaced: Bool

    enum CodingKeys: String, CodingKey {
        case feed, url, replaced
        case webcalURL = "webcal_url"
    }
}
