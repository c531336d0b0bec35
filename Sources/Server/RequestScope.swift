import Foundation
import Hummingbird
import Storage

/// What the middleware learns about a request that the generated operation handlers cannot see
/// (they get the contract's typed input only): the signed-in user, the address the request came
/// to, and an idempotent dispatch in progress. Task-local, so it holds exactly for the request
/// being handled.
enum RequestScope {
    /// Set by ``BearerAuthenticationMiddleware`` on every `/v1` request.
    @TaskLocal static var user: UserRecord?
    /// The request's `Host`, for addresses handed out when no public URL is configured.
    @TaskLocal static var authority: String?
    /// Set by ``IdempotencyMiddleware`` while it holds a claimed Idempotency-Key.
    @TaskLocal static var idempotency: IdempotentDispatch?

    /// The signed-in user; operations under `/v1` always have one.
    static func requireUser() throws -> UserRecord {
        guard let user else { throw HTTPError(.unauthorized) }
        return user
    }
}
