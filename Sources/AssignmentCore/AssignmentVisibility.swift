/// Who may see that an assignment exists at all. Anyone else is told `not_found`, exactly as for
/// an id that exists nowhere, so ids cannot be probed.
///
/// - its peer mentor;
/// - a coordinator of a local association: the association's assignments, and those they
///   dispatched; a coordinator without one: the organisation's;
/// - organisation and global admins: the organisation's;
/// - compliance officers: none (they read the audit, sweeps and reports, never a title or region).
///
/// Seeing is not acting: what each may *do* is the lifecycle's transition table. The status
/// overview uses the same scope (in SQL, `AssignmentStore.overview`).
public enum AssignmentVisibility {
    public static func isVisible(_ assignment: Assignment, to user: UserContext) -> Bool {
        isVisible(
            organizationID: assignment.organizationID, localAssociationID: assignment.localAssociationID, coordinatorID: assignment.coordinatorID,
            peerMentorID: assignment.peerMentorID, to: user)
    }

    /// The same rule on the ids alone (a change announced by the database, for the live pages).
    public static func isVisible(
        organizationID: OrganizationID, localAssociationID: LocalAssociationID?, coordinatorID: UserID, peerMentorID: UserID, to user: UserContext
    ) -> Bool {
        guard user.organizationID == organizationID else { return false }
        if user.userID == peerMentorID { return true }
        switch user.role {
        case .peerMentor, .complianceOfficer:
            return false
        case .coordinator:
            guard let own = user.localAssociationID else { return true }
            return localAssociationID == own || coordinatorID == user.userID
        case .organizationAdmin, .globalAdmin:
            return true
        }
    }
}
