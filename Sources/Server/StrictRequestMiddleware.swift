import Contract
import Foundation
import Hummingbird

/// Refuses what the generated code would silently let through:
///
/// - query parameters the contract does not define for the operation (400 `unknown_member`): a
///   misspelt filter must be an error, not ignored;
/// - a `null` anywhere in a JSON body (400 `malformed_request`): no request schema of the contract
///   has a member that may be null (`OpenAPITests` checks the document for that), and the decoder
///   would take `null` for a member left out.
struct StrictRequestMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let route = context.endpointPath, let known = APIDocument.queryParameters["\(request.method.rawValue) \(route)"] {
            let unknown = Set(request.uri.queryParameters.map { String($0.key) }).subtracting(known)
            guard unknown.isEmpty else { throw RequestError.unknownMembers(unknown.sorted().map { String($0.prefix(40)) }) }
        }
        // The body was read whole by RequestBodyMiddleware.
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        if body.readableBytes > 0, request.headers[.contentType]?.hasPrefix("application/json") == true,
            let value = try? JSONSerialization.jsonObject(with: Data(buffer: body), options: [.fragmentsAllowed]), Self.containsNull(value)
        {
            throw RequestError.nullMember
        }
        return try await next(request, context)
    }

    static func containsNull(_ value: Any) -> Bool {
        switch value {
        case is NSNull: true
        case let object as [String: Any]: object.values.contains(where: containsNull)
        case let array as [Any]: array.contains(where: containsNull)
        default: false
        }
    }
}
