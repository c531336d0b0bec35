import AssignmentCore
import Contract
import Exports
import Foundation
import OpenAPIRuntime
import Storage

/// Calendar feeds (docs/feeds.md):
///
/// - `GET /feeds/{token}.ics`: the masked feed, with no other authentication than the secret in the
///   address (calendar apps cannot send a bearer token). `ETag` and `Last-Modified`; a conditional
///   request for an unchanged feed is 304 from one indexed aggregate, without building it. A
///   malformed, unknown, rotated or revoked token is the same 404.
/// - `POST /v1/users/{user}/feed` (`{"language": "en"}` optional): makes the feed, or rotates it;
///   the answer holds the address, once. `GET` shows the live feed (never its address), `DELETE`
///   revokes it. `{user}` is a handle, an id or `me`; someone else's feed needs an organisation admin.
extension APIHandler {
    func calendarFeed(_ input: Operations.CalendarFeed.Input) async throws -> Operations.CalendarFeed.Output {
        let file = input.path.file
        guard file.hasSuffix(".ics"), let (subject, version) = try await feeds.resolveWithVersion(token: String(file.dropLast(4))) else { throw FeedError.noFeed }
        let entityTag = calendar.entityTag(of: subject, version: version)
        let lastModified = HTTPDate.format(version.lastChange)
        if Self.isUnchanged(ifNoneMatch: input.headers.ifNoneMatch, ifModifiedSince: input.headers.ifModifiedSince, entityTag: entityTag, lastModified: version.lastChange) {
            return .notModified(
                .init(headers: .init(eTag: entityTag, lastModified: lastModified, cacheControl: "private, no-cache", referrerPolicy: .noReferrer, xRobotsTag: "noindex, nofollow")))
        }
        let text = try calendar.render(subject, assignments: try await feeds.assignments(of: subject))
        return .ok(
            .init(
                headers: .init(
                    eTag: entityTag, lastModified: lastModified, cacheControl: "private, no-cache", contentDisposition: "inline; filename=\"assignments.ics\"",
                    referrerPolicy: .noReferrer, xRobotsTag: "noindex, nofollow"),
                body: .textCalendarCharsetUtf8(HTTPBody(text))))
    }

    func issueFeed(_ input: Operations.IssueFeed.Input) async throws -> Operations.IssueFeed.Output {
        let user = try RequestScope.requireUser()
        var language: String?
        if case .json(let settings) = input.body { language = settings.language?.rawValue }
        let issued = try await feeds.issue(for: try Self.userReference(input.path.user, allowingMe: true, user: user), language: language, as: user.context, serverKeyVersion: serverKey.currentVersion, at: now())
        return .created(.init(headers: .init(cacheControl: "no-store"), body: .json(try .init(FeedAddress(issued, baseURL: baseURL())))))
    }

    func showFeed(_ input: Operations.ShowFeed.Input) async throws -> Operations.ShowFeed.Output {
        let user = try RequestScope.requireUser()
        let feed = try await feeds.live(for: try Self.userReference(input.path.user, allowingMe: true, user: user), as: user.context)
        return .ok(.init(body: .json(try .init(feed))))
    }

    func revokeFeed(_ input: Operations.RevokeFeed.Input) async throws -> Operations.RevokeFeed.Output {
        let user = try RequestScope.requireUser()
        try await feeds.revoke(for: try Self.userReference(input.path.user, allowingMe: true, user: user), as: user.context, at: now())
        return .noContent(.init())
    }

    /// The configured public address (`DISPATCH_PUBLIC_URL`), or else the host the request named
    /// (only host-name characters, so a hostile Host header cannot shape the address).
    private func baseURL() -> String {
        if let publicURL { return publicURL }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        guard let host = RequestScope.authority, (1...255).contains(host.count), host.allSatisfy(allowed.contains) else { return "http://localhost" }
        return "http://\(host)"
    }

    /// RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since.
    static func isUnchanged(ifNoneMatch: String?, ifModifiedSince: String?, entityTag: String, lastModified: Date) -> Bool {
        if let candidates = ifNoneMatch {
            return candidates.split(separator: ",").contains { candidate in
                let tag = candidate.trimmingCharacters(in: .whitespaces)
                return tag == "*" || tag == entityTag || tag == "W/" + entityTag
            }
        }
        if let since = ifModifiedSince.flatMap(HTTPDate.parse) {
            return lastModified.timeIntervalSince1970.rounded(.down) <= since.timeIntervalSince1970
        }
        return false
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), the one date format HTTP headers use.
enum HTTPDate {
    static func format(_ date: Date) -> String { DateTimeText.httpDate(date) }

    static func parse(_ text: String) -> Date? { DateTimeText.parseHTTPDate(text) }
}
