import Contract
import HTTPTypes
import Hummingbird

/// An address the contract defines, asked with a method it does not define for it, is
/// `405 Method Not Allowed` with an `Allow` header, not a 404 (RFC 9110 §15.5.6).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if context.endpointPath == nil, let methods = APIDocument.methods(forPath: request.uri.path), !methods.contains(request.method.rawValue) {
            throw HTTPError(.methodNotAllowed, headers: [.allow: methods.joined(separator: ", ")])
        }
        return try await next(request, context)
    }
}
