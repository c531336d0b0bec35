import Foundation
import Hummingbird
import Metrics
import Prometheus

/// Counts requests and measures their duration per method, route template and status, through a
/// metrics factory passed in (no process-wide `MetricsSystem.bootstrap`, so every application,
/// and every test, has registries of its own).
///
/// Labels use the route template (`/v1/assignments/{id}`), never the concrete path, so no id
/// reaches the metrics and their number stays bounded.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let factory: any MetricsFactory

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        let dimensions = [("method", request.method.rawValue), ("route", route), ("status", String(response.status.code))]
        Counter(label: "http_requests_total", dimensions: dimensions, factory: factory).increment()
        Metrics.Timer(label: "http_request_duration_seconds", dimensions: [("method", request.method.rawValue), ("route", route)], factory: factory)
            .recordInterval(since: started)
        return response
    }
}

extension Metrics.Timer {
    func recordInterval(since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        recordNanoseconds(nanoseconds)
    }
}
