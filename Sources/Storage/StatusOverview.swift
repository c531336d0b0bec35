import AssignmentCore
import Foundation
import Postgres

/// What the status overview is asked for. Every filter is optional; `limit` is 1 to 200.
public struct OverviewQuery: Sendable, Hashable {
    public var status: AssignmentStatus?
    /// A peer mentor by id or handle.
    public var peerMentor: String?
    public var region: String?
    public var overdue: Bool?
    public var limit: Int
    public var cursor: OverviewCursor?

    public init(status: AssignmentStatus? = nil, peerMentor: String? = nil, region: String? = nil, overdue: Bool? = nil, limit: Int = 50, cursor: OverviewCursor? = nil) {
        self.status = status
        self.peerMentor = peerMentor
        self.region = region
        self.overdue = overdue
        self.limit = limit
        self.cursor = cursor
    }
}

/// Where the next page starts: the sort key of the last entry shown, and the time the first page
/// was computed at, so that "overdue" means the same on every page. How a client carries it (an
/// opaque string) is the HTTP side's business.
public struct OverviewCursor: Sendable, Hashable {
    public var asOf: Date
    /// The three ranks of the sort order, each 0, 1 or 2.
    public var ranks: [Int]
    /// Microseconds since 1970, exactly as PostgreSQL stores the deadline.
    public var deadline: Int
    public var id: UUID

    /// `nil` unless there are three ranks, each 0, 1 or 2.
    public init?(asOf: Date, ranks: [Int], deadline: Int, id: UUID) {
        guard ranks.count == 3, ranks.allSatisfy({ (0...2).contains($0) }) else { return nil }
        self.asOf = asOf
        self.ranks = ranks
        self.deadline = deadline
        self.id = id
    }
}

/// One open assignment as the overview lists it: metadata only (no notes, nothing of the envelope).
public struct OverviewEntry: Sendable, Hashable {
    public var id: AssignmentID
    public var title: String
    public var status: AssignmentStatus
    public var coordinatorID: UserID
    public var peerMentorID: UserID
    public var peerMentorHandle: String
    public var geographicRegion: String?
    public var priority: Priority
    public var isUrgent: Bool
    public var requiresConsent: Bool
    public var consentGivenAt: Date?
    public var dispatchedAt: Date?
    public var deliveredAt: Date?
    public var readAt: Date?
    public var acknowledgedAt: Date?
    public var contactMadeAt: Date?
    /// The contact deadline if one was set, otherwise the first reminder time.
    public var contactDeadline: Date
    public var overdue: Bool
    public var reminderCount: Int
    public var reminderSentAt: Date?
    public var nextReminderAt: Date?
    public var expiresAt: Date?
}

/// A page of the status overview, with counts over everything the filters (other than status) match.
public struct StatusOverview: Sendable, Hashable {
    public var asOf: Date
    public var counts: [String: Int]
    public var overdueCount: Int
    public var assignments: [OverviewEntry]
    /// Where the next page starts; `nil` on the last page.
    public var nextCursor: OverviewCursor?
    /// Assignments in the same scope declined in the last ``declinedWindow`` and not reassigned yet,
    /// newest first (at most 50): closed, waiting for the coordinator to send them to someone else.
    public var recentlyDeclined: [DeclinedEntry] = []

    /// How far back the overview lists declined assignments.
    public static let declinedWindow = Reassignment.declinedWindow
}

/// An assignment its peer mentor declined, as the overview lists it.
public struct DeclinedEntry: Sendable, Hashable {
    public var id: AssignmentID
    public var title: String
    public var peerMentorID: UserID
    public var peerMentorHandle: String
    public var geographicRegion: String?
    public var declinedAt: Date
    public var reason: DeclineReason
}

extension AssignmentStore {
    /// The open assignments (dispatched, delivered, read, acknowledged) that `user` may follow, most
    /// urgent first: overdue before the rest, then urgent, then by priority, then the earliest
    /// contact deadline.
    ///
    /// Scope: a peer mentor sees their own; a coordinator of a local association sees that
    /// association's and those they dispatched; other coordinators and admins see the organisation's.
    /// "Overdue" is ``ReminderPolicy/isOverdue(_:at:)``, computed here in SQL.
    public func overview(_ query: OverviewQuery, as user: UserContext, at time: Date) async throws -> StatusOverview {
        guard user.role.seesAssignments else { throw DomainError.assignmentsNotInRole }
        guard (1...200).contains(query.limit) else { throw DomainError.textInvalid(field: "limit", problem: "must be between 1 and 200") }
        let statement = Self.overviewStatement(query, as: user, at: time)
        return try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let rows = try db.query(statement.sql, statement.parameters)
            var counts: [String: Int] = [:]
            var overdueCount = 0
            // Every row carries the counts (`[[status, n, late], …]`); with an empty page there is
            // one row, with the counts only.
            if let first = rows.first, let text: String = try first.decodeIfPresent("counts"),
                let groups = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[Any]] {
                for group in groups {
                    guard group.count == 3, let status = group[0] as? String, let n = group[1] as? Int, let late = group[2] as? Int else { continue }
                    counts[status] = n
                    overdueCount += late
                }
            }
            for status in AssignmentStatus.allCases where status.isOpen { counts[status.rawValue, default: 0] += 0 }
            let asOf = statement.asOf
            let pageRows = try rows.filter { try $0.decodeIfPresent("id", as: AssignmentID.self) != nil }
            var entries: [OverviewEntry] = []
            var last: OverviewCursor?
            for row in pageRows.prefix(query.limit) {
                let deadline: Date = try row.decode("effective_deadline")
                let id: AssignmentID = try row.decode("id")
                entries.append(OverviewEntry(
                    id: id, title: try row.decode("title"), status: try row.decode("status", as: AssignmentStatus.self),
                    coordinatorID: try row.decode("coordinator_id"), peerMentorID: try row.decode("peer_mentor_id"),
                    peerMentorHandle: try row.decode("peer_mentor_handle"), geographicRegion: try row.decodeIfPresent("geographic_region"),
                    priority: try row.decode("priority", as: Priority.self), isUrgent: try row.decode("is_urgent"),
                    requiresConsent: try row.decode("requires_consent"), consentGivenAt: try row.decodeIfPresent("consent_given_at"),
                    dispatchedAt: try row.decodeIfPresent("dispatched_at"), deliveredAt: try row.decodeIfPresent("delivered_at"),
                    readAt: try row.decodeIfPresent("read_at"), acknowledgedAt: try row.decodeIfPresent("acknowledged_at"),
                    contactMadeAt: try row.decodeIfPresent("contact_made_at"), contactDeadline: deadline, overdue: try row.decode("overdue"),
                    reminderCount: try row.decode("reminder_count"), reminderSentAt: try row.decodeIfPresent("reminder_sent_at"),
                    nextReminderAt: try row.decodeIfPresent("next_reminder_at"), expiresAt: try row.decodeIfPresent("expires_at")))
                last = OverviewCursor(
                    asOf: asOf, ranks: [try row.decode("r1"), try row.decode("r2"), try row.decode("r3")], deadline: try row.decode("deadline_us"), id: id.uuid)
            }
            let scope = Self.overviewScope(of: user)
            let declined = try db.query(
                """
                SELECT a.id, a.title, a.peer_mentor_id, u.handle, a.geographic_region, a.declined_at, a.decline_reason
                  FROM assignments a JOIN users u ON u.id = a.peer_mentor_id
                 WHERE a.organization_id = $1 AND a.status = 'declined' AND a.declined_at > $2
                   AND NOT EXISTS (SELECT 1 FROM assignments n WHERE n.reassigned_from = a.id)
                   AND ($3::uuid IS NULL OR a.peer_mentor_id = $3)
                   AND ($4::uuid IS NULL OR a.local_association_id = $4 OR a.coordinator_id = $5)
                 ORDER BY a.declined_at DESC, a.id LIMIT 50
                """, [user.organizationID, asOf - StatusOverview.declinedWindow, scope.ownOnly, scope.association, user.userID]
            ).map { row in
                DeclinedEntry(
                    id: try row.decode("id"), title: try row.decode("title"), peerMentorID: try row.decode("peer_mentor_id"),
                    peerMentorHandle: try row.decode("handle"), geographicRegion: try row.decodeIfPresent("geographic_region"),
                    declinedAt: try row.decode("declined_at"), reason: DeclineReason(rawValue: try row.decode("decline_reason")) ?? .other)
            }
            return StatusOverview(
                asOf: asOf, counts: counts, overdueCount: overdueCount, assignments: entries,
                nextCursor: pageRows.count > query.limit ? last : nil, recentlyDeclined: declined)
        }
    }

    /// The overview's scope in SQL terms: a peer mentor's own, or a coordinator's local association
    /// (and what they dispatched); `nil` for either means no such limit (``AssignmentVisibility``).
    static func overviewScope(of user: UserContext) -> (ownOnly: UserID?, association: LocalAssociationID?) {
        (user.role == .peerMentor ? user.userID : nil, user.role == .coordinator ? user.localAssociationID : nil)
    }

    /// The overview as one statement (the counts per status and the page, which read the same
    /// rows once; peer mentors' handles are looked up for the page's rows only), with its parameters: one source for ``overview(_:as:at:)`` and for the plan the
    /// benchmark shows (``explainOverview(_:as:at:timingOnly:)``).
    static func overviewStatement(_ query: OverviewQuery, as user: UserContext, at time: Date) -> (
        asOf: Date, sql: String, parameters: [any PostgresEncodable]
    ) {
        let asOf = query.cursor?.asOf ?? time
        let (ownOnly, association) = overviewScope(of: user)
        let region = query.region?.trimmingCharacters(in: .whitespaces)
        // $1 own peer mentor, $2 coordinator's association, $3 the user, $4 peer mentor filter, $5 region, $6 as of,
        // $7 overdue filter, $8 status filter, $9…$13 the cursor, $14 the page's length plus one.
        let sql = """
            WITH scoped AS (
                SELECT a.*,
                       coalesce(a.contact_deadline_at,
                                ((a.dispatched_at AT TIME ZONE o.time_zone) + make_interval(days => o.reminder_after_days)) AT TIME ZONE o.time_zone)
                           AS effective_deadline
                  FROM assignments a
                  JOIN organizations o ON o.id = a.organization_id
                 WHERE a.status IN ('dispatched', 'delivered', 'read', 'acknowledged')
                   AND ($1::uuid IS NULL OR a.peer_mentor_id = $1)
                   AND ($2::uuid IS NULL OR a.local_association_id = $2 OR a.coordinator_id = $3)
                   AND ($4::text IS NULL OR a.peer_mentor_id::text = lower($4)
                        OR EXISTS (SELECT 1 FROM users f WHERE f.id = a.peer_mentor_id AND f.handle = lower($4)))
                   AND ($5::text IS NULL OR lower(a.geographic_region) = lower($5))
            ), ranked AS MATERIALIZED (
                SELECT k.*, CASE WHEN k.overdue THEN 0 ELSE 1 END AS r1, CASE WHEN k.is_urgent THEN 0 ELSE 1 END AS r2,
                       CASE k.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END AS r3
                  FROM (SELECT s.*, (s.contact_made_at IS NULL AND s.effective_deadline <= $6) AS overdue FROM scoped s) k
                 WHERE ($7::boolean IS NULL OR k.overdue = $7)
            ), counts AS (
                SELECT json_agg(json_build_array(g.status, g.n, g.late))::text AS counts
                  FROM (SELECT status, count(*) AS n, count(*) FILTER (WHERE overdue) AS late FROM ranked GROUP BY status) g
            ), page AS (
                SELECT *, (extract(epoch FROM effective_deadline) * 1000000)::bigint AS deadline_us FROM ranked
                 WHERE ($8::text IS NULL OR status = $8)
                   AND ($9::integer IS NULL OR (r1, r2, r3, effective_deadline, id)
                                                > ($9, $10, $11, 'epoch'::timestamptz + $12::bigint * interval '1 microsecond', $13))
                 ORDER BY r1, r2, r3, effective_deadline, id
                 LIMIT $14
            )
            SELECT c.counts, p.*, u.handle AS peer_mentor_handle
              FROM counts c LEFT JOIN page p ON true LEFT JOIN users u ON u.id = p.peer_mentor_id
             ORDER BY p.r1, p.r2, p.r3, p.effective_deadline, p.id
            """
        let cursor = query.cursor
        return (
            asOf, sql,
            [
                ownOnly, association, user.userID, query.peerMentor, region, asOf,
                query.overdue, query.status?.rawValue, cursor?.ranks[0], cursor?.ranks[1], cursor?.ranks[2], cursor?.deadline, cursor?.id, query.limit + 1,
            ]
        )
    }

    /// The plan of the overview's statement as `user` sees it (row-level security and all),
    /// executed: for the benchmark (docs/performance.md). With `timingOnly`, just the time.
    public func explainOverview(_ query: OverviewQuery, as user: UserContext, at time: Date, timingOnly: Bool = false) async throws -> QueryPlan {
        let statement = Self.overviewStatement(query, as: user, at: time)
        return try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try QueryPlan.explain(statement.sql, statement.parameters, timingOnly: timingOnly, on: db)
        }
    }
}
