/// The lifecycle states of an assignment (DESIGN.md §4).
///
/// `draft → dispatched → delivered → read → acknowledged → completed`, with `cancelled` reachable
/// from every state before `completed`, `expired` from every open state, and `declined` from
/// `dispatched` and `delivered` (the peer mentor declines on the teaser, before reading the case).
/// The raw values are the ones stored in the database and shown in the API.
public enum AssignmentStatus: String, Sendable, Codable, CaseIterable {
    case draft
    case dispatched
    case delivered
    case read
    case acknowledged
    case completed
    case cancelled
    case expired
    /// The peer mentor declined before reading the case (``DeclineReason``); closed like `cancelled`.
    case declined

    /// Open assignments are dispatched and not yet finished: they are reminded about, shown in the
    /// status overview and in calendar feeds, and can expire.
    public static let open: Set<AssignmentStatus> = [.dispatched, .delivered, .read, .acknowledged]

    /// No transition leaves a terminal state.
    public var isTerminal: Bool { self == .completed || self == .cancelled || self == .expired || self == .declined }

    /// Closed with the case destroyed at once: the ciphertext and every sealed key go in the
    /// transaction of the change (the lifecycle trigger does it).
    public var destroysPayload: Bool { self == .cancelled || self == .expired || self == .declined }

    public var isOpen: Bool { Self.open.contains(self) }
}

/// Why a peer mentor declines an assignment on its teaser: a fixed list, so that nothing personal
/// can be written into it.
public enum DeclineReason: String, Sendable, Codable, CaseIterable {
    case noCapacity = "no_capacity"
    case conflictOfInterest = "conflict_of_interest"
    case tooFar = "too_far"
    case other
}
