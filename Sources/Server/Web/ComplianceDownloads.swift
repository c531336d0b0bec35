import AssignmentCore
import Envelope
import Exports
import Foundation
import Postgres
import Storage

/// The two compliance downloads, shared by the API (`/v1/reports/honorarium`, `/v1/audit/extract`)
/// and the pages: each checks its input before the first byte, records the pull in the audit, and
/// returns the file as chunks pulled as the client reads.
enum ComplianceDownloads {
    static func honorariumCSV(
        database: Database, user: UserRecord, period: String, format: CSVFormat, language: Language, via: String, at time: Date
    ) async throws -> AsyncThrowingStream<String, any Error> {
        let report = HonorariumReport(database: database)
        try HonorariumReport.validate(period: period)
        try await report.store.recordPull(
            of: user.organizationID, period: period, format: format == .excel ? "excel" : "csv", language: language.rawValue, via: via, by: .user(user.context),
            at: time)
        return try await report.chunks(organization: user.organizationID, period: period, format: format, language: language)
    }

    static func auditExtract(
        database: Database, serverKey: ServerKey, user: UserRecord, from: String, to: String, via: String, at generatedAt: Date
    ) async throws -> AsyncThrowingStream<String, any Error> {
        let organization = try await AccountStore(database: database).organization(user.organizationID.description)
        let range: (from: Date, to: Date)
        do {
            range = try AuditExtract.range(from: from, to: to, timeZone: organization.settings.calendar.timeZone)
        } catch let error as AuditExtractError {
            throw RequestError.invalidValue(member: "from", problem: error.description)
        }
        let extract = AuditExtract(database: database, signingKey: try serverKey.auditSigningKey())
        try await extract.store.recordPull(of: organization.id, from: range.from, to: range.to, format: "jsonl", via: via, by: .user(user.context), at: generatedAt)
        return extract.bundle(organization: organization.id, from: range.from, to: range.to, generatedAt: generatedAt)
    }
}
