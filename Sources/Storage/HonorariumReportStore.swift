import AssignmentCore
import Foundation
import Postgres

/// One peer mentor's part of the honorarium report for a period: what counted (number in the
/// year and day) and which tiers were crossed, for ``HonorariumPayroll`` to turn into lines.
public struct HonorariumReportRow: Sendable, Hashable {
    public var peerMentorID: UserID
    public var handle: String
    public var localAssociation: String?
    public var counted: [HonorariumPayroll.Counted]
    public var crossings: [HonorariumPayroll.Crossing]
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

    /// The organisation's rate sets, which the report applies.
    public func rateSets(of organization: OrganizationID) async throws -> [HonorariumRateSet] {
        try await HonorariumStore(database: database).rateSets(of: organization)
    }

    /// The report's rows (without the paging): shared with the benchmark's `psql` baseline. `$1`
    /// the organisation, `$2` its time zone, `$3` the year, `$4` the months (`2026-01,2026-02`).
    /// Days are the organisation's; what was voided and tiers reversed are left out.
    static let selection = """
        SELECT u.id, u.handle, la.name AS local_association, counted.list AS counted, crossings.list AS crossings
          FROM honorarium_counters c
          JOIN users u ON u.id = c.peer_mentor_id
          LEFT JOIN local_associations la ON la.id = u.local_association_id
          CROSS JOIN LATERAL (
                SELECT string_agg(e.number || '@' || to_char(e.counted_at AT TIME ZONE $2, 'YYYY-MM-DD'), ',' ORDER BY e.number) AS list
                  FROM honorarium_entries e
                 WHERE e.organization_id = c.organization_id AND e.peer_mentor_id = c.peer_mentor_id AND e.period = c.period
                   AND e.voided_at IS NULL AND to_char(e.counted_at AT TIME ZONE $2, 'YYYY-MM') = ANY(string_to_array($4, ','))) counted
          CROSS JOIN LATERAL (
                SELECT string_agg(t.tier || '@' || to_char(t.crossed_at AT TIME ZONE $2, 'YYYY-MM-DD'), ',' ORDER BY t.tier) AS list
                  FROM honorarium_threshold_events t
                 WHERE t.organization_id = c.organization_id AND t.peer_mentor_id = c.peer_mentor_id AND t.period = c.period
                   AND t.reversed_at IS NULL AND to_char(t.crossed_at AT TIME ZONE $2, 'YYYY-MM') = ANY(string_to_array($4, ','))) crossings
         WHERE c.organization_id = $1 AND c.period = $3 AND (counted.list IS NOT NULL OR crossings.list IS NOT NULL)
        """

    /// The same query, unpaged, as one SQL text for `psql` (the benchmark's baseline). The values
    /// are inlined after validation: an id, a time zone the organisation's settings accepted, and
    /// the period's year and months.
    public static func baselineSQL(organization: OrganizationID, timeZone: String, period: HonorariumPeriod) -> String? {
        guard timeZone.allSatisfy({ $0.isLetter || $0.isNumber || "/_+-".contains($0) }) else { return nil }
        return selection
            .replacingOccurrences(of: "$1", with: "'\(organization)'").replacingOccurrences(of: "$2", with: "'\(timeZone)'")
            .replacingOccurrences(of: "$3", with: "'\(period.year)'").replacingOccurrences(of: "$4", with: "'\(period.months.joined(separator: ","))'")
            + "\n ORDER BY u.handle"
    }

    /// Up to `limit` rows after the handle `after`, ordered by handle.
    public func page(
        of organization: OrganizationID, timeZone: String, period: HonorariumPeriod, after: String?, limit: Int
    ) async throws -> [HonorariumReportRow] {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.query(
                """
                \(Self.selection)
                   AND ($5::text IS NULL OR u.handle > $5)
                 ORDER BY u.handle
                 LIMIT $6
                """, [organization, timeZone, String(period.year), period.months.joined(separator: ","), after, limit]
            ).map { row in
                HonorariumReportRow(
                    peerMentorID: try row.decode("id"), handle: try row.decode("handle"), localAssociation: try row.decodeIfPresent("local_association"),
                    counted: try Self.pairs(row.decodeIfPresent("counted")).map { HonorariumPayroll.Counted(number: $0, day: $1) },
                    crossings: try Self.pairs(row.decodeIfPresent("crossings")).map { HonorariumPayroll.Crossing(tier: $0, day: $1) })
            }
        }
    }

    /// `3@2026-03-15,4@2026-03-20` as (3, "2026-03-15"), (4, "2026-03-20").
    static func pairs(_ list: String?) throws -> [(Int, String)] {
        try (list ?? "").split(separator: ",").map { item in
            let parts = item.split(separator: "@")
            guard parts.count == 2, let number = Int(parts[0]) else { throw PostgresError(kind: .decoding, message: "a malformed honorarium list") }
            return (number, String(parts[1]))
        }
    }
}
