import AssignmentCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// Requires a valid bearer token on every route below it and puts its user into the context.
///
/// Missing, malformed, unknown, expired and revoked tokens all get the same 401 problem
/// (`unauthorized`, with `WWW-Authenticate: Bearer`), so a caller learns nothing about which. Failed
/// attempts are counted per client address by ``AuthenticationFailureLimiter``; past its limit the
/// answer is 429 `too_many_requests` with `Retry-After`, before any token is looked up.
struct BearerAuthenticationMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    let accounts: AccountStore
    let limiter: AuthenticationFailureLimiter
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let client = context.clientAddress
        if let retryAfter = await limiter.retryAfter(for: client, at: now()) {
            var response = ProblemMapping.response(
                for: ProblemDetails(status: .tooManyRequests, code: "too_many_requests", detail: "Too many failed sign-ins. Try again later."))
            response.headers[.retryAfter] = String(Int(retryAfter.rounded(.up)))
            return response
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let user = try await accounts.authenticate(token: String(header.dropFirst("Bearer ".count)), at: now())
        else {
            await limiter.recordFailure(for: client, at: now())
            var response = ProblemMapping.response(
                for: ProblemDetails(status: .unauthorized, code: "unauthorized", detail: "A valid bearer token is required."))
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
        var context = context
        context.user = user
        return try await next(request, context)
    }
}

/// Counts failed authentications per client address in a sliding window. Kept in memory per
/// instance: it slows down guessing, and a restart forgetting it costs an attacker nothing worth
/// having, since tokens carry 256 random bits.
actor AuthenticationFailureLimiter {
    let limit: Int
    let window: TimeInterval
    private var failures: [String: [Date]] = [:]

    init(limit: Int = 10, window: TimeInterval = 60) {
        self.limit = limit
        self.window = window
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

/// `GET /v1/me`: who the token belongs to.
struct MeController {
    func addRoutes(to group: RouterGroup<DispatchRequestContext>) {
        group.get("/me") { _, context -> UserRecord in
            try context.requireUser()
        }
    }
}

extension UserRecord: ResponseEncodable {}
