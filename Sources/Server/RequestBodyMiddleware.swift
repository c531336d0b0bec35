import Hummingbird

/// Reads every request body whole, up to ``DispatchRequestContext/maximumRequestBody``, before
/// anything decodes it: a larger body is 413 `payload_too_large` however it is sent (with or
/// without a length), and later middleware (the idempotency hash) sees the same bytes the
/// operation decodes. A body without a Content-Type is taken as JSON, the only kind this API
/// reads. Also keeps the request's `Host` for the operations that hand out addresses.
struct RequestBodyMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        var head = request.head
        // Every body of this API is JSON; one sent without a Content-Type is read as JSON rather
        // than silently taken for no body at all.
        if buffer.readableBytes > 0, head.headerFields[.contentType] == nil {
            head.headerFields[.contentType] = "application/json"
        }
        // The length is now known, also for a chunked request: ``EmptyBodyMiddleware`` relies on it.
        head.headerFields[.contentLength] = String(buffer.readableBytes)
        let request = Request(head: head, body: RequestBody(buffer: buffer))
        return try await RequestScope.$authority.withValue(request.head.authority) { try await next(request, context) }
    }
}
