import AssignmentCore
import Foundation
import Postgres

/// One line of the honorarium report: a peer mentor with counted assignments in the period.
public struct HonorariumReportRow: Sendable, Hashable {
    public var peerMentorID: UserID
    public var handle: String
    public var localAssociation: String?
    public var counted: Int
    /// When each live tier was crossed.
    public var tiersCrossed: [Int: Date]
    public var firstCountedAt: Date?
    public var lastCountedAt: Date?
    /// Counted assignments an admin voided in the period.
    public var voided: Int
}

/// Reads the honorarium report a page at a time (keyset pagination by handle), so a report of any
/// size is written with a bounded amount of memory and no long-held transaction.
public struct HonorariumReportStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Records that `actor` pulled the report, before it is written: the audit trail shows who
    /// looked at the organisation's honorarium figures.
    public func recordPull(
        of organization: OrganizationID, period: String, format: String, language: String, via: String, by actor: Principal, at time: Date
    ) async throws {
        try await database.transaction(.tenant(organization, actor: actor)) { db in
            try AuditLog.append(
                AuditEntry(
                    .honorariumReportPulled, .organization(organization),
                    details: AuditDetails.ReportPulled(period: period, format: format, language: language, via: via)),
                organization: organization, at: time, on: db)
        }
    }

    /// The organisation's name and settings (tiers, time zone) the report is made with.
    public func organization(_ id: OrganizationID) async throws -> OrganizationRecord {
        try await AccountStore(database: database).organization(id.description)
    }

    /// The report's rows (without the paging): shared with the benchmark's `psql` baseline.
    static let selection = """
        SELECT u.id, u.handle, la.name AS local_association, c.counted,
               (SELECT min(e.counted_at) FROM honorarium_entries e
                 WHERE e.organization_id = c.organization_id AND e.peer_mentor_id = c.peer_mentor_id AND e.period = c.period
                   AND e.voided_at IS NULL) AS first_counted,
               (SELECT max(e.counted_at) FROM honorarium_entries e
                 WHERE e.organization_id = c.organization_id AND e.peer_mentor_id = c.peer_mentor_id AND e.period = c.period
                   AND e.voided_at IS NULL) AS last_counted,
               (SELECT count(*) FROM honorarium_entries e
                 WHERE e.organization_id = c.organization_id AND e.peer_mentor_id = c.peer_mentor_id AND e.period = c.period
                   AND e.voided_at IS NOT NULL) AS voided,
               (SELECT string_agg(t.tier || '=' || (extract(epoch FROM t.crossed_at) * 1000000)::bigint, ',' ORDER BY t.tier)
                  FROM honorarium_threshold_events t
                 WHERE t.organization_id = c.organization_id AND t.peer_mentor_id = c.peer_mentor_id AND t.period = c.period
                   AND t.reversed_at IS NULL) AS tiers
          FROM honorarium_counters c
          JOIN users u ON u.id = c.peer_mentor_id
          LEFT JOIN local_associations la ON la.id = u.local_association_id
        """

    /// The same query, unpaged, as one SQL text for `psql` (the benchmark's baseline). The values
    /// are inlined after validation: an id and a four-digit year.
    public static func baselineSQL(organization: OrganizationID, period: String) -> String? {
        guard period.range(of: "^[0-9]{4}$", options: .regularExpression) != nil else { return nil }
        return selection + "\n WHERE c.organization_id = '\(organization)' AND c.period = '\(period)' AND c.counted > 0 ORDER BY u.handle"
    }

    /// Up to `limit` rows after the handle `after`, ordered by handle.
    public func page(of organization: OrganizationID, period: String, after: String?, limit: Int) async throws -> [HonorariumReportRow] {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.query(
                """
                \(Self.selection)
                 WHERE c.organization_id = $1 AND c.period = $2 AND c.counted > 0 AND ($3::text IS NULL OR u.handle > $3)
                 ORDER BY u.handle
                 LIMIT $4
                """, [organization, period, after, limit]
            ).map { row in
                var tiers: [Int: Date] = [:]
                for pair in (try row.decodeIfPresent("tiers", as: String.self) ?? "").split(separator: ",") {
                    let parts = pair.split(separator: "=")
                    if parts.count == 2, let tier = Int(parts[0]), let micros = Double(parts[1]) { tiers[tier] = Date(timeIntervalSince1970: micros / 1_000_000) }
                }
                return HonorariumReportRow(
                    peerMentorID: try row.decode("id"), handle: try row.decode("handle"), localAssociation: try row.decodeIfPresent("local_association"),
                    counted: try row.decode("counted"), tiersCrossed: tiers, firstCountedAt: try row.decodeIfPresent("first_counted"),
                    lastCountedAt: try row.decodeIfPresent("last_counted"), voided: try row.decode("voided"))
            }
        }
    }
}
