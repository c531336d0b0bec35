import AssignmentCore

/// The name of one text in `Templates/<language>.texts`. Every key the program uses is listed in
/// ``all``; a test checks that each language has exactly these.
public struct TextKey: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// The one generic sentence a notification of this kind shows.
    public static func notification(_ kind: NotificationKind) -> TextKey { TextKey(rawValue: "notification.\(kind.rawValue)") }

    public static let feedCalendarName = TextKey(rawValue: "feed.calendar_name")
    /// SUMMARY of a peer mentor's event at an assignment's contact deadline.
    public static let feedContactDeadline = TextKey(rawValue: "feed.event.contact_deadline")
    /// SUMMARY of a peer mentor's event at an assignment's expiry.
    public static let feedExpiry = TextKey(rawValue: "feed.event.expiry")
    /// SUMMARY of a coordinator's event at the contact deadline of an assignment they sent.
    public static let feedSentContactDeadline = TextKey(rawValue: "feed.event.sent_contact_deadline")
    /// SUMMARY of a coordinator's event at the expiry of an assignment they sent.
    public static let feedSentExpiry = TextKey(rawValue: "feed.event.sent_expiry")

    /// A column heading of the honorarium CSV (`tier_reached_on` takes `tier`).
    public static func honorariumColumn(_ name: String) -> TextKey { TextKey(rawValue: "report.honorarium.\(name)") }

    /// The honorarium CSV's columns, in order.
    public static let honorariumColumns = [
        "organisation", "period", "peer_mentor_id", "peer_mentor_handle", "local_association", "line", "from_count", "tier", "rate_valid_from",
        "count", "rate", "amount", "currency", "pay_code", "corrects_period",
    ]

    /// Every key the program asks for.
    public static var all: [TextKey] {
        NotificationKind.allCases.map(notification)
            + [feedCalendarName, feedContactDeadline, feedExpiry, feedSentContactDeadline, feedSentExpiry]
            + honorariumColumns.map(honorariumColumn)
    }
}
