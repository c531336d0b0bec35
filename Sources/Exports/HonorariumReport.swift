import AssignmentCore
import Foundation
import Postgres
import Storage
import Templates

/// The per-organisation honorarium report for payroll (docs/honorarium.md): one row per peer mentor
/// with counted assignments in the period. Written in pages of rows straight to a sink (a file, the
/// standard output, an HTTP response), so memory does not grow with the number of peer mentors.
public struct HonorariumReport: Sendable {
    public let store: HonorariumReportStore
    public let pageSize: Int

    public init(database: Database, pageSize: Int = 500) {
        self.store = HonorariumReportStore(database: database)
        self.pageSize = pageSize
    }

    /// Checks the period before anything is written, so an error is an error, not half a file.
    public static func validate(period: String) throws {
        guard period.range(of: "^[0-9]{4}$", options: .regularExpression) != nil else { throw HonorariumError.periodInvalid }
    }

    /// Writes the report; returns how many peer mentor rows it wrote.
    @discardableResult
    public func write(
        organization id: OrganizationID, period: String, format: CSVFormat, language: Language = .en, to sink: (String) async throws -> Void
    ) async throws -> Int {
        try Self.validate(period: period)
        let organization = try await store.organization(id)
        let tiers = organization.settings.honorariumTiers
        var calendar = organization.settings.calendar
        calendar.locale = Locale(identifier: "en_US_POSIX")
        func day(_ date: Date?) -> String {
            guard let date else { return "" }
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        }
        // The headings come from Templates/: in English they are the stable column identifiers a
        // payroll import maps; in Norwegian they are for people reading the file.
        let header = TextKey.honorariumColumns.flatMap { column in
            column == "tier_reached_on"
                ? tiers.map { TextCatalog.bundled.text(.honorariumColumn(column), language, values: ["tier": String($0)]) }
                : [TextCatalog.bundled.text(.honorariumColumn(column), language)]
        }
        try await sink((format.byteOrderMark ? "\u{FEFF}" : "") + format.line(header))
        var after: String?
        var written = 0
        while true {
            let rows = try await store.page(of: id, period: period, after: after, limit: pageSize)
            var chunk = ""
            for row in rows {
                var fields = [
                    organization.name, period, row.peerMentorID.description, row.handle, row.localAssociation ?? "", String(row.counted),
                    organization.settings.honorariumPolicy.tierReached(with: row.counted).map(String.init) ?? "",
                ]
                fields += tiers.map { day(row.tiersCrossed[$0]) }
                fields += [day(row.firstCountedAt), day(row.lastCountedAt), String(row.voided)]
                chunk += format.line(fields)
            }
            if !chunk.isEmpty { try await sink(chunk) }
            written += rows.count
            guard rows.count == pageSize, let last = rows.last else { break }
            after = last.handle
        }
        return written
    }
}
