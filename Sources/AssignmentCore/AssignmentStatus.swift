/// The lifecycle states of an assignment (DESIGN.md §4).
///
/// `draft → dispatched → delivered → read → acknowledged → completed`, with `cancelled` reachable
/// from every state before `completed` and `expired` from every open state. The raw values are the
/// ones stored in the database and shown in the API.
public enum AssignmentStatus: String, Sendable, Codable, CaseIterable {
    case draft
    case dispatched
    case delivered
    case read
    case acknowledged
    case completed
    case cancelled
    case expired

    /// Open assignments are dispatched and not yet finished: they are reminded about, shown in the
    /// status overview and in calendar feeds, and can expire.
    public static let open: Set<AssignmentStatus> = [.dispatched, .delivered, .read, .acknowledged]

    /// No transition leaves a terminal state.
    public var isTerminal: Bool { self == .completed || self == .cancelled || self == .expired }

    public var isOpen: Bool { Self.open.contains(self) }
}
