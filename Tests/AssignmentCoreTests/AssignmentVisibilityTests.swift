import AssignmentCore
import Foundation
import Testing

@Suite("Who may see an assignment")
struct AssignmentVisibilityTests {
    let fixture = DomainFixture()

    @Test("its peer mentor, coordinators in scope and admins of its organisation; nobody else")
    func scope() {
        var assignment = fixture.assignment(in: .dispatched)  // dispatched by the lokallag's coordinator, in the lokallag
        let expectations: [(UserProfile, Bool)] = [
            (fixture.peerMentor, true), (fixture.otherPeerMentor, false), (fixture.coordinator, true), (fixture.otherCoordinator, true),
            (fixture.organizationAdmin, true), (fixture.globalAdmin, true), (fixture.foreignAdmin, false), (fixture.foreignPeerMentor, false),
        ]
        for (profile, visible) in expectations {
            #expect(AssignmentVisibility.isVisible(assignment, to: profile.context) == visible, "\(profile.role) \(profile.id)")
        }
        // Outside the lokallag and dispatched by someone else: hidden from the lokallag's coordinator.
        assignment.localAssociationID = nil
        assignment.coordinatorID = fixture.otherCoordinator.id
        #expect(!AssignmentVisibility.isVisible(assignment, to: fixture.coordinator.context))
        #expect(AssignmentVisibility.isVisible(assignment, to: fixture.otherCoordinator.context), "a coordinator without a lokallag sees the organisation")
    }
}
