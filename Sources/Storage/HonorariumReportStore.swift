import AssignmentCore
import Envelope
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
    public var adjustments: [HonorariumPayroll.Adjustment]
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
    /// Days are the organisation's. A voided assignment or reversed tier stays in the month it was
    /// counted in only when that month was paid before the correction (it has `adjusted_in`), and
    /// is then paid back in the month `adjusted_in` names.
    static let selection = """
        SELECT u.id, u.handle, la.name AS local_association, counted.list AS counted, crossings.list AS crossings,
               adjusted.list AS adjusted, reversed.list AS reversed
          FROM (SELECT DISTINCT organization_id, peer_mentor_id FROM honorarium_counters WHERE organization_id = $1 AND period IN ($3::text, ($3::text::integer - 1)::text)) c
          JOIN users u ON u.id = c.peer_mentor_id
          LEFT JOIN local_associations la ON la.id = u.local_association_id
          CROSS JOIN LATERAL (
                SELECT string_agg(e.number || '@' || to_char(e.counted_at AT TIME ZONE $2, 'YYYY-MM-DD'), ',' ORDER BY e.number) AS list
                  FROM honorarium_entries e
                 WHERE e.organization_id = c.organization_id AND e.peer_mentor_id = c.peer_mentor_id AND e.period = $3::text
                   AND (e.voided_at IS NULL OR e.adjusted_in IS NOT NULL)
                   AND to_char(e.counted_at AT TIME ZONE $2, 'YYYY-MM') = ANY(string_to_array($4, ','))) counted
          CROSS JOIN LATERAL (
                SELECT string_agg(t.tier || '@' || to_char(t.crossed_at AT TIME ZONE $2, 'YYYY-MM-DD'), ',' ORDER BY t.tier) AS list
                  FROM honorarium_threshold_events t
                 WHERE t.organization_id = c.organization_id AND t.peer_mentor_id = c.peer_mentor_id AND t.period = $3::text
                   AND (t.reversed_at IS NULL OR t.adjusted_in IS NOT NULL)
                   AND to_char(t.crossed_at AT TIME ZONE $2, 'YYYY-MM') = ANY(string_to_array($4, ','))) crossings
          CROSS JOIN LATERAL (
                SELECT string_agg(e.number || '@' || to_char(e.counted_at AT TIME ZONE $2, 'YYYY-MM-DD'), ',' ORDER BY e.counted_at) AS list
                  FROM honorarium_entries e
                 WHERE e.organization_id = c.organization_id AND e.peer_mentor_id = c.peer_mentor_id
                   AND e.adjusted_in = ANY(string_to_array($4, ','))) adjusted
          CROSS JOIN LATERAL (
                SELECT string_agg(t.tier || '@' || to_char(t.crossed_at AT TIME ZONE $2, 'YYYY-MM-DD'), ',' ORDER BY t.crossed_at) AS list
                  FROM honorarium_threshold_events t
                 WHERE t.organization_id = c.organization_id AND t.peer_mentor_id = c.peer_mentor_id
                   AND t.adjusted_in = ANY(string_to_array($4, ','))) reversed
         WHERE coalesce(counted.list, crossings.list, adjusted.list, reversed.list) IS NOT NULL
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

    /// One page of the report: its rows, and the handle the next page starts after (`nil` on the
    /// last page).
    public struct Page: Sendable {
        public var rows: [HonorariumReportRow]
        public var nextAfter: String?
    }

    /// The rows of the next `limit` peer mentors counted in the period's year (or the year
    /// before) after the handle `after`, ordered by handle; those with nothing in the period's
    /// months are left out, so a page can hold fewer rows than `limit` and still not be the last.
    ///
    /// The page's peer mentors are chosen first and only theirs are aggregated: choosing after
    /// aggregating made every page aggregate every remaining peer mentor, which at a million
    /// assignments made the report take twelve times as long as the query run once
    /// (docs/performance.md, "Exports").
    public func page(
        of organization: OrganizationID, timeZone: String, period: HonorariumPeriod, after: String?, limit: Int
    ) async throws -> Page {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            let handles = try db.query(
                """
                SELECT u.handle
                  FROM (SELECT DISTINCT peer_mentor_id FROM honorarium_counters
                         WHERE organization_id = $1 AND period IN ($2::text, ($2::text::integer - 1)::text)) c
                  JOIN users u ON u.id = c.peer_mentor_id
                 WHERE ($3::text IS NULL OR u.handle > $3)
                 ORDER BY u.handle
                 LIMIT $4
                """, [organization, String(period.year), after, limit]
            ).map { try $0.decode("handle", as: String.self) }
            guard let last = handles.last else { return Page(rows: [], nextAfter: nil) }
            return Page(
                rows: try Self.rows(of: organization, timeZone: timeZone, period: period, after: after, through: last, on: db),
                nextAfter: handles.count == limit ? last : nil)
        }
    }

    /// The report's rows of the peer mentors whose handles are after `after` and up to `through`
    /// (each bound left out when `nil`), ordered by handle.
    static func rows(
        of organization: OrganizationID, timeZone: String, period: HonorariumPeriod, after: String?, through: String?, on db: PostgresConnection
    ) throws -> [HonorariumReportRow] {
        try db.query(
            """
            \(Self.selection)
               AND ($5::text IS NULL OR u.handle > $5)
               AND ($6::text IS NULL OR u.handle <= $6)
             ORDER BY u.handle
            """, [organization, timeZone, String(period.year), period.months.joined(separator: ","), after, through]
        ).map { row in
            func corrections(_ column: String, _ subject: (Int) -> HonorariumPayroll.Adjustment.Subject) throws -> [HonorariumPayroll.Adjustment] {
                try Self.pairs(row.decodeIfPresent(column)).map { HonorariumPayroll.Adjustment(subject($0), day: $1, correctsPeriod: String($1.prefix(7))) }
            }
            return HonorariumReportRow(
                peerMentorID: try row.decode("id"), handle: try row.decode("handle"), localAssociation: try row.decodeIfPresent("local_association"),
                counted: try Self.pairs(row.decodeIfPresent("counted")).map { HonorariumPayroll.Counted(number: $0, day: $1) },
                crossings: try Self.pairs(row.decodeIfPresent("crossings")).map { HonorariumPayroll.Crossing(tier: $0, day: $1) },
                adjustments: try corrections("adjusted") { .assignment(number: $0) } + corrections("reversed") { .tier($0) })
        }
    }

    /// Closes (marks paid) the month `period` of the organisation, in one transaction that holds the
    /// payroll lock, so no correction can come in between: checks it is a month, is over at `time`
    /// in the organisation's zone, is not closed yet and no earlier month with honorarium activity
    /// is still open; reads the whole month, lets `render` make the file from it, and records the
    /// month as closed with the file's SHA-256 (audited). Returns the file.
    public func close(
        _ period: HonorariumPeriod, of organization: OrganizationID, at time: Date, render: @escaping @Sendable ([HonorariumReportRow]) throws -> String
    ) async throws -> String {
        guard case .month = period else { throw HonorariumError.closeRefused("only a month can be closed, such as 2026-03") }
        let month = period.description
        return try await database.transaction(.tenant(organization, actor: .system)) { db in
            try HonorariumStore.lockPayroll(of: organization, on: db)
            let settings = try AccountStore.settings(of: organization, on: db)
            let current = try db.query("SELECT to_char($1::timestamptz AT TIME ZONE $2, 'YYYY-MM') AS month", [time, settings.timeZoneIdentifier]).first!
                .decode("month", as: String.self)
            guard month < current else { throw HonorariumError.closeRefused("\(month) is not over yet") }
            if try db.query("SELECT 1 FROM honorarium_closed_periods WHERE organization_id = $1 AND period = $2", [organization, month]).count > 0 {
                throw HonorariumError.closeRefused("\(month) is closed already")
            }
            if let open = try db.query(
                """
                SELECT min(m) AS month FROM (
                    SELECT to_char(counted_at AT TIME ZONE $2, 'YYYY-MM') AS m FROM honorarium_entries WHERE organization_id = $1
                    UNION SELECT adjusted_in FROM honorarium_entries WHERE organization_id = $1 AND adjusted_in IS NOT NULL
                    UNION SELECT adjusted_in FROM honorarium_threshold_events WHERE organization_id = $1 AND adjusted_in IS NOT NULL) activity
                 WHERE m < $3 AND m NOT IN (SELECT period FROM honorarium_closed_periods WHERE organization_id = $1)
                """, [organization, settings.timeZoneIdentifier, month]
            ).first?.decodeIfPresent("month", as: String.self) {
                throw HonorariumError.closeRefused("\(open) is still open; close the months in order")
            }
            let file = try render(try Self.rows(of: organization, timeZone: settings.timeZoneIdentifier, period: period, after: nil, through: nil, on: db))
            let digest = SHA256.hash(Array(file.utf8))
            try db.execute(
                "INSERT INTO honorarium_closed_periods (organization_id, period, closed_at, file_sha256) VALUES ($1, $2, $3, $4)",
                [organization, month, time, digest])
            try AuditLog.append(
                AuditEntry(.honorariumPeriodClosed, .organization(organization), details: AuditDetails.PeriodClosed(period: month, fileSHA256: Hex.encode(digest))),
                organization: organization, at: time, on: db)
            return file
        }
    }

    /// The organisation's closed months, oldest first.
    public func closedMonths(of organization: OrganizationID) async throws -> [String] {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.query("SELECT period FROM honorarium_closed_periods WHERE organization_id = $1 ORDER BY period", [organization]).map { try $0.decode("period") }
        }
    }

    /// `3@2026-03-15,4@2026-03-20` as (3, "2026-03-15"), (4, "2026-03-20").
    ///
    /// Read from the UTF-8 bytes: splitting the text as `Character`s (grapheme by grapheme) was half
    /// of what the report of a million assignments cost (docs/performance.md). The list is built by
    /// the query from numbers, `@` and ISO dates, so anything else in it is refused.
    static func pairs(_ list: String?) throws -> [(Int, String)] {
        guard let list, !list.isEmpty else { return [] }
        let malformed = PostgresError(kind: .decoding, message: "a malformed honorarium list")
        var result: [(Int, String)] = []
        var bytes = Array(list.utf8)[...]
        guard bytes.last != UInt8(ascii: ",") else { throw malformed }
        while !bytes.isEmpty {
            let item = bytes.prefix { $0 != UInt8(ascii: ",") }
            bytes = bytes.dropFirst(item.count + 1)
            guard let at = item.firstIndex(of: UInt8(ascii: "@")) else { throw malformed }
            let digits = item[item.startIndex..<at], day = item[(at + 1)...]
            guard !digits.isEmpty, digits.count <= 9, !day.isEmpty, !day.contains(UInt8(ascii: "@")) else { throw malformed }
            var number = 0
            for digit in digits {
                guard (0x30...0x39).contains(digit) else { throw malformed }
                number = number * 10 + Int(digit - 0x30)
            }
            result.append((number, String(decoding: day, as: UTF8.self)))
        }
        return result
    }
}
