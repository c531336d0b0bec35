import AssignmentCore
import Contract
import Exports
import Foundation
import OpenAPIRuntime
import Storage
import Templates

/// Honorarium and the compliance exports:
///
/// - `GET /v1/honorarium/{user}?period=2026`: a peer mentor's count, tier and history (peer mentors
///   only their own; coordinators and admins anyone's in the organisation);
/// - `POST /v1/assignments/{id}/honorarium/void` (`{"reason": …}`): an organisation admin's correction;
/// - `GET /v1/reports/honorarium?period=2026[&format=excel][&language=nb]`: the organisation's
///   honorarium CSV, streamed page by page as the client reads (organisation admins);
/// - `GET /v1/audit/extract?from=…&to=…`: the organisation's signed audit extract as one JSON Lines
///   file, streamed the same way (organisation admins, who are its compliance officers, and global admins).
///
/// A streamed answer is checked before its first byte (period, range, role); a database failure
/// after that ends the body early, which the CSV's missing rows and the extract's missing manifest
/// show (`dispatch audit verify` says so).
extension APIHandler {
    func honorarium(_ input: Operations.Honorarium.Input) async throws -> Operations.Honorarium.Output {
        let user = try RequestScope.requireUser()
        let reference = try Self.userReference(input.path.user, allowingMe: false, user: user)
        let statement = try await honorarium.statement(of: reference, period: input.query.period, as: user.context, at: now())
        return .ok(.init(body: .json(.init(statement))))
    }

    func voidHonorarium(_ input: Operations.VoidHonorarium.Input) async throws -> Operations.VoidHonorarium.Output {
        let user = try RequestScope.requireUser()
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        let statement = try await honorarium.void(AssignmentID(try Self.uuid(input.path.id, "id")), reason: body.reason, by: user.context, at: now())
        return .ok(.init(body: .json(.init(statement))))
    }

    func honorariumRates(_ input: Operations.HonorariumRates.Input) async throws -> Operations.HonorariumRates.Output {
        let user = try RequestScope.requireUser()
        guard user.role.readsComplianceRecords else { throw HonorariumError.adminRequired }
        let sets = try await honorarium.rateSets(of: user.organizationID)
        return .ok(.init(body: .json(sets.map(Components.Schemas.HonorariumRateSet.init))))
    }

    func setHonorariumRates(_ input: Operations.SetHonorariumRates.Input) async throws -> Operations.SetHonorariumRates.Output {
        let user = try RequestScope.requireUser()
        guard user.role.administersOrganization else { throw HonorariumError.adminRequired }
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        let rates = HonorariumRateSet(
            validFrom: input.path.validFrom, currency: body.currency ?? "NOK",
            rates: body.rates.map {
                HonorariumRate(kind: $0.kind == .band ? .band : .tierBonus, threshold: $0.threshold, amountOre: $0.amountOre, payCode: $0.payCode)
            })
        try await honorarium.setRates(rates, of: user.organizationID, by: .user(user.context), at: now())
        return .ok(.init(body: .json(.init(rates))))
    }

    func honorariumReport(_ input: Operations.HonorariumReport.Input) async throws -> Operations.HonorariumReport.Output {
        let user = try RequestScope.requireUser()
        guard user.role.readsComplianceRecords else { throw HonorariumError.adminRequired }
        let period = input.query.period
        let chunks = try await ComplianceDownloads.honorariumCSV(
            database: database, user: user, period: period, format: input.query.format == .excel ? CSVFormat.excel : CSVFormat.standard,
            language: Language(rawValue: input.query.language?.rawValue ?? "en") ?? .en, via: "http", at: now())
        return .ok(
            .init(
                headers: .init(contentDisposition: "attachment; filename=\"honorarium-\(period).csv\"", cacheControl: "no-store"),
                body: .textCsvCharsetUtf8(HTTPBody(chunks.map { ArraySlice($0.utf8) }, length: .unknown, iterationBehavior: .single))))
    }

    func auditExtract(_ input: Operations.AuditExtract.Input) async throws -> Operations.AuditExtract.Output {
        let user = try RequestScope.requireUser()
        guard user.role.readsComplianceRecords else { throw HonorariumError.adminRequired }
        let chunks = try await ComplianceDownloads.auditExtract(
            database: database, serverKey: serverKey, user: user, from: input.query.from, to: input.query.to, via: "http", at: now())
        return .ok(
            .init(
                headers: .init(contentDisposition: "attachment; filename=\"audit-extract.jsonl\"", cacheControl: "no-store"),
                body: .applicationXNdjsonCharsetUtf8(HTTPBody(chunks.map { ArraySlice($0.utf8) }, length: .unknown, iterationBehavior: .single))))
    }
}
