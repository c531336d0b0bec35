import Foundation

/// Every way a domain rule can refuse a request.
///
/// Each case has a stable ``code`` (the `code` member of the API's problem+json answers, and what
/// clients switch on) and a ``message`` a person understands. Neither ever contains personal data:
/// a rule that finds a phone number in a title says where it is, never what it is.
public enum DomainError: Error, Sendable, Hashable {
    // Tenancy and roles
    /// Another organisation's object, or one that does not exist: the two are indistinguishable.
    case notFound
    case coordinatorRoleRequired
    /// A compliance officer asked for assignments: the role sees none (only their ids in the audit).
    case assignmentsNotInRole
    case outsideCoordinatorScope
    case senderNotActive(UserStatus)
    case moduleDisabled

    // Recipient and keys
    case recipientNotPeerMentor
    case recipientNotActive(UserStatus)
    case recipientCertificationExpired
    case recipientHasNoKey
    case keyFingerprintMismatch
    case keyRevoked
    case keyRetired

    // Lifecycle
    case invalidTransition(from: AssignmentStatus, to: AssignmentStatus)
    case actorNotPermitted(from: AssignmentStatus, to: AssignmentStatus)
    case reasonRequired
    case expiryNotReached
    case contactNotAllowed(AssignmentStatus)
    case contactAlreadyRecorded
    case timestampNotMonotonic
    /// A decryption receipt dated after the server's now or before the dispatch (beyond the tolerance).
    case openingTimeImpossible

    // Text fields
    case personalDataInText(field: String, findings: [PersonalDataFinding])
    case textInvalid(field: String, problem: String)

    // Schedule
    case expiryNotAfterDispatch
    /// The expiry is later than the organisation's longest assignment lifetime allows.
    case expiryBeyondLifetime(days: Int)
    case contactDeadlineNotAfterDispatch
    case contactDeadlineAfterExpiry

    // Payload access
    case consentRequired
    case consentNotApplicable
    case payloadExpired
    case payloadCancelled
    case payloadDestroyed
    /// The peer mentor declined: the case is destroyed.
    case payloadDeclined
    /// A decline names a reason from the fixed list (``DeclineReason``).
    case declineReasonInvalid

    // Settings
    case settingInvalid(name: String, problem: String)
    /// An erasure receipt for an assignment that is still open (nothing may be erased yet).
    case erasureNotDue
    /// An erasure receipt dated in the future or before the dispatch.
    case erasureTimeImpossible
    /// An erasure receipt whose signature does not verify with the device's registered key.
    case erasureSignatureInvalid
    /// Reassigning an assignment that is completed, cancelled, expired, or declined too long ago.
    case reassignNotAllowed(AssignmentStatus)
    /// The assignment was reassigned already (to the assignment named).
    case alreadyReassigned(to: AssignmentID)
    /// Reassigning to the peer mentor who has it.
    case reassignToSamePeerMentor
    /// Compliance records (erasure confirmations) are for organisation admins and compliance officers.
    case complianceRoleRequired
    /// The organisation requires format 2 (post-quantum) envelopes, and this one is format 1.
    case postQuantumRequired
    /// A format 2 envelope names a device key without an X-Wing key.
    case recipientKeyNotPostQuantum

    /// The stable machine-readable code.
    public var code: String {
        switch self {
        case .notFound: "not_found"
        case .coordinatorRoleRequired: "coordinator_role_required"
        case .assignmentsNotInRole: "assignments_not_in_role"
        case .outsideCoordinatorScope: "outside_coordinator_scope"
        case .senderNotActive: "sender_not_active"
        case .moduleDisabled: "module_disabled"
        case .recipientNotPeerMentor: "recipient_not_peer_mentor"
        case .recipientNotActive: "recipient_not_active"
        case .recipientCertificationExpired: "recipient_certification_expired"
        case .recipientHasNoKey: "recipient_has_no_key"
        case .keyFingerprintMismatch: "key_fingerprint_mismatch"
        case .keyRevoked: "key_revoked"
        case .keyRetired: "key_retired"
        case .invalidTransition: "invalid_transition"
        case .actorNotPermitted: "actor_not_permitted"
        case .reasonRequired: "reason_required"
        case .expiryNotReached: "expiry_not_reached"
        case .contactNotAllowed: "contact_not_allowed"
        case .contactAlreadyRecorded: "contact_already_recorded"
        case .timestampNotMonotonic: "timestamp_not_monotonic"
        case .openingTimeImpossible: "opened_at_impossible"
        case .personalDataInText: "personal_data_in_text"
        case .textInvalid: "text_invalid"
        case .expiryNotAfterDispatch: "expiry_not_after_dispatch"
        case .expiryBeyondLifetime: "expiry_beyond_lifetime"
        case .contactDeadlineNotAfterDispatch: "contact_deadline_not_after_dispatch"
        case .contactDeadlineAfterExpiry: "contact_deadline_after_expiry"
        case .consentRequired: "consent_required"
        case .consentNotApplicable: "consent_not_applicable"
        case .payloadExpired: "payload_expired"
        case .payloadCancelled: "payload_cancelled"
        case .payloadDestroyed: "payload_destroyed"
        case .payloadDeclined: "payload_declined"
        case .declineReasonInvalid: "decline_reason_invalid"
        case .settingInvalid: "setting_invalid"
        case .erasureNotDue: "erasure_not_due"
        case .erasureTimeImpossible: "erased_at_impossible"
        case .erasureSignatureInvalid: "erasure_signature_invalid"
        case .reassignNotAllowed: "reassign_not_allowed"
        case .alreadyReassigned: "already_reassigned"
        case .reassignToSamePeerMentor: "reassign_to_same_peer_mentor"
        case .complianceRoleRequired: "compliance_role_required"
        case .postQuantumRequired: "post_quantum_required"
        case .recipientKeyNotPostQuantum: "recipient_key_not_post_quantum"
        }
    }

    /// One or two plain sentences for the person who made the request.
    public var message: String {
        switch self {
        case .notFound:
            "No such object in your organisation."
        case .coordinatorRoleRequired:
            "Only coordinators and organisation admins can dispatch assignments."
        case .assignmentsNotInRole:
            "Compliance officers see the audit, sweeps and reports, not the assignments themselves."
        case .outsideCoordinatorScope:
            "You coordinate another local association: you can only dispatch within your own."
        case .senderNotActive(let status):
            "Your account is \(status.rawValue): it cannot dispatch assignments."
        case .moduleDisabled:
            "Encrypted assignments are switched off for this organisation."
        case .recipientNotPeerMentor:
            "The recipient is not a peer mentor."
        case .recipientNotActive(let status):
            "The peer mentor is \(status.rawValue) and cannot receive assignments. Check their status with an organisation admin."
        case .recipientCertificationExpired:
            "The peer mentor's certification has expired, so they cannot receive assignments."
        case .recipientHasNoKey:
            "The peer mentor has no registered device key yet: ask them to register their device first."
        case .keyFingerprintMismatch:
            "The envelope is sealed to a key that is not one of the peer mentor's active device keys. Fetch their keys again and verify the fingerprint."
        case .keyRevoked:
            "The envelope is sealed to a revoked device key."
        case .keyRetired:
            "The envelope is sealed to a retired device key: new assignments go to active keys only."
        case .invalidTransition(let from, let to):
            "An assignment cannot go from \(from.rawValue) to \(to.rawValue)."
        case .actorNotPermitted(let from, let to):
            "You are not allowed to move this assignment from \(from.rawValue) to \(to.rawValue)."
        case .reasonRequired:
            "A reason is required."
        case .expiryNotReached:
            "The assignment has not reached its expiry time yet."
        case .contactNotAllowed(let status):
            "Contact can only be recorded after the assignment has been read; it is \(status.rawValue)."
        case .contactAlreadyRecorded:
            "Contact has already been recorded for this assignment."
        case .timestampNotMonotonic:
            "A change cannot be dated before the assignment's previous change."
        case .openingTimeImpossible:
            "The time the case was opened is in the future or before the assignment was sent: check the device's clock."
        case .personalDataInText(let field, let findings):
            "The \(field) seems to contain personal data (\(PersonalDataFinding.describe(findings))). "
                + "It is stored unencrypted: put personal details in the encrypted payload instead."
        case .textInvalid(let field, let problem):
            "The \(field) \(problem)."
        case .expiryNotAfterDispatch:
            "The expiry time must be after the dispatch time."
        case .expiryBeyondLifetime(let days):
            "The expiry time must be at most \(days) days after the dispatch: the organisation's longest assignment lifetime."
        case .contactDeadlineNotAfterDispatch:
            "The contact deadline must be after the dispatch time."
        case .contactDeadlineAfterExpiry:
            "The contact deadline must not be after the expiry time."
        case .consentRequired:
            "The peer mentor must give consent before the assignment can be opened."
        case .consentNotApplicable:
            "Consent is not asked for this assignment, or it can no longer be given."
        case .payloadExpired:
            "This assignment has expired; its contents have been destroyed."
        case .payloadCancelled:
            "This assignment was cancelled; its contents have been destroyed."
        case .payloadDestroyed:
            "The contents of this assignment have been destroyed."
        case .payloadDeclined:
            "This assignment was declined; its contents have been destroyed."
        case .declineReasonInvalid:
            "A decline needs one of these reasons: \(DeclineReason.allCases.map(\.rawValue).joined(separator: ", "))."
        case .settingInvalid(let name, let problem):
            "The setting \(name) \(problem)."
        case .erasureNotDue:
            "This assignment is still open, so its copy must be kept: there is no erasure to confirm yet."
        case .erasureTimeImpossible:
            "The time of the erasure is in the future or before the assignment was sent: check the device's clock."
        case .erasureSignatureInvalid:
            "The erasure receipt's signature does not match the device's registered key."
        case .reassignNotAllowed(let status):
            status == .declined
                ? "This assignment was declined more than \(Reassignment.declinedWindowDays) days ago; send the case again as a new assignment."
                : "A \(status.rawValue) assignment cannot be reassigned; only an open or recently declined one can."
        case .alreadyReassigned(let id):
            "This assignment has been reassigned already, as assignment \(id)."
        case .reassignToSamePeerMentor:
            "The assignment is already with this peer mentor: choose someone else (dispatch suggest lists who could take it)."
        case .complianceRoleRequired:
            "Only organisation admins and compliance officers can see the erasure confirmations."
        case .postQuantumRequired:
            "This organisation requires post-quantum envelopes (format 2), and a device this was sealed to has no post-quantum key. "
                + "The peer mentor (or you) must update the program, run 'dispatch keys upgrade' and register the device again "
                + "('dispatch keys register'); then send it again."
        case .recipientKeyNotPostQuantum:
            "A format 2 envelope is sealed to a device key that has no post-quantum (X-Wing) key. Fetch the keys again and send it again."
        }
    }
}

extension DomainError {
    /// One value of every case, for the tests that check codes and HTTP statuses case by case, and
    /// for documentation. A new case belongs here too.
    public static let oneOfEach: [DomainError] = [
        .notFound, .coordinatorRoleRequired, .outsideCoordinatorScope, .senderNotActive(.paused), .moduleDisabled,
        .recipientNotPeerMentor, .recipientNotActive(.paused), .recipientCertificationExpired, .recipientHasNoKey,
        .keyFingerprintMismatch, .keyRevoked, .keyRetired, .invalidTransition(from: .read, to: .draft),
        .actorNotPermitted(from: .read, to: .acknowledged), .reasonRequired, .expiryNotReached, .contactNotAllowed(.draft),
        .contactAlreadyRecorded, .timestampNotMonotonic, .openingTimeImpossible, .personalDataInText(field: "title", findings: []),
        .textInvalid(field: "title", problem: "is required"), .expiryNotAfterDispatch, .expiryBeyondLifetime(days: 90), .contactDeadlineNotAfterDispatch,
        .contactDeadlineAfterExpiry, .consentRequired, .consentNotApplicable, .payloadExpired, .payloadCancelled, .payloadDestroyed,
        .settingInvalid(name: "time_zone", problem: "is not a known time zone"), .erasureNotDue, .erasureTimeImpossible, .erasureSignatureInvalid,
        .reassignNotAllowed(.completed), .alreadyReassigned(to: AssignmentID(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)))),
        .reassignToSamePeerMentor, .complianceRoleRequired, .postQuantumRequired, .recipientKeyNotPostQuantum,
    ]
}

extension DomainError: CustomStringConvertible {
    public var description: String { "\(code): \(message)" }
}
