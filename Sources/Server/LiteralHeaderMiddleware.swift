import HTTPTypes
import OpenAPIRuntime

/// Sends the values of response headers as HTTP writes them. The generated code percent-encodes
/// header values as URI components (swift-openapi-generator issue 857), which turns
/// `attachment; filename="x.csv"` into `attachment%3B%20…` and breaks an entity tag's quotes; the
/// values this server sets are plain header text, so they are decoded back here.
struct LiteralHeaderMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var (response, responseBody) = try await next(request, body, metadata)
        for index in response.headerFields.indices {
            let field = response.headerFields[index]
            if field.name != .contentType, field.name != .contentLength, let decoded = field.value.removingPercentEncoding, decoded != field.value {
                response.headerFields[index] = HTTPField(name: field.name, value: decoded)
            }
        }
        return (response, responseBody)
    }
}
