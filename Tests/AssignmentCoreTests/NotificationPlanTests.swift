import AssignmentCore
import Foundation
import Testing

@Suite("Notifications: who is told what, retries, webhook addresses")
struct NotificationPlanTests {
    let fixture = DomainFixture()

    func user(_ profile: UserProfile) -> Principal {
        .user(UserContext(userID: profile.id, organizationID: profile.organizationID, localAssociationID: profile.localAssociationID, role: profile.role))
    }

    @Test("dispatch tells the peer mentor; the peer mentor's receipts tell the coordinator")
    func otherSide() {
        let expectations: [(AssignmentStatus, AssignmentStatus?, NotificationKind, UserID)] = [
            (.dispatched, nil, .assignmentDispatched, fixture.peerMentor.id),
            (.delivered, .dispatched, .assignmentDelivered, fixture.coordinator.id),
            (.read, .delivered, .assignmentRead, fixture.coordinator.id),
            (.acknowledged, .read, .assignmentAcknowledged, fixture.coordinator.id),
        ]
        for (status, previous, kind, recipient) in expectations {
            let actor = status == .dispatched ? user(fixture.coordinator) : user(fixture.peerMentor)
            let planned = NotificationPlan.statusChanged(fixture.assignment(in: status), from: previous, by: actor)
            #expect(planned == [PlannedNotification(kind: kind, recipient: recipient)], "\(status)")
        }
        let completed = fixture.assignment(in: .completed)
        #expect(NotificationPlan.statusChanged(completed, from: .acknowledged, by: user(fixture.peerMentor)) == [.init(kind: .assignmentCompleted, recipient: fixture.coordinator.id)])
        // Completed by the coordinator: nobody to tell but themselves, so nobody.
        #expect(NotificationPlan.statusChanged(completed, from: .acknowledged, by: user(fixture.coordinator)).isEmpty)
        #expect(NotificationPlan.contactMade(fixture.assignment(in: .read), by: user(fixture.peerMentor)) == [.init(kind: .assignmentContactMade, recipient: fixture.coordinator.id)])
        #expect(NotificationPlan.consentGiven(fixture.assignment(in: .dispatched), by: user(fixture.peerMentor)) == [.init(kind: .assignmentConsentGiven, recipient: fixture.coordinator.id)])
    }

    @Test("a cancellation tells the peer mentor, and the coordinator when someone else cancelled; expiry tells both")
    func cancellationAndExpiry() {
        let cancelled = fixture.assignment(in: .cancelled)
        #expect(NotificationPlan.statusChanged(cancelled, from: .read, by: user(fixture.coordinator)).map(\.recipient) == [fixture.peerMentor.id])
        #expect(Set(NotificationPlan.statusChanged(cancelled, from: .read, by: user(fixture.organizationAdmin)).map(\.recipient)) == [fixture.peerMentor.id, fixture.coordinator.id])
        let expired = fixture.assignment(in: .expired)
        #expect(Set(NotificationPlan.statusChanged(expired, from: .delivered, by: .system).map(\.recipient)) == [fixture.peerMentor.id, fixture.coordinator.id])
        #expect(NotificationPlan.statusChanged(expired, from: .expired, by: .system).isEmpty, "no change, no notification")
    }

    @Test("retries back off and give up after the last attempt")
    func retries() {
        let policy = NotificationRetryPolicy()
        #expect(policy.delay(afterFailedAttempt: 1) == 30)
        #expect(policy.delay(afterFailedAttempt: 2) == 120)
        #expect(policy.delay(afterFailedAttempt: 3) == 480)
        let sixHours: TimeInterval = 21_600
        #expect(policy.delay(afterFailedAttempt: 7) == sixHours, "capped")
        #expect(policy.delay(afterFailedAttempt: 8) == nil, "the eighth failure is the last")
        let delays = (1..<8).compactMap(policy.delay(afterFailedAttempt:))
        #expect(zip(delays, delays.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test("webhooks must be https, or plain http to this machine only")
    func webhookAddresses() throws {
        #expect(try WebhookAddress.validate(" https://hooks.example.org/dispatch ") == "https://hooks.example.org/dispatch")
        #expect(try WebhookAddress.validate("http://127.0.0.1:9000/hook") == "http://127.0.0.1:9000/hook")
        #expect(try WebhookAddress.validate("http://localhost:9000/hook") == "http://localhost:9000/hook")
        for bad in ["http://hooks.example.org/x", "ftp://example.org/file", "https://user:pw@example.org/x", "https://exa mple.org/x", "not a url", "https://",
                    "https://example.org/" + String(repeating: "a", count: 500), "javascript:alert(1)"] {
            #expect(throws: DomainError.self, "\(bad)") { try WebhookAddress.validate(bad) }
        }
    }
}
