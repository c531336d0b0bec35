import AssignmentCore
import Foundation
import Testing

@Suite("Assignment lifecycle")
struct AssignmentLifecycleTests {
    let fixture = DomainFixture()

    /// The people a move can be attempted by, each standing differently to the assignment.
    enum Tryer: String, CaseIterable {
        case recipient, dispatchingCoordinator, otherCoordinator, organizationAdmin, globalAdmin, otherPeerMentor
        case foreignAdmin, foreignPeerMentor, system
    }

    func principal(_ tryer: Tryer) -> Principal {
        switch tryer {
        case .recipient: .user(fixture.peerMentor.context)
        case .dispatchingCoordinator: .user(fixture.coordinator.context)
        case .otherCoordinator: .user(fixture.otherCoordinator.context)
        case .organizationAdmin: .user(fixture.organizationAdmin.context)
        case .globalAdmin: .user(fixture.globalAdmin.context)
        case .otherPeerMentor: .user(fixture.otherPeerMentor.context)
        case .foreignAdmin: .user(fixture.foreignAdmin.context)
        case .foreignPeerMentor: .user(fixture.foreignPeerMentor.context)
        case .system: .system
        }
    }

    /// The specification of DESIGN.md §4, written out independently of `AssignmentLifecycle.rules`:
    /// every (from, to) that is allowed, and who may do it.
    static let allowed: [AssignmentStatus: [AssignmentStatus: Set<Tryer>]] = {
        let cancellers: Set<Tryer> = [.dispatchingCoordinator, .organizationAdmin, .globalAdmin]
        var table: [AssignmentStatus: [AssignmentStatus: Set<Tryer>]] = [
            .draft: [.dispatched: [.dispatchingCoordinator], .cancelled: cancellers],
            .dispatched: [.delivered: [.recipient], .read: [.recipient], .cancelled: cancellers, .expired: [.system], .declined: [.recipient]],
            .delivered: [.read: [.recipient], .cancelled: cancellers, .expired: [.system], .declined: [.recipient]],
            .read: [.acknowledged: [.recipient], .cancelled: cancellers, .expired: [.system]],
            .acknowledged: [.completed: [.recipient, .dispatchingCoordinator], .cancelled: cancellers, .expired: [.system]],
        ]
        for terminal in [AssignmentStatus.completed, .cancelled, .expired, .declined] { table[terminal] = [:] }
        return table
    }()

    @Test("every (from, to, actor) triple is allowed or refused with the right error")
    func everyTriple() throws {
        var checked = 0
        for from in AssignmentStatus.allCases {
            for to in AssignmentStatus.allCases {
                for tryer in Tryer.allCases {
                    // Expiry is reached, so only the table decides for `expired`.
                    let assignment = fixture.assignment(in: from, expiresAt: from == .draft ? nil : DomainFixture.epoch + 86_400 * 30)
                    let time = DomainFixture.epoch + 86_400 * 31
                    let outcome = Result {
                        try AssignmentLifecycle.transition(
                            assignment, to: to, by: principal(tryer), at: time, reason: to == .declined ? "no_capacity" : "Not needed any more")
                    }
                    let expected: DomainError? =
                        if [.foreignAdmin, .foreignPeerMentor].contains(tryer) { .notFound }
                        else if let parties = Self.allowed[from]?[to] { parties.contains(tryer) ? nil : .actorNotPermitted(from: from, to: to) }
                        else { .invalidTransition(from: from, to: to) }
                    switch (outcome, expected) {
                    case (.success(let transition), nil):
                        #expect(transition.assignment.status == to, "\(from)→\(to) by \(tryer)")
                        #expect(transition.event.kind == .statusChanged(from: from, to: to))
                        #expect(transition.event.actorID == principal(tryer).userID)
                        #expect(transition.assignment.lastStateChangeAt == time)
                    case (.failure(let error as DomainError), let expected?):
                        #expect(error == expected, "\(from)→\(to) by \(tryer)")
                    default:
                        Issue.record("\(from)→\(to) by \(tryer): got \(outcome), expected \(String(describing: expected))")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == AssignmentStatus.allCases.count * AssignmentStatus.allCases.count * Tryer.allCases.count)
    }

    @Test("each move sets its timestamp, and a later state implies the earlier ones")
    func timestamps() throws {
        let dispatched = fixture.assignment(in: .dispatched)
        let time = dispatched.lastStateChangeAt + 60
        let read = try AssignmentLifecycle.transition(dispatched, to: .read, by: .user(fixture.peerMentor.context), at: time).assignment
        #expect(read.deliveredAt == time)
        #expect(read.readAt == time)
        #expect(read.acknowledgedAt == nil)
        try TimestampOrder.check(read)

        let delivered = fixture.assignment(in: .delivered)
        let readLater = try AssignmentLifecycle.transition(delivered, to: .read, by: .user(fixture.peerMentor.context), at: time + 3600).assignment
        #expect(readLater.deliveredAt == delivered.deliveredAt, "an existing timestamp is never overwritten")

        let acknowledged = fixture.assignment(in: .acknowledged)
        let completionTime = acknowledged.lastStateChangeAt + 7200
        let completed = try AssignmentLifecycle.transition(acknowledged, to: .completed, by: .user(fixture.coordinator.context), at: completionTime)
        #expect(completed.assignment.completedAt == completionTime)
        #expect(completed.event.actorRole == "coordinator")
    }

    @Test("cancelling needs a reason free of personal data, and records it")
    func cancellationReason() throws {
        let assignment = fixture.assignment(in: .read)
        let admin = Principal.user(fixture.organizationAdmin.context)
        let time = assignment.lastStateChangeAt + 1
        #expect(throws: DomainError.textInvalid(field: "reason", problem: "is required")) {
            try AssignmentLifecycle.transition(assignment, to: .cancelled, by: admin, at: time, reason: "   ")
        }
        #expect {
            try AssignmentLifecycle.transition(assignment, to: .cancelled, by: admin, at: time, reason: "Ring 912 34 567 først")
        } throws: { ($0 as? DomainError)?.code == "personal_data_in_text" }
        let cancelled = try AssignmentLifecycle.transition(assignment, to: .cancelled, by: admin, at: time, reason: "  Sent twice  ")
        #expect(cancelled.assignment.cancellationReason == "Sent twice")
        #expect(cancelled.assignment.cancelledAt == time)
        #expect(cancelled.event.reason == "Sent twice")
    }

    @Test("declining takes a reason from the fixed list only, records it, and is closed like a cancellation; never after reading")
    func declining() throws {
        let mentor = Principal.user(fixture.peerMentor.context)
        for from in [AssignmentStatus.dispatched, .delivered] {
            let assignment = fixture.assignment(in: from)
            let time = assignment.lastStateChangeAt + 60
            for reason in [nil, "", "No capacity", "Ring 912 34 567", "NO_CAPACITY"] {
                #expect(throws: DomainError.declineReasonInvalid) { try AssignmentLifecycle.transition(assignment, to: .declined, by: mentor, at: time, reason: reason) }
            }
            for reason in DeclineReason.allCases {
                let declined = try AssignmentLifecycle.transition(assignment, to: .declined, by: mentor, at: time, reason: reason.rawValue)
                #expect(declined.assignment.status == .declined && declined.assignment.declineReason == reason && declined.assignment.declinedAt == time)
                #expect(declined.assignment.readAt == nil && declined.assignment.nextReminderAt == nil)
                #expect(declined.event.reason == reason.rawValue)
                #expect(declined.assignment.status.isTerminal && declined.assignment.status.destroysPayload && !declined.assignment.status.isOpen)
                #expect(throws: DomainError.payloadDeclined) { try PayloadAccess.check(declined.assignment, at: time) }
                #expect(NotificationPlan.statusChanged(declined.assignment, from: from, by: mentor).map(\.recipient) == [fixture.coordinator.id])
            }
        }
        #expect(throws: DomainError.invalidTransition(from: .read, to: .declined)) {
            try AssignmentLifecycle.transition(fixture.assignment(in: .read), to: .declined, by: mentor, at: DomainFixture.epoch + 86_400, reason: "no_capacity")
        }
    }

    @Test("the system expires an assignment only once its expiry time has come")
    func expiry() throws {
        let expiresAt = DomainFixture.epoch + 86_400 * 7
        let assignment = fixture.assignment(in: .delivered, expiresAt: expiresAt)
        #expect(throws: DomainError.expiryNotReached) {
            try AssignmentLifecycle.transition(assignment, to: .expired, by: .system, at: expiresAt - 1)
        }
        let expired = try AssignmentLifecycle.transition(assignment, to: .expired, by: .system, at: expiresAt)
        #expect(expired.assignment.status == .expired)
        #expect(expired.event.actorID == nil)
        #expect(expired.event.actorRole == "system")
        let noExpiry = fixture.assignment(in: .delivered)
        #expect(throws: DomainError.expiryNotReached) {
            try AssignmentLifecycle.transition(noExpiry, to: .expired, by: .system, at: DomainFixture.epoch + 86_400 * 365)
        }
    }

    @Test("a move dated before the previous change is refused")
    func monotonicTime() throws {
        let assignment = fixture.assignment(in: .delivered)
        #expect(throws: DomainError.timestampNotMonotonic) {
            try AssignmentLifecycle.transition(assignment, to: .read, by: .user(fixture.peerMentor.context), at: assignment.lastStateChangeAt - 1)
        }
    }

    @Test("contact is recorded once, by the recipient, after reading, and stops reminders")
    func contact() throws {
        let mentor = Principal.user(fixture.peerMentor.context)
        var read = fixture.assignment(in: .read)
        read.nextReminderAt = read.lastStateChangeAt + 86_400
        let time = read.lastStateChangeAt + 60
        let contacted = try AssignmentLifecycle.recordContact(read, by: mentor, at: time)
        #expect(contacted.assignment.contactMadeAt == time)
        #expect(contacted.assignment.nextReminderAt == nil)
        #expect(contacted.assignment.status == .read)
        #expect(contacted.event.kind == .contactMade)
        #expect(throws: DomainError.contactAlreadyRecorded) { try AssignmentLifecycle.recordContact(contacted.assignment, by: mentor, at: time + 1) }
        #expect(throws: DomainError.contactNotAllowed(.delivered)) {
            try AssignmentLifecycle.recordContact(fixture.assignment(in: .delivered), by: mentor, at: time)
        }
        #expect(throws: DomainError.actorNotPermitted(from: .read, to: .read)) {
            try AssignmentLifecycle.recordContact(read, by: .user(fixture.coordinator.context), at: time)
        }
        #expect(throws: DomainError.notFound) {
            try AssignmentLifecycle.recordContact(read, by: .user(fixture.foreignPeerMentor.context), at: time)
        }
    }

    @Test("consent is given once, by the recipient, while the assignment is open and consent was asked for")
    func consent() throws {
        var assignment = fixture.assignment(in: .delivered)
        let mentor = Principal.user(fixture.peerMentor.context)
        let time = assignment.lastStateChangeAt + 60
        #expect(throws: DomainError.consentNotApplicable) { try AssignmentLifecycle.giveConsent(assignment, by: mentor, at: time) }
        assignment.requiresConsent = true
        #expect(throws: DomainError.actorNotPermitted(from: .delivered, to: .delivered)) {
            try AssignmentLifecycle.giveConsent(assignment, by: .user(fixture.coordinator.context), at: time)
        }
        #expect(throws: DomainError.notFound) { try AssignmentLifecycle.giveConsent(assignment, by: .user(fixture.foreignPeerMentor.context), at: time) }
        let consented = try AssignmentLifecycle.giveConsent(assignment, by: mentor, at: time)
        #expect(consented.consentGivenAt == time)
        #expect(try AssignmentLifecycle.giveConsent(consented, by: mentor, at: time + 60).consentGivenAt == time, "giving it again changes nothing")
        var cancelled = fixture.assignment(in: .cancelled)
        cancelled.requiresConsent = true
        #expect(throws: DomainError.consentNotApplicable) { try AssignmentLifecycle.giveConsent(cancelled, by: mentor, at: time + 86_400) }
    }

    @Test("the rule table has one row per allowed (from, to) and nothing leaves a terminal state")
    func tableShape() {
        let pairs = AssignmentLifecycle.rules.map { "\($0.from.rawValue)>\($0.to.rawValue)" }
        #expect(Set(pairs).count == pairs.count)
        #expect(AssignmentLifecycle.rules.allSatisfy { !$0.from.isTerminal })
        let expectedCount = Self.allowed.values.reduce(0) { $0 + $1.count }
        #expect(pairs.count == expectedCount)
    }
}
