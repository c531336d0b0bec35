import AssignmentCore
import Envelope
import Exports
import Foundation
import Hummingbird
import Postgres
import Storage

/// `GET /v1/audit/extract?from=2026-01-01&to=2026-12-31`: the caller's organisation's audit extract
/// (docs/audit.md), streamed as one JSON Lines file: the entries, then the manifest line, then the
/// signature line. `dispatch audit verify FILE` checks it offline. Organisation admins, who are the
/// compliance officers of their organisation, and global admins.
struct AuditController {
    let database: Database
    let serverKey: ServerKey
    let now: @Sendable () -> Date

    func addRoutes(to group: RouterGroup<DispatchRequestContext>) {
        group.get("/audit/extract") { request, context -> Response in
            let user = try context.requireUser()
            guard user.role >= .organizationAdmin else { throw HonorariumError.adminRequired }
            let parameters = request.uri.queryParameters
            let unknown = Set(parameters.map { String($0.key) }).subtracting(["from", "to"])
            guard unknown.isEmpty else { throw RequestError.unknownMembers(unknown.sorted()) }
            guard let from = parameters.get("from"), let to = parameters.get("to") else {
                throw RequestError.invalidValue(member: "from", problem: "from and to are needed: days such as 2026-01-01, or exact times")
            }
            let organization = try await AccountStore(database: database).organization(user.organizationID.description)
            let range: (from: Date, to: Date)
            do {
                range = try AuditExtract.range(from: from, to: to, timeZone: organization.settings.calendar.timeZone)
            } catch let error as AuditExtractError {
                throw RequestError.invalidValue(member: "from", problem: error.description)
            }
            let extract = AuditExtract(database: database, signingKey: try serverKey.auditSigningKey())
            let generatedAt = now()
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/x-ndjson; charset=utf-8", .cacheControl: "no-store",
                    .contentDisposition: "attachment; filename=\"audit-extract.jsonl\"",
                ],
                body: ResponseBody { writer in
                    try await extract.writeBundle(organization: organization.id, from: range.from, to: range.to, generatedAt: generatedAt) {
                        try await writer.write(ByteBuffer(string: $0))
                    }
                    try await writer.finish(nil)
                })
        }
    }
}
