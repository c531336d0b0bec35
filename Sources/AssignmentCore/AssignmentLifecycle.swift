import Foundation

/// How a principal stands to one assignment. A user can stand in several ways at once (an
/// organisation admin who dispatched the assignment is both ``dispatchingCoordinator`` and
/// ``organizationAdmin``).
public enum LifecycleParty: String, Sendable, Hashable, CaseIterable {
    /// The peer mentor the assignment was sent to (their device, for delivery and read receipts).
    case recipient
    /// The coordinator who created and dispatched it.
    case dispatchingCoordinator = "dispatching_coordinator"
    /// An organisation admin (or global admin) of the assignment's organisation.
    case organizationAdmin = "organization_admin"
    /// The scheduler's sweeps.
    case system

    /// The ways `principal` stands to `assignment`. Empty when they have no part in it; `nil` when
    /// the assignment belongs to another organisation, which must look the same as not existing.
    public static func parties(of principal: Principal, in assignment: Assignment) -> Set<LifecycleParty>? {
        switch principal {
        case .system:
            return [.system]
        case .user(let user):
            guard user.organizationID == assignment.organizationID else { return nil }
            var parties: Set<LifecycleParty> = []
            if user.userID == assignment.peerMentorID { parties.insert(.recipient) }
            if user.userID == assignment.coordinatorID, user.role.dispatches { parties.insert(.dispatchingCoordinator) }
            if user.role.administersOrganization { parties.insert(.organizationAdmin) }
            return parties
        }
    }
}

/// A timestamp column that a transition sets.
public enum LifecycleTimestamp: String, Sendable, Hashable, CaseIterable {
    case dispatchedAt = "dispatched_at"
    case deliveredAt = "delivered_at"
    case readAt = "read_at"
    case acknowledgedAt = "acknowledged_at"
    case completedAt = "completed_at"
    case cancelledAt = "cancelled_at"
    case declinedAt = "declined_at"
}

/// One row of the transition table.
public struct LifecycleTransitionRule: Sendable, Hashable {
    public var from: AssignmentStatus
    public var to: AssignmentStatus
    /// Who may make the move; any one of them is enough.
    public var parties: Set<LifecycleParty>
    /// Set to the time of the move when still empty; a later state implies the earlier timestamps,
    /// so reading an assignment that was never reported delivered sets both.
    public var sets: [LifecycleTimestamp]
    public var requiresReason: Bool
}

/// The result of a permitted move: the changed assignment and the event to record with it.
public struct LifecycleTransition: Sendable, Hashable {
    public var assignment: Assignment
    public var event: AssignmentEvent
}

/// The assignment lifecycle of DESIGN.md §4 as one table, and the single function that applies it.
///
/// The database enforces the same (from, to) pairs in a trigger (see `Migrations`), and a test checks
/// that the two tables agree, so no code path can skip a rule.
public enum AssignmentLifecycle {
    private static let beforeCompletion: [AssignmentStatus] = [.draft, .dispatched, .delivered, .read, .acknowledged]

    /// Every permitted transition. Anything not listed is refused with `invalid_transition`.
    public static let rules: [LifecycleTransitionRule] = {
        var rules: [LifecycleTransitionRule] = [
            .init(from: .draft, to: .dispatched, parties: [.dispatchingCoordinator], sets: [.dispatchedAt], requiresReason: false),
            .init(from: .dispatched, to: .delivered, parties: [.recipient], sets: [.deliveredAt], requiresReason: false),
            .init(from: .dispatched, to: .read, parties: [.recipient], sets: [.deliveredAt, .readAt], requiresReason: false),
            .init(from: .delivered, to: .read, parties: [.recipient], sets: [.readAt], requiresReason: false),
            .init(from: .read, to: .acknowledged, parties: [.recipient], sets: [.acknowledgedAt], requiresReason: false),
            .init(from: .acknowledged, to: .completed, parties: [.recipient, .dispatchingCoordinator], sets: [.completedAt], requiresReason: false),
        ]
        for from in beforeCompletion {
            rules.append(.init(from: from, to: .cancelled, parties: [.dispatchingCoordinator, .organizationAdmin], sets: [.cancelledAt], requiresReason: true))
        }
        for from in AssignmentStatus.open.sorted(by: { $0.rawValue < $1.rawValue }) {
            rules.append(.init(from: from, to: .expired, parties: [.system], sets: [], requiresReason: false))
        }
        // On the teaser only: once the case has been read, declining is no longer possible.
        for from in [AssignmentStatus.dispatched, .delivered] {
            rules.append(.init(from: from, to: .declined, parties: [.recipient], sets: [.declinedAt], requiresReason: true))
        }
        return rules
    }()

    public static func rule(from: AssignmentStatus, to: AssignmentStatus) -> LifecycleTransitionRule? {
        rules.first { $0.from == from && $0.to == to }
    }

    /// Moves `assignment` to `status` on behalf of `principal` at `time`, or throws the rule it breaks.
    ///
    /// Checks, in order: the assignment is visible to the principal (else `not_found`), the move is
    /// in the table (else `invalid_transition`), the principal is one of the parties allowed to make
    /// it (else `actor_not_permitted`), a reason is given where one is needed, expiry has been
    /// reached for `expired`, and `time` is not before the previous change.
    public static func transition(
        _ assignment: Assignment,
        to status: AssignmentStatus,
        by principal: Principal,
        at time: Date,
        reason: String? = nil,
        screen: PersonalDataScreen = PersonalDataScreen()
    ) throws -> LifecycleTransition {
        guard let parties = LifecycleParty.parties(of: principal, in: assignment) else { throw DomainError.notFound }
        guard let rule = rule(from: assignment.status, to: status) else {
            throw DomainError.invalidTransition(from: assignment.status, to: status)
        }
        guard !rule.parties.isDisjoint(with: parties) else {
            throw DomainError.actorNotPermitted(from: assignment.status, to: status)
        }
        var cleanReason: String?
        var declineReason: DeclineReason?
        if status == .declined {
            guard let reason, let known = DeclineReason(rawValue: reason) else { throw DomainError.declineReasonInvalid }
            declineReason = known
            cleanReason = known.rawValue
        } else if rule.requiresReason {
            let text = try FreeText.reason.validate(reason ?? "")
            _ = try screen.require(text, isFreeOf: FreeText.reason.fieldName)
            cleanReason = text
        }
        if status == .expired {
            guard let expiresAt = assignment.expiresAt, time >= expiresAt else { throw DomainError.expiryNotReached }
        }
        guard time >= assignment.lastStateChangeAt else { throw DomainError.timestampNotMonotonic }

        var next = assignment
        next.status = status
        for timestamp in rule.sets {
            switch timestamp {
            case .dispatchedAt: next.dispatchedAt = next.dispatchedAt ?? time
            case .deliveredAt: next.deliveredAt = next.deliveredAt ?? time
            case .readAt: next.readAt = next.readAt ?? time
            case .acknowledgedAt: next.acknowledgedAt = next.acknowledgedAt ?? time
            case .completedAt: next.completedAt = next.completedAt ?? time
            case .cancelledAt: next.cancelledAt = next.cancelledAt ?? time
            case .declinedAt: next.declinedAt = next.declinedAt ?? time
            }
        }
        if status == .cancelled { next.cancellationReason = cleanReason }
        if status == .declined { next.declineReason = declineReason }
        if status.isTerminal { next.nextReminderAt = nil }
        next.lastStateChangeAt = time
        next.updatedAt = time
        let event = AssignmentEvent(
            assignmentID: assignment.id,
            kind: .statusChanged(from: assignment.status, to: status),
            actorID: principal.userID,
            actorRole: principal.roleName,
            occurredAt: time,
            reason: cleanReason
        )
        return LifecycleTransition(assignment: next, event: event)
    }

    /// Records the peer mentor's consent to see the case, where the coordinator asked for it. Only
    /// the recipient gives it, once, while the assignment is open; until then the envelope is not
    /// handed out (``PayloadAccess``). Giving it again changes nothing.
    public static func giveConsent(_ assignment: Assignment, by principal: Principal, at time: Date) throws -> Assignment {
        guard let parties = LifecycleParty.parties(of: principal, in: assignment) else { throw DomainError.notFound }
        guard parties.contains(.recipient) else { throw DomainError.actorNotPermitted(from: assignment.status, to: assignment.status) }
        guard assignment.requiresConsent, assignment.status.isOpen else { throw DomainError.consentNotApplicable }
        guard assignment.consentGivenAt == nil else { return assignment }
        guard time >= assignment.lastStateChangeAt else { throw DomainError.timestampNotMonotonic }
        var next = assignment
        next.consentGivenAt = time
        next.updatedAt = max(assignment.updatedAt, time)
        return next
    }

    /// Records the peer mentor's first contact with the person helped. It changes no status, stops
    /// reminders, and is allowed once, by the recipient, after the assignment has been read.
    public static func recordContact(_ assignment: Assignment, by principal: Principal, at time: Date) throws -> LifecycleTransition {
        guard let parties = LifecycleParty.parties(of: principal, in: assignment) else { throw DomainError.notFound }
        guard assignment.status == .read || assignment.status == .acknowledged else {
            throw DomainError.contactNotAllowed(assignment.status)
        }
        guard parties.contains(.recipient) else {
            throw DomainError.actorNotPermitted(from: assignment.status, to: assignment.status)
        }
        guard assignment.contactMadeAt == nil else { throw DomainError.contactAlreadyRecorded }
        guard time >= assignment.lastStateChangeAt else { throw DomainError.timestampNotMonotonic }
        var next = assignment
        next.contactMadeAt = time
        next.nextReminderAt = nil
        next.updatedAt = time
        let event = AssignmentEvent(
            assignmentID: assignment.id,
            kind: .contactMade,
            actorID: principal.userID,
            actorRole: principal.roleName,
            occurredAt: time,
            reason: nil
        )
        return LifecycleTransition(assignment: next, event: event)
    }
}
