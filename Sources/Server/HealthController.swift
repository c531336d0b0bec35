import Hummingbird
import Postgres
import Storage

/// `GET /healthz`: 200 when the service can reach its database, 503 (problem+json,
/// `database_unavailable`) when not. For load balancers and `systemd`; it says nothing about the data.
struct HealthController {
    let database: Database

    struct Health: ResponseEncodable {
        var status: String
        var database: String
    }

    func addRoutes(to router: Router<DispatchRequestContext>) {
        router.get("/healthz") { request, context -> Response in
            do {
                try await database.withConnection { try $0.execute("SELECT 1") }
            } catch {
                context.logger.warning("health check: the database cannot be reached")
                return ProblemMapping.response(
                    for: ProblemDetails(status: .serviceUnavailable, code: "database_unavailable", detail: "The service cannot reach its database."))
            }
            return try Health(status: "ok", database: "ok").response(from: request, context: context)
        }
    }
}
