import AssignmentCore
import Foundation
import Hummingbird
import Storage

/// Honorarium over HTTP (docs/honorarium.md):
///
/// - `GET /v1/honorarium/{user}?period=2026`: a peer mentor's count, tier and history (peer mentors
///   only their own; coordinators and admins anyone's in the organisation);
/// - `POST /v1/assignments/{id}/honorarium/void` (`{"reason": …}`): an organisation admin's correction.
struct HonorariumController {
    let honorarium: HonorariumStore
    let now: @Sendable () -> Date

    struct Correction: StrictRequestBody {
        static let members: Set<String> = ["reason"]
        var reason: String
    }

    func addRoutes(to group: RouterGroup<DispatchRequestContext>) {
        group.get("/honorarium/{user}") { request, context -> HonorariumStatement in
            let user = try context.requireUser()
            let reference = context.parameters.get("user") ?? ""
            guard UUID(uuidString: reference) != nil || AccountStore.isValidHandle(reference) else { throw RequestError.invalidIdentifier("user") }
            let unknown = Set(request.uri.queryParameters.map { String($0.key) }).subtracting(["period"])
            guard unknown.isEmpty else { throw RequestError.unknownMembers(unknown.sorted()) }
            return try await honorarium.statement(of: reference, period: request.uri.queryParameters.get("period"), as: user.context, at: now())
        }
        group.post("/assignments/{id}/honorarium/void") { request, context -> HonorariumStatement in
            let user = try context.requireUser()
            let id = AssignmentID(try context.parameters.requireID("id"))
            let body = try await request.decodeStrictly(as: Correction.self, context: context)
            return try await honorarium.void(id, reason: body.reason, by: user.context, at: now())
        }
    }
}

extension HonorariumStatement: ResponseEncodable {}
