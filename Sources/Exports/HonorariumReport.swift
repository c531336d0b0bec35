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
        let cursor = try await cursor(organization: id, period: period, format: format, language: language)
        while let chunk = try await cursor.next() { try await sink(chunk) }
        return await cursor.rowsWritten
    }

    /// The report as text chunks pulled one at a time (the heading line, then a page of rows each),
    /// for an HTTP body that streams as the client reads. The period and the organisation are
    /// checked here, before the first byte.
    public func chunks(organization id: OrganizationID, period: String, format: CSVFormat, language: Language = .en) async throws
        -> AsyncThrowingStream<String, any Error>
    {
        let cursor = try await cursor(organization: id, period: period, format: format, language: language)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    private func cursor(organization id: OrganizationID, period: String, format: CSVFormat, language: Language) async throws -> HonorariumReportCursor {
        try Self.validate(period: period)
        let organization = try await store.organization(id)
        return HonorariumReportCursor(store: store, organization: organization, period: period, format: format, language: language, pageSize: pageSize)
    }
}

/// Where a report being read has got to: the heading first, then pages of rows by handle.
actor HonorariumReportCursor {
    let store: HonorariumReportStore
    let organization: OrganizationRecord
    let period: String
    let format: CSVFormat
    let language: Language
    let pageSize: Int
    private let calendar: Calendar
    private var headingWritten = false
    private var after: String?
    private var finished = false
    private(set) var rowsWritten = 0

    init(store: HonorariumReportStore, organization: OrganizationRecord, period: String, format: CSVFormat, language: Language, pageSize: Int) {
        self.store = store
        self.organization = organization
        self.period = period
        self.format = format
        self.language = language
        self.pageSize = pageSize
        var calendar = organization.settings.calendar
        calendar.locale = Locale(identifier: "en_US_POSIX")
        self.calendar = calendar
    }

    /// The next chunk, or `nil` when the report is complete.
    func next() async throws -> String? {
        let tiers = organization.settings.honorariumTiers
        if !headingWritten {
            headingWritten = true
            // The headings come from Templates/: in English they are the stable column identifiers a
            // payroll import maps; in Norwegian they are for people reading the file.
            let header = TextKey.honorariumColumns.flatMap { column in
                column == "tier_reached_on"
                    ? tiers.map { TextCatalog.bundled.text(.honorariumColumn(column), language, values: ["tier": String($0)]) }
                    : [TextCatalog.bundled.text(.honorariumColumn(column), language)]
            }
            return (format.byteOrderMark ? "\u{FEFF}" : "") + format.line(header)
        }
        while !finished {
            let rows = try await store.page(of: organization.id, period: period, after: after, limit: pageSize)
            rowsWritten += rows.count
            if rows.count < pageSize { finished = true }
            after = rows.last?.handle
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
            if !chunk.isEmpty { return chunk }
        }
        return nil
    }

    private func day(_ date: Date?) -> String {
        guard let date else { return "" }
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
