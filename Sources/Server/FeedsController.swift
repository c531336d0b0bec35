import AssignmentCore
import Envelope
import Exports
import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// Calendar feeds over HTTP (docs/feeds.md).
///
/// - `GET /feeds/{token}.ics`: the masked feed, with no other authentication than the secret in the
///   address (calendar apps cannot send a bearer token). `ETag` and `Last-Modified`; a conditional
///   request for an unchanged feed is 304 from one indexed aggregate, without building it. A
///   malformed, unknown, rotated or revoked token is the same 404.
/// - `POST /v1/users/{user}/feed` (`{"language": "en"}` optional): makes the feed, or rotates it;
///   the answer holds the address, once. `GET` shows the live feed (never its address), `DELETE`
///   revokes it. `{user}` is a handle, an id or `me`; someone else's feed needs an organisation admin.
struct FeedsController {
    let feeds: FeedStore
    let calendar: CalendarFeed
    let publicURL: String?
    let now: @Sendable () -> Date

    struct Settings: StrictRequestBody {
        static let members: Set<String> = ["language"]
        var language: String?
    }

    func addRoutes(to router: Router<DispatchRequestContext>, api: RouterGroup<DispatchRequestContext>) {
        router.get("/feeds/{file}") { request, context -> Response in
            let file = context.parameters.get("file") ?? ""
            guard file.hasSuffix(".ics"), let subject = try await feeds.resolve(token: String(file.dropLast(4))) else { throw FeedError.noFeed }
            let version = try await feeds.version(of: subject)
            let entityTag = calendar.entityTag(of: subject, version: version)
            let lastModified = HTTPDate.format(version.lastChange)
            var headers: HTTPFields = [
                .eTag: entityTag, .lastModified: lastModified, .cacheControl: "private, no-cache",
                .init("Referrer-Policy")!: "no-referrer", .init("X-Robots-Tag")!: "noindex, nofollow",
            ]
            if Self.isUnchanged(request.headers, entityTag: entityTag, lastModified: version.lastChange) {
                return Response(status: .notModified, headers: headers)
            }
            let text = calendar.render(subject, assignments: try await feeds.assignments(of: subject))
            headers[.contentType] = "text/calendar; charset=utf-8"
            headers[.contentDisposition] = "inline; filename=\"assignments.ics\""
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }

        api.post("/users/{user}/feed") { request, context -> EditedResponse<FeedAddress> in
            let user = try context.requireUser()
            let settings = try await request.decodeStrictlyIfPresent(as: Settings.self, context: context)
            let issued = try await feeds.issue(for: Self.reference(context, user), language: settings?.language, as: user.context, at: now())
            return EditedResponse(status: .created, headers: [.cacheControl: "no-store"], response: FeedAddress(issued, baseURL: baseURL(for: request)))
        }
        api.get("/users/{user}/feed") { _, context -> FeedRecord in
            let user = try context.requireUser()
            return try await feeds.live(for: Self.reference(context, user), as: user.context)
        }
        api.delete("/users/{user}/feed") { _, context -> HTTPResponse.Status in
            let user = try context.requireUser()
            try await feeds.revoke(for: Self.reference(context, user), as: user.context, at: now())
            return .noContent
        }
    }

    private static func reference(_ context: DispatchRequestContext, _ user: UserRecord) throws -> String {
        let reference = context.parameters.get("user") ?? ""
        if reference == "me" { return user.id.description }
        guard UUID(uuidString: reference) != nil || AccountStore.isValidHandle(reference) else { throw RequestError.invalidIdentifier("user") }
        return reference
    }

    /// The configured public address (`DISPATCH_PUBLIC_URL`), or else the host the request named
    /// (only host-name characters, so a hostile Host header cannot shape the address).
    private func baseURL(for request: Request) -> String {
        if let publicURL { return publicURL }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard let host = request.head.authority, (1...255).contains(host.count), host.allSatisfy(allowed.contains) else { return "http://localhost" }
        return "http://\(host)"
    }

    /// RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since.
    static func isUnchanged(_ headers: HTTPFields, entityTag: String, lastModified: Date) -> Bool {
        if let candidates = headers[.ifNoneMatch] {
            return candidates.split(separator: ",").contains { candidate in
                let tag = candidate.trimmingCharacters(in: .whitespaces)
                return tag == "*" || tag == entityTag || tag == "W/" + entityTag
            }
        }
        if let since = headers[.ifModifiedSince].flatMap(HTTPDate.parse) {
            return lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        return false
    }
}

extension FeedRecord: ResponseEncodable {}
extension FeedAddress: ResponseEncodable {}

/// IMF-fixdate (RFC 9110 §5.6.7), the one date format HTTP headers use.
enum HTTPDate {
    static func format(_ date: Date) -> String {
        formatter().string(from: date)
    }

    static func parse(_ text: String) -> Date? {
        formatter().date(from: text)
    }

    private static func formatter() -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter
    }
}
