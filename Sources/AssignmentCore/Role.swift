/// A user's role within their organisation.
///
/// The roles are not a ladder: a compliance officer reads the organisation's audit, sweeps and
/// reports but sees no assignment and dispatches nothing, so no role is simply "more" than another.
/// What each may do is named below, one property per capability, and every check in the program
/// asks one of them (docs/domain.md, "People and their roles"; the access matrix tests every route
/// for each role).
public enum Role: String, Sendable, Codable, CaseIterable {
    case peerMentor = "peer_mentor"
    case coordinator
    case organizationAdmin = "org_admin"
    case globalAdmin = "global_admin"
    /// Audit, sweeps and reports of their organisation; no assignment titles, notes or regions, no
    /// dispatching.
    case complianceOfficer = "compliance_officer"

    /// Sends assignments, sees their status and coordinator notes: coordinators and admins.
    public var dispatches: Bool {
        switch self {
        case .coordinator, .organizationAdmin, .globalAdmin: true
        case .peerMentor, .complianceOfficer: false
        }
    }

    /// Sees and acts on every assignment, user and setting of the organisation: organisation and
    /// global admins.
    public var administersOrganization: Bool {
        switch self {
        case .organizationAdmin, .globalAdmin: true
        case .peerMentor, .coordinator, .complianceOfficer: false
        }
    }

    /// Reads the organisation's compliance records (audit chain and extracts, sweep history and dry
    /// runs, the honorarium report): admins and compliance officers.
    public var readsComplianceRecords: Bool {
        switch self {
        case .organizationAdmin, .globalAdmin, .complianceOfficer: true
        case .peerMentor, .coordinator: false
        }
    }

    /// Sees assignments at all (titles, regions, statuses): everyone but the compliance officer,
    /// peer mentors only their own.
    public var seesAssignments: Bool { self != .complianceOfficer }
}

/// Whether a user may currently take part in assignments.
public enum UserStatus: String, Sendable, Codable, CaseIterable {
    case active
    case paused
    case deactivated
}
