import HTTPTypes
import OpenAPIRuntime

/// An empty request body is no body: the transport hands every request a body, even one of
/// zero bytes, and the generated code would try to read JSON from it where the contract makes the
/// body optional (`POST /v1/users/{user}/feed`). ``RequestBodyMiddleware`` has set the length.
struct EmptyBodyMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if let body, case .known(0) = body.length {
            return try await next(request, nil, metadata)
        }
        return try await next(request, body, metadata)
    }
}
