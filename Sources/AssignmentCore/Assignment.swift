import Foundation

/// The metadata of one assignment: everything about it except the encrypted envelope.
///
/// Nothing here may hold personal data: `title` and `coordinatorNotes` are screened by
/// ``PersonalDataScreen`` before they are accepted, and the person helped is referred to only by
/// ``contactID``. The name, address and epikrise live in the envelope, which only the recipient's
/// device can open.
public struct Assignment: Sendable, Hashable, Codable {
    public var id: AssignmentID
    public var organizationID: OrganizationID
    public var localAssociationID: LocalAssociationID?
    public var coordinatorID: UserID
    public var peerMentorID: UserID
    public var contactID: ContactID?

    public var title: String
    public var assignmentType: String
    public var priority: Priority
    public var isUrgent: Bool
    public var geographicRegion: String?
    public var sourceRef: String?
    public var coordinatorNotes: String?

    public var requiresConsent: Bool
    public var consentGivenAt: Date?

    public var status: AssignmentStatus
    public var dispatchedAt: Date?
    public var deliveredAt: Date?
    public var readAt: Date?
    public var acknowledgedAt: Date?
    public var contactMadeAt: Date?
    public var completedAt: Date?
    public var cancelledAt: Date?
    public var cancellationReason: String?
    /// When the peer mentor declined, and why (``AssignmentStatus/declined``).
    public var declinedAt: Date?
    public var declineReason: DeclineReason?
    public var expiresAt: Date?
    public var contactDeadlineAt: Date?
    public var payloadDestroyedAt: Date?
    /// The assignment this one was sent again from, to another peer mentor (``Reassignment``).
    public var reassignedFrom: AssignmentID?

    public var reminderCount: Int
    public var reminderSentAt: Date?
    public var nextReminderAt: Date?

    public var honorariumEligible: Bool
    public var countedForHonorarium: Bool
    public var thresholdSequenceNumber: Int?

    public var createdAt: Date
    public var updatedAt: Date
    public var lastStateChangeAt: Date

    public init(
        id: AssignmentID,
        organizationID: OrganizationID,
        localAssociationID: LocalAssociationID? = nil,
        coordinatorID: UserID,
        peerMentorID: UserID,
        contactID: ContactID? = nil,
        title: String,
        assignmentType: String = "peer_support",
        priority: Priority = .normal,
        isUrgent: Bool = false,
        geographicRegion: String? = nil,
        sourceRef: String? = nil,
        coordinatorNotes: String? = nil,
        requiresConsent: Bool = false,
        status: AssignmentStatus = .draft,
        expiresAt: Date? = nil,
        contactDeadlineAt: Date? = nil,
        honorariumEligible: Bool = true,
        createdAt: Date
    ) {
        self.id = id
        self.organizationID = organizationID
        self.localAssociationID = localAssociationID
        self.coordinatorID = coordinatorID
        self.peerMentorID = peerMentorID
        self.contactID = contactID
        self.title = title
        self.assignmentType = assignmentType
        self.priority = priority
        self.isUrgent = isUrgent
        self.geographicRegion = geographicRegion
        self.sourceRef = sourceRef
        self.coordinatorNotes = coordinatorNotes
        self.requiresConsent = requiresConsent
        self.status = status
        self.expiresAt = expiresAt
        self.contactDeadlineAt = contactDeadlineAt
        self.reminderCount = 0
        self.honorariumEligible = honorariumEligible
        self.countedForHonorarium = false
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.lastStateChangeAt = createdAt
    }
}
