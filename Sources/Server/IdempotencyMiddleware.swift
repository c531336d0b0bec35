import AssignmentCore
import Envelope
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Storage

extension HTTPField.Name {
    public static let idempotencyKey = Self("Idempotency-Key")!
    public static let idempotentReplayed = Self("Idempotent-Replayed")!
}

/// `Idempotency-Key` on `POST /v1/assignments` (docs/http.md): the first request with a key claims
/// it (in a transaction of its own), and the dispatch stores its answer in the dispatch's own
/// transaction; a retry with the same key and the same body bytes gets that answer again, byte for
/// byte, with `Idempotent-Replayed: true`; while the first still runs, 409
/// `idempotency_key_in_progress`; the same key with another body, 422 `idempotency_key_reused`.
/// A dispatch that fails frees its key. Keys belong to the user who sent them.
struct IdempotencyMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    let idempotency: IdempotencyStore
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, request.uri.path == "/v1/assignments", let key = request.headers[.idempotencyKey] else {
            return try await next(request, context)
        }
        let user = try RequestScope.requireUser()
        // The body was read whole by RequestBodyMiddleware; the hash covers it as sent.
        let bytes = try await request.body.collect(upTo: context.maxUploadSize)
        let idempotent = try IdempotentRequest(key: key, requestHash: SHA256.hash(Array("POST /v1/assignments\n".utf8) + Array(bytes.readableBytesView)))
        switch try await idempotency.claim(idempotent, by: user.context, at: now()) {
        case .replay(let stored):
            var response = Self.response(stored)
            response.headers[.idempotentReplayed] = "true"
            return response
        case .claimed:
            let dispatch = IdempotentDispatch(request: idempotent)
            do {
                _ = try await RequestScope.$idempotency.withValue(dispatch) { try await next(request, context) }
            } catch {
                try? await idempotency.release(idempotent, by: user.context)
                throw error
            }
            // The operation stored its answer with the dispatch; that stored answer is the one sent,
            // so the first answer and every replay are the same bytes.
            guard let stored = dispatch.answer else { throw IdempotencyFailure.answerNotStored }
            return Self.response(stored)
        }
    }

    static func response(_ stored: StoredResponse) -> Response {
        Response(
            status: HTTPResponse.Status(code: stored.status), headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: stored.body)))
    }
}

/// A claimed Idempotency-Key while its dispatch runs, and the answer the dispatch stored.
final class IdempotentDispatch: Sendable {
    let request: IdempotentRequest
    private let stored = NIOLockedValueBox<StoredResponse?>(nil)

    init(request: IdempotentRequest) { self.request = request }

    var answer: StoredResponse? { stored.withLockedValue { $0 } }

    /// What the dispatch passes to the store: renders the answer with the contract's own JSON
    /// encoding and keeps it for the middleware.
    func completion(render: @escaping @Sendable (DispatchedAssignment) throws -> [UInt8]) -> IdempotencyCompletion<DispatchedAssignment> {
        IdempotencyCompletion(request: request) { [stored] result in
            let answer = StoredResponse(status: 201, body: try render(result))
            stored.withLockedValue { $0 = answer }
            return answer
        }
    }
}

/// A dispatch that succeeded without storing its answer: a bug, answered as a server error.
enum IdempotencyFailure: Error {
    case answerNotStored
}
