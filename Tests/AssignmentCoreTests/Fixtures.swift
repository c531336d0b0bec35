import AssignmentCore
import Foundation

/// A small organisation with one of each kind of user, and helpers to make assignments in any state.
struct DomainFixture {
    let organization = OrganizationID(UUID())
    let otherOrganization = OrganizationID(UUID())
    let lokallag = LocalAssociationID(UUID())
    let coordinator: UserProfile
    let otherCoordinator: UserProfile
    let peerMentor: UserProfile
    let otherPeerMentor: UserProfile
    let organizationAdmin: UserProfile
    let globalAdmin: UserProfile
    let foreignAdmin: UserProfile
    let foreignPeerMentor: UserProfile

    static let epoch = Date(timeIntervalSince1970: 1_790_000_000)  // 2026-09-21

    init() {
        coordinator = UserProfile(id: UserID(UUID()), organizationID: organization, localAssociationID: lokallag, role: .coordinator)
        otherCoordinator = UserProfile(id: UserID(UUID()), organizationID: organization, role: .coordinator)
        peerMentor = UserProfile(id: UserID(UUID()), organizationID: organization, localAssociationID: lokallag, role: .peerMentor)
        otherPeerMentor = UserProfile(id: UserID(UUID()), organizationID: organization, role: .peerMentor)
        organizationAdmin = UserProfile(id: UserID(UUID()), organizationID: organization, role: .organizationAdmin)
        globalAdmin = UserProfile(id: UserID(UUID()), organizationID: organization, role: .globalAdmin)
        foreignAdmin = UserProfile(id: UserID(UUID()), organizationID: otherOrganization, role: .organizationAdmin)
        foreignPeerMentor = UserProfile(id: UserID(UUID()), organizationID: otherOrganization, role: .peerMentor)
    }

    /// An assignment in `status`, with the timestamps that status implies, one hour apart.
    func assignment(in status: AssignmentStatus, expiresAt: Date? = nil) -> Assignment {
        var assignment = Assignment(
            id: AssignmentID(UUID()), organizationID: organization, localAssociationID: lokallag,
            coordinatorID: coordinator.id, peerMentorID: peerMentor.id, title: "Oppdrag 42",
            expiresAt: expiresAt, createdAt: Self.epoch)
        let path: [AssignmentStatus] = [.draft, .dispatched, .delivered, .read, .acknowledged, .completed]
        var time = Self.epoch
        let target: [AssignmentStatus] = switch status {
        case .cancelled, .expired, .declined: [.draft, .dispatched]
        default: Array(path.prefix(through: path.firstIndex(of: status)!))
        }
        for step in target.dropFirst() {
            time += 3600
            switch step {
            case .dispatched: assignment.dispatchedAt = time
            case .delivered: assignment.deliveredAt = time
            case .read: assignment.readAt = time
            case .acknowledged: assignment.acknowledgedAt = time
            case .completed: assignment.completedAt = time
            default: break
            }
        }
        assignment.status = [.cancelled, .expired, .declined].contains(status) ? status : target.last!
        if status == .cancelled {
            time += 3600
            assignment.cancelledAt = time
            assignment.cancellationReason = "Duplicate"
        }
        if status == .declined {
            time += 3600
            assignment.declinedAt = time
            assignment.declineReason = .noCapacity
        }
        if status == .expired { time += 3600 }
        assignment.lastStateChangeAt = time
        assignment.updatedAt = time
        return assignment
    }
}
