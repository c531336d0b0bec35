import AssignmentCore
import Exports
import Foundation
import Hummingbird
import Postgres
import Storage
import Templates

/// `GET /v1/reports/honorarium?period=2026[&format=excel][&language=nb]`: the honorarium CSV of the caller's
/// organisation, streamed page by page; organisation admins only.
struct ReportsController {
    let database: Database

    func addRoutes(to group: RouterGroup<DispatchRequestContext>) {
        group.get("/reports/honorarium") { request, context -> Response in
            let user = try context.requireUser()
            guard user.role >= .organizationAdmin else { throw HonorariumError.adminRequired }
            let parameters = request.uri.queryParameters
            let unknown = Set(parameters.map { String($0.key) }).subtracting(["period", "format", "language"])
            guard unknown.isEmpty else { throw RequestError.unknownMembers(unknown.sorted()) }
            guard let period = parameters.get("period") else { throw RequestError.invalidValue(member: "period", problem: "is needed: a year, such as 2026") }
            try HonorariumReport.validate(period: period)
            let format: CSVFormat
            switch parameters.get("format") {
            case nil, "csv": format = .standard
            case "excel": format = .excel
            default: throw RequestError.invalidValue(member: "format", problem: "must be csv or excel")
            }
            guard let language = Language(rawValue: parameters.get("language") ?? "en") else {
                throw RequestError.invalidValue(member: "language", problem: "must be en or nb")
            }
            let report = HonorariumReport(database: database)
            let organization = user.organizationID
            return Response(
                status: .ok,
                headers: [
                    .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                    .contentDisposition: "attachment; filename=\"honorarium-\(period).csv\"",
                ],
                body: ResponseBody { writer in
                    try await report.write(organization: organization, period: period, format: format, language: language) { try await writer.write(ByteBuffer(string: $0)) }
                    try await writer.finish(nil)
                })
        }
    }
}
