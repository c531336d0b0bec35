import AssignmentCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// Requires a valid bearer token on every `/v1` route and puts its user into the request scope
/// (``RequestScope/user``); other routes (health, metrics, the document, calendar feeds) pass.
///
/// Missing, malformed, unknown, expired and revoked tokens all get the same 401 problem
/// (`unauthorized`, with `WWW-Authenticate: Bearer`), so a caller learns nothing about which. Failed
/// bearer tokens are counted per client address by ``AuthenticationFailureLimiter`` (a request
/// with no token guesses nothing and is not counted); past its limit a failed attempt waits a
/// moment and is answered 429 `too_many_requests` with `Retry-After`. A valid token is never
/// refused because others on the same address failed.
struct BearerAuthenticationMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    let accounts: AccountStore
    let limiter: AuthenticationFailureLimiter
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Only the contract's own /v1 operations: an unknown address is a plain 404 for everyone.
        guard context.endpointPath?.hasPrefix("/v1/") == true else { return try await next(request, context) }
        let client = context.clientAddress
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        // A valid token always gets in, also from an address where others failed (a shared office
        // network): the limit is on failures, not on the address.
        if let presented, let user = try await accounts.authenticate(token: presented, at: now()) {
            return try await RequestScope.$user.withValue(user) { try await next(request, context) }
        }
        // No token at all guesses nothing: it is refused, not counted.
        guard presented != nil else { return Self.unauthorized() }
        if let retryAfter = await limiter.retryAfter(for: client, at: now()) {
            // Past the limit, each further failure waits before it is answered: guessing slows to
            // a crawl, and the answer (429) says no more about the token than a 401 would.
            try await Task.sleep(for: limiter.penalty)
            var response = ProblemMapping.response(
                for: ProblemDetails(status: .tooManyRequests, code: "too_many_requests", detail: "Too many failed sign-ins. Try again later."))
            response.headers[.retryAfter] = String(Int(retryAfter.rounded(.up)))
            return response
        }
        await limiter.recordFailure(for: client, at: now())
        return Self.unauthorized()
    }

    static func unauthorized() -> Response {
        var response = ProblemMapping.response(for: ProblemDetails(status: .unauthorized, code: "unauthorized", detail: "A valid bearer token is required."))
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }
}

/// Counts failed authentications per client address in a sliding window. Kept in memory per
/// instance: it slows down guessing, and a restart forgetting it costs an attacker nothing worth
/// having, since tokens carry 256 random bits.
actor AuthenticationFailureLimiter {
    let limit: Int
    let window: TimeInterval
    /// How long a failure past the limit waits before it is answered.
    nonisolated let penalty: Duration
    private var failures: [String: [Date]] = [:]

    init(limit: Int = 10, window: TimeInterval = 60, penalty: Duration = .milliseconds(250)) {
        self.limit = limit
        self.window = window
        self.penalty = penalty
    }

    /// How long the client must wait, or `nil` when it may try.
    func retryAfter(for client: String, at time: Date) -> TimeInterval? {
        let recent = (failures[client] ?? []).filter { time.timeIntervalSince($0) < window }
        failures[client] = recent.isEmpty ? nil : recent
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        return window - time.timeIntervalSince(oldest)
    }

    func recordFailure(for client: String, at time: Date) {
        failures[client, default: []].append(time)
        // Bound the memory an attacker cycling addresses can make us spend.
        if failures.count > 100_000 { failures.removeAll() }
    }
}
