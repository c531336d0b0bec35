/// A user's role within their organisation, ordered by what it may do: every role may do what the
/// roles before it may (`coordinator` "or higher" in the seeds means `>= .coordinator`).
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case peerMentor = "peer_mentor"
    case coordinator
    case organizationAdmin = "org_admin"
    case globalAdmin = "global_admin"

    private var rank: Int {
        switch self {
        case .peerMentor: 0
        case .coordinator: 1
        case .organizationAdmin: 2
        case .globalAdmin: 3
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}

/// Whether a user may currently take part in assignments.
public enum UserStatus: String, Sendable, Codable, CaseIterable {
    case active
    case paused
    case deactivated
}
