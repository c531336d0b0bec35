import Foundation

/// What a notification is about. A notification carries only its kind and references (ids), never
/// text about the case: the words people see come from `Templates/` on delivery.
public enum NotificationKind: String, Sendable, Hashable, Codable, CaseIterable {
    case assignmentDispatched = "assignment_dispatched"
    case assignmentDelivered = "assignment_delivered"
    case assignmentRead = "assignment_read"
    case assignmentAcknowledged = "assignment_acknowledged"
    case assignmentConsentGiven = "assignment_consent_given"
    case assignmentContactMade = "assignment_contact_made"
    case assignmentCompleted = "assignment_completed"
    case assignmentCancelled = "assignment_cancelled"
    case assignmentExpired = "assignment_expired"
    /// To the coordinator: the peer mentor declined on the teaser (no reason in the text).
    case assignmentDeclined = "assignment_declined"
    /// Reminder to the peer mentor: no contact made yet.
    case contactReminder = "contact_reminder"
    /// To the coordinator, with each reminder: the peer mentor has not made contact.
    case contactOverdue = "contact_overdue"
    /// To the organisation admins, after the last reminder went unanswered.
    case contactEscalation = "contact_escalation"
    /// To the organisation admins: a peer mentor reached an honorarium tier.
    case honorariumTierReached = "honorarium_tier_reached"
}

/// One notification to queue: what happened, and who is told.
public struct PlannedNotification: Sendable, Hashable {
    public var kind: NotificationKind
    public var recipient: UserID

    public init(kind: NotificationKind, recipient: UserID) {
        self.kind = kind
        self.recipient = recipient
    }
}

/// Who is told about what happened to an assignment: "the other side".
///
/// - Dispatch tells the peer mentor that an assignment waits for them.
/// - What the peer mentor does (delivery, read, acknowledgement, consent, contact, completion) is
///   told to the coordinator who dispatched it: these are the receipts the coordinator follows.
/// - A cancellation tells the peer mentor; if someone other than the dispatching coordinator
///   cancelled (an organisation admin), that coordinator is told too.
/// - Expiry (the system) tells both.
///
/// Whoever acted is never notified of their own action.
public enum NotificationPlan {
    /// The notifications for `assignment` (as it is after the change) having reached its status,
    /// coming from `previous`, because of `actor`.
    public static func statusChanged(_ assignment: Assignment, from previous: AssignmentStatus?, by actor: Principal) -> [PlannedNotification] {
        guard previous != assignment.status else { return [] }
        let kind: NotificationKind
        var recipients: [UserID]
        switch assignment.status {
        case .draft: return []
        case .dispatched: kind = .assignmentDispatched; recipients = [assignment.peerMentorID]
        case .delivered: kind = .assignmentDelivered; recipients = [assignment.coordinatorID]
        case .read: kind = .assignmentRead; recipients = [assignment.coordinatorID]
        case .acknowledged: kind = .assignmentAcknowledged; recipients = [assignment.coordinatorID]
        case .completed: kind = .assignmentCompleted; recipients = [assignment.coordinatorID]
        case .cancelled: kind = .assignmentCancelled; recipients = [assignment.peerMentorID, assignment.coordinatorID]
        case .expired: kind = .assignmentExpired; recipients = [assignment.peerMentorID, assignment.coordinatorID]
        case .declined: kind = .assignmentDeclined; recipients = [assignment.coordinatorID]
        }
        return plan(kind, to: recipients, except: actor)
    }

    /// The notifications for the peer mentor having recorded contact.
    public static func contactMade(_ assignment: Assignment, by actor: Principal) -> [PlannedNotification] {
        plan(.assignmentContactMade, to: [assignment.coordinatorID], except: actor)
    }

    /// The notifications for the peer mentor having given consent to receive the case.
    public static func consentGiven(_ assignment: Assignment, by actor: Principal) -> [PlannedNotification] {
        plan(.assignmentConsentGiven, to: [assignment.coordinatorID], except: actor)
    }

    private static func plan(_ kind: NotificationKind, to recipients: [UserID], except actor: Principal) -> [PlannedNotification] {
        var seen = Set<UserID>()
        return recipients.filter { $0 != actor.userID && seen.insert($0).inserted }.map { PlannedNotification(kind: kind, recipient: $0) }
    }
}

/// Where an organisation's notifications may be posted: `https://`, or `http://` only to this
/// machine (`localhost`, `127.0.0.1`, `[::1]`) for a receiver running beside the server.
public enum WebhookAddress {
    public static func validate(_ text: String) throws -> String {
        let clean = text.trimmingCharacters(in: .whitespaces)
        guard (10...500).contains(clean.utf8.count), let url = URL(string: clean), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased(),
            !host.isEmpty, url.user == nil, url.password == nil, clean.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7f })
        else {
            throw DomainError.settingInvalid(name: "webhook_url", problem: "must be a full https:// address without spaces or a user name")
        }
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host)
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw DomainError.settingInvalid(name: "webhook_url", problem: "must use https:// (plain http:// only to localhost)")
        }
        return clean
    }
}
