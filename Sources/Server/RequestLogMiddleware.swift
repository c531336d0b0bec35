import Hummingbird
import Logging

/// One log line per request: method, route template, status and duration.
///
/// The route *template* (`/v1/assignments/{id}`, `/feeds/{file}`), never the concrete path or the
/// query: a calendar feed's address is its secret, and query strings carry filters such as handles
/// and regions. Request ids in the line come from Hummingbird's logger metadata. Bodies and headers
/// are never logged.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            log(request, context, status: response.status.code, since: started)
            return response
        } catch {
            log(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    private func log(_ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - started
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        context.logger.info(
            "request", metadata: [
                "method": "\(request.method.rawValue)", "route": "\(context.endpointPath ?? "unmatched")", "status": "\(status)",
                "duration_ms": "\(milliseconds)",
            ])
    }
}
