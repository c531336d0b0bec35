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

    /// A text of the web pages (`page.<name>`); a page template reads it as `{{t.<name>}}`.
    public static func page(_ name: String) -> TextKey { TextKey(rawValue: "page.\(name)") }

    /// The web pages' texts, by name.
    public static let pageTexts = [
        "app_name", "skip_to_content", "nav_label", "nav_overview", "nav_admin", "nav_compliance", "signed_in_as", "sign_out",
        "language_label", "language_nb", "language_en", "sign_in_title", "sign_in_intro", "token_label", "token_hint", "sign_in_button",
        "sign_in_failed", "sign_in_link_title", "sign_in_link_intro", "signed_out", "session_expired", "forbidden_title",
        "forbidden_text", "not_found_title", "not_found_text", "bad_request_title", "csrf_failed", "mentor_title", "mentor_text",
        "overview_title", "overview_intro", "counts_heading", "overdue_count", "filter_heading", "filter_status", "filter_any_status",
        "filter_region", "filter_overdue", "filter_apply", "filter_reset", "table_caption", "col_title", "col_status", "col_peer_mentor",
        "col_dispatched", "col_deadline", "col_overdue", "col_reminders", "col_region", "yes", "no", "urgent", "no_assignments",
        "declined_heading", "declined_caption", "col_declined", "col_reason", "reason_no_capacity", "reason_conflict_of_interest",
        "reason_too_far", "reason_other", "next_page", "live_region_label", "live_changed", "live_new", "assignment_title", "details_heading", "timeline_heading",
        "timeline_caption", "col_when", "col_event", "col_who", "col_details", "system", "suggestions_heading", "suggestions_caption", "col_same_association", "col_knows_region", "col_open_assignments",
        "no_suggestions", "cancel_heading", "cancel_reason_label",
        "cancel_button", "cancelled_notice", "back_to_overview", "admin_title", "users_heading", "users_caption", "col_handle",
        "col_role", "col_fingerprints", "read_aloud", "no_keys", "settings_heading", "module_label", "reminder_after_label",
        "retention_label", "lifetime_label", "save_settings", "settings_saved", "honorarium_heading", "period_label", "show_report",
        "download_csv", "report_caption", "report_empty", "compliance_title", "chain_heading", "chain_intact", "chain_broken",
        "chain_unlinked", "sweeps_heading", "sweeps_caption", "col_sweep", "col_kind", "col_assignments", "col_sealed_keys", "kind_run",
        "kind_dry_run", "no_sweeps", "sweep_expiry", "sweep_keys", "sweep_retention", "dry_run_heading", "dry_run_intro",
        "dry_run_button", "dry_run_result", "extract_heading", "extract_from", "extract_to", "extract_button", "role_peer_mentor",
        "role_coordinator", "role_org_admin", "role_global_admin", "role_compliance_officer", "user_active", "user_paused",
        "user_deactivated", "status_dispatched", "status_delivered", "status_read", "status_acknowledged", "status_completed",
        "status_cancelled", "status_expired", "status_draft", "status_declined", "erasure_days_label", "erasure_heading", "erasure_intro",
        "erasure_caption", "col_closed", "col_device", "col_confirmed", "erasure_confirmed", "erasure_overdue", "erasure_waiting",
        "no_erasures", "no_holders", "erasure_overdue_summary", "require_pq_label", "col_post_quantum",
    ]

    /// A text of the subject access report (`subject_report.<name>`).
    public static func subjectReport(_ name: String) -> TextKey { TextKey(rawValue: "subject_report.\(name)") }

    /// The subject access report's texts, by name; `action.<audit action>` describes one entry.
    public static let subjectReportTexts = [
        "heading", "generated", "count", "none", "unsearchable", "assignment", "event", "system", "action.assignment.created", "action.assignment.status_changed",
        "action.assignment.payload_downloaded", "action.assignment.payload_opened", "action.assignment.consent_given", "action.assignment.contact_made",
        "action.assignment.reminder_sent", "action.assignment.escalation_sent", "action.assignment.payload_destroyed",
        "action.assignment.sealed_keys_destroyed", "action.assignment.archived", "action.assignment.history_viewed",
    ]

    /// Every key the program asks for.
    public static var all: [TextKey] {
        NotificationKind.allCases.map(notification)
            + [feedCalendarName, feedContactDeadline, feedExpiry, feedSentContactDeadline, feedSentExpiry]
            + honorariumColumns.map(honorariumColumn)
            + pageTexts.map(page)
            + subjectReportTexts.map(subjectReport)
    }
}
