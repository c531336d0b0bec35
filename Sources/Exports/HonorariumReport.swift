import AssignmentCore
import Foundation
import Postgres
import Storage
import Templates

/// The per-organisation honorarium report for payroll (docs/honorarium.md): per peer mentor with
/// counted assignments in the period, one line per band and rate that paid, one per tier bonus,
/// and a total, with amounts (``HonorariumPayroll``). Written in pages of peer mentors straight to
/// a sink (a file, the standard output, an HTTP response), so memory does not grow with their
/// number.
public struct HonorariumReport: Sendable {
    public let store: HonorariumReportStore
    public let pageSize: Int

    public init(database: Database, pageSize: Int = 500) {
        self.store = HonorariumReportStore(database: database)
        self.pageSize = pageSize
    }

    /// Checks the period before anything is written, so an error is an error, not half a file.
    @discardableResult
    public static func validate(period: String) throws -> HonorariumPeriod {
        try HonorariumPeriod(period)
    }

    /// Writes the report; returns how many peer mentors it has lines for.
    @discardableResult
    public func write(
        organization id: OrganizationID, period: String, format: CSVFormat, language: Language = .en, to sink: (String) async throws -> Void
    ) async throws -> Int {
        let cursor = try await cursor(organization: id, period: period, format: format, language: language)
        while let chunk = try await cursor.next() { try await sink(chunk) }
        return await cursor.rowsWritten
    }

    /// The report as text chunks pulled one at a time (the heading line, then a page of peer
    /// mentors each), for an HTTP body that streams as the client reads. The period and the
    /// organisation are checked here, before the first byte.
    public func chunks(organization id: OrganizationID, period: String, format: CSVFormat, language: Language = .en) async throws
        -> AsyncThrowingStream<String, any Error>
    {
        let cursor = try await cursor(organization: id, period: period, format: format, language: language)
        return AsyncThrowingStream(unfolding: { try await cursor.next() })
    }

    private func cursor(organization id: OrganizationID, period text: String, format: CSVFormat, language: Language) async throws -> HonorariumReportCursor {
        let period = try Self.validate(period: text)
        let organization = try await store.organization(id)
        let rateSets = try await store.rateSets(of: id)
        return HonorariumReportCursor(
            store: store, organization: organization, rateSets: rateSets, period: period, format: format, language: language, pageSize: pageSize)
    }
}

/// Where a report being read has got to: the heading first, then pages of peer mentors by handle.
actor HonorariumReportCursor {
    let store: HonorariumReportStore
    let organization: OrganizationRecord
    let rateSets: [HonorariumRateSet]
    let period: HonorariumPeriod
    let format: CSVFormat
    let language: Language
    let pageSize: Int
    private var headingWritten = false
    private var after: String?
    private var finished = false
    private(set) var rowsWritten = 0

    init(
        store: HonorariumReportStore, organization: OrganizationRecord, rateSets: [HonorariumRateSet], period: HonorariumPeriod, format: CSVFormat,
        language: Language, pageSize: Int
    ) {
        self.store = store
        self.organization = organization
        self.rateSets = rateSets
        self.period = period
        self.format = format
        self.language = language
        self.pageSize = pageSize
    }

    /// The next chunk, or `nil` when the report is complete.
    func next() async throws -> String? {
        if !headingWritten {
            headingWritten = true
            // The headings come from Templates/: in English they are the stable column identifiers a
            // payroll import maps; in Norwegian they are for people reading the file.
            let header = TextKey.honorariumColumns.map { TextCatalog.bundled.text(.honorariumColumn($0), language) }
            return (format.byteOrderMark ? "\u{FEFF}" : "") + format.line(header)
        }
        while !finished {
            let rows = try await store.page(
                of: organization.id, timeZone: organization.settings.timeZoneIdentifier, period: period, after: after, limit: pageSize)
            rowsWritten += rows.count
            if rows.count < pageSize { finished = true }
            after = rows.last?.handle
            var chunk = ""
            for row in rows {
                let who = [organization.name, period.description, row.peerMentorID.description, row.handle, row.localAssociation ?? ""]
                for line in HonorariumPayroll.lines(counted: row.counted, crossings: row.crossings, rateSets: rateSets) {
                    chunk += format.line(who + fields(of: line))
                }
            }
            if !chunk.isEmpty { return chunk }
        }
        return nil
    }

    /// `line, from_count, tier, rate_valid_from, count, rate, amount, currency, pay_code`.
    private func fields(of line: HonorariumLine) -> [String] {
        let decimal = format.separator == ";" ? "," : "."
        let currency = line.rateValidFrom.flatMap { day in rateSets.first { $0.validFrom == day }?.currency } ?? rateSets.last?.currency ?? "NOK"
        return [
            line.kind.rawValue, line.kind == .band ? line.threshold.map(String.init) ?? "" : "", line.kind == .tierBonus ? line.threshold.map(String.init) ?? "" : "",
            line.rateValidFrom ?? "", String(line.count), line.rateOre.map { HonorariumPayroll.text(ore: $0, decimalSeparator: decimal) } ?? "",
            HonorariumPayroll.text(ore: line.amountOre, decimalSeparator: decimal), currency, line.payCode ?? "",
        ]
    }
}
