/// The urgency hint a coordinator gives an assignment. It orders the inbox and the status overview;
/// it never changes the reminder policy.
public enum Priority: String, Sendable, Codable, CaseIterable, Comparable {
    case low
    case normal
    case high

    private var rank: Int {
        switch self {
        case .low: 0
        case .normal: 1
        case .high: 2
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}
