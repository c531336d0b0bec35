import AssignmentCore
import Envelope
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

    /// Closes the month `period` as paid (`dispatch report honorarium --close`): the month's file,
    /// made and recorded with its SHA-256 in one transaction (``HonorariumReportStore/close``), and
    /// the hex digest. Regenerated later, the month's report is this file byte for byte.
    public func close(
        organization id: OrganizationID, period text: String, format: CSVFormat, language: Language = .en, at time: Date
    ) async throws -> (file: String, sha256: String) {
        let renderer = try await renderer(organization: id, period: text, format: format, language: language)
        let file = try await store.close(renderer.period, of: id, at: time) { rows in renderer.heading() + renderer.lines(for: rows) }
        return (file, SHA256.hexHash(Array(file.utf8)))
    }

    private func cursor(organization id: OrganizationID, period text: String, format: CSVFormat, language: Language) async throws -> HonorariumReportCursor {
        HonorariumReportCursor(store: store, renderer: try await renderer(organization: id, period: text, format: format, language: language), pageSize: pageSize)
    }

    /// Checks the period, then reads the organisation and its rates the report is made with.
    private func renderer(organization id: OrganizationID, period text: String, format: CSVFormat, language: Language) async throws -> HonorariumReportRenderer {
        let period = try Self.validate(period: text)
        return HonorariumReportRenderer(
            organization: try await store.organization(id), rateSets: try await store.rateSets(of: id), period: period, format: format, language: language)
    }
}

/// The one place the report's text is made: the heading, and each peer mentor's lines.
struct HonorariumReportRenderer: Sendable {
    let organization: OrganizationRecord
    let rateSets: [HonorariumRateSet]
    let period: HonorariumPeriod
    let format: CSVFormat
    let language: Language

    /// The heading line (with the byte order mark first, where the format has one). The headings
    /// come from Templates/: in English they are the stable column identifiers a payroll import
    /// maps; in Norwegian they are for people reading the file.
    func heading() -> String {
        let header = TextKey.honorariumColumns.map { TextCatalog.bundled.text(.honorariumColumn($0), language) }
        return (format.byteOrderMark ? "\u{FEFF}" : "") + format.line(header)
    }

    func lines(for rows: [HonorariumReportRow]) -> String {
        var text = ""
        for row in rows {
            let who = [organization.name, period.description, row.peerMentorID.description, row.handle, row.localAssociation ?? ""]
            for line in HonorariumPayroll.lines(counted: row.counted, crossings: row.crossings, adjustments: row.adjustments, rateSets: rateSets) {
                text += format.line(who + fields(of: line))
            }
        }
        return text
    }

    /// `line, from_count, tier, rate_valid_from, count, rate, amount, currency, pay_code, corrects_period`.
    private func fields(of line: HonorariumLine) -> [String] {
        let decimal = format.separator == ";" ? "," : "."
        let currency = line.rateValidFrom.flatMap { day in rateSets.first { $0.validFrom == day }?.currency } ?? rateSets.last?.currency ?? "NOK"
        let about = line.corrects ?? line.kind
        return [
            line.kind.rawValue, about == .band ? line.threshold.map(String.init) ?? "" : "", about == .tierBonus ? line.threshold.map(String.init) ?? "" : "",
            line.rateValidFrom ?? "", String(line.count), line.rateOre.map { HonorariumPayroll.text(ore: $0, decimalSeparator: decimal) } ?? "",
            HonorariumPayroll.text(ore: line.amountOre, decimalSeparator: decimal), currency, line.payCode ?? "", line.correctsPeriod ?? "",
        ]
    }
}

/// Where a report being read has got to: the heading first, then pages of peer mentors by handle.
actor HonorariumReportCursor {
    let store: HonorariumReportStore
    let renderer: HonorariumReportRenderer
    let pageSize: Int
    private var headingWritten = false
    private var after: String?
    private var finished = false
    private(set) var rowsWritten = 0

    init(store: HonorariumReportStore, renderer: HonorariumReportRenderer, pageSize: Int) {
        self.store = store
        self.renderer = renderer
        self.pageSize = pageSize
    }

    /// The next chunk, or `nil` when the report is complete.
    func next() async throws -> String? {
        if !headingWritten {
            headingWritten = true
            return renderer.heading()
        }
        while !finished {
            let page = try await store.page(
                of: renderer.organization.id, timeZone: renderer.organization.settings.timeZoneIdentifier, period: renderer.period, after: after,
                limit: pageSize)
            rowsWritten += page.rows.count
            after = page.nextAfter
            if after == nil { finished = true }
            let chunk = renderer.lines(for: page.rows)
            if !chunk.isEmpty { return chunk }
        }
        return nil
    }
}
