import AssignmentCore
import DatabaseTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

@Suite("Calendar feeds over HTTP")
struct FeedTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    struct Issued: Decodable {
        struct Feed: Decodable { var id: String; var language: String; var handle: String }
        var feed: Feed
        var url: String
        var webcal_url: String
        var replaced: Bool

        /// The path of the feed on the test server.
        var path: String { String(url[url.range(of: "/feeds/")!.lowerBound...]) }
    }

    @Test("a user makes their feed, subscribes, gets 304 while nothing changes, sees assignments come and go; rotate and revoke stop the old address")
    func lifecycle() async throws {
        let log = LogRecorder()
        let (application, accounts) = try await makeApplication(clock: clock, logger: log.logger())
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        _ = try await accounts.addUser(to: world.organization.id, handle: "admin", role: .organizationAdmin, at: clock.now)
        let adminToken = try await accounts.issueToken(for: "admin", in: world.organization.id, lifetime: 86_400, at: clock.now).token
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            func call(_ method: HTTPRequest.Method, _ uri: String, token: String?, body: String = "", headers: HTTPFields = [:]) async throws -> TestResponse {
                var fields = headers
                if let token { fields[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: method, headers: fields, body: ByteBuffer(string: body))
            }

            let made = try await call(.post, "/v1/users/me/feed", token: world.mentorToken, body: #"{"language":"en"}"#)
            #expect(made.status == .created)
            #expect(made.headers[.cacheControl] == "no-store")
            let issued = try JSONDecoder().decode(Issued.self, from: Data(buffer: made.body))
            #expect(issued.feed.handle == "mentor" && issued.feed.language == "en" && !issued.replaced)
            #expect(issued.url.range(of: "^http://[^/]+/feeds/cal_[A-Za-z0-9_-]{43}\\.ics$", options: .regularExpression) != nil, "\(issued.url)")
            #expect(issued.webcal_url == "webcal" + issued.url.dropFirst(4))
            let token = String(issued.path.dropFirst("/feeds/".count).dropLast(4))
            #expect(try await count("SELECT count(*) AS n FROM feed_tokens WHERE token_hash = sha256(convert_to('\(token)', 'UTF8'))", accounts.database) == 1,
                    "only the hash is stored")

            // An empty feed, then one assignment's events.
            let empty = try await call(.get, issued.path, token: nil)
            #expect(empty.status == .ok)
            #expect(empty.headers[.contentType] == "text/calendar; charset=utf-8")
            #expect(empty.headers[.cacheControl]?.contains("private") == true)
            #expect(String(buffer: empty.body).components(separatedBy: "BEGIN:VEVENT").count == 1)
            clock.advance(by: 60)
            let id = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken).status == .created)
            let first = try await call(.get, issued.path, token: nil)
            let body = String(buffer: first.body)
            #expect(body.components(separatedBy: "BEGIN:VEVENT").count == 3, "the contact deadline (the first reminder's day) and the expiry (90 days, the lifetime)")
            #expect(body.contains("SUMMARY:Deadline: make contact for an assignment"))
            #expect(!body.contains("Oppdrag 42") && !body.contains(id.description))
            let entityTag = try #require(first.headers[.eTag])
            let lastModified = try #require(first.headers[.lastModified])
            #expect(entityTag != empty.headers[.eTag])

            // Conditional requests: 304 with no body, while nothing changed.
            for headers: HTTPFields in [[.ifNoneMatch: entityTag], [.ifNoneMatch: "\"other\", \(entityTag)"], [.ifNoneMatch: "W/\(entityTag)"], [.ifModifiedSince: lastModified]] {
                let again = try await call(.get, issued.path, token: nil, headers: headers)
                #expect(again.status == .notModified, "\(headers)")
                #expect(again.body.readableBytes == 0 && again.headers[.eTag] == entityTag)
            }
            #expect(try await call(.get, issued.path, token: nil, headers: [.ifNoneMatch: "\"stale\""]).status == .ok)
            #expect(try await call(.get, issued.path, token: nil, headers: [.ifNoneMatch: "\"stale\"", .ifModifiedSince: lastModified]).status == .ok,
                    "If-None-Match decides when both are sent")

            // Cancelled: it leaves the feed, and the old ETag no longer matches.
            clock.advance(by: 60)
            #expect(try await world.post(client, "/v1/assignments/\(id)/cancel", body: #"{"reason":"Ikke aktuelt"}"#, as: world.coordinatorToken).status == .ok)
            let afterCancel = try await call(.get, issued.path, token: nil, headers: [.ifNoneMatch: entityTag])
            #expect(afterCancel.status == .ok)
            #expect(!String(buffer: afterCancel.body).contains("BEGIN:VEVENT"))

            // Who may manage whose feed.
            let refused = try await call(.post, "/v1/users/coord/feed", token: world.mentorToken)
            #expect(refused.status == .forbidden && problemCode(refused) == "organization_admin_required")
            #expect(try await call(.get, "/v1/users/me/feed", token: world.mentorToken).status == .ok)
            let shown = String(buffer: try await call(.get, "/v1/users/mentor/feed", token: adminToken).body)
            #expect(shown.contains("\"language\":\"en\"") && !shown.contains(token) && !shown.contains("/feeds/"), "the address is never shown again")

            // Rotation by an admin: the old address is 404 at once, the new one works.
            let rotated = try JSONDecoder().decode(Issued.self, from: Data(buffer: try await call(.post, "/v1/users/mentor/feed", token: adminToken).body))
            #expect(rotated.replaced && rotated.feed.language == "en" && rotated.url != issued.url)
            let gone = try await call(.get, issued.path, token: nil)
            #expect(gone.status == .notFound && problemCode(gone) == "feed_not_found")
            #expect(try await call(.get, rotated.path, token: nil).status == .ok)

            // Revocation by the user.
            #expect(try await call(.delete, "/v1/users/me/feed", token: world.mentorToken).status == .noContent)
            #expect(try await call(.get, rotated.path, token: nil).status == .notFound)
            let none = try await call(.get, "/v1/users/me/feed", token: world.mentorToken)
            #expect(none.status == .notFound && problemCode(none) == "feed_not_found")
            #expect(try await call(.delete, "/v1/users/me/feed", token: world.mentorToken).status == .notFound)
            #expect(try await count("SELECT count(*) AS n FROM audit_entries WHERE action IN ('feed.created', 'feed.rotated', 'feed.revoked')", accounts.database) == 3)

            // The secret addresses never reach the log; the request lines name the route template.
            #expect(!log.text.contains(token) && !log.text.contains(String(rotated.path.dropFirst(7).dropLast(4))))
            #expect(log.text.contains("route=/feeds/{file}"))
        }
    }

    @Test("a user of another organisation cannot reach a feed; malformed, guessed and hostile addresses are the same 404")
    func isolationAndHostileInput() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let other = try await accounts.createOrganization(name: "Annen forening", at: clock.now)
        _ = try await accounts.addUser(to: other.id, handle: "otheradmin", role: .organizationAdmin, at: clock.now)
        let otherAdmin = try await accounts.issueToken(for: "otheradmin", in: other.id, lifetime: 86_400, at: clock.now).token
        try await application.test(.router) { client in
            func call(_ method: HTTPRequest.Method, _ uri: String, token: String?, body: String = "") async throws -> TestResponse {
                var fields: HTTPFields = [:]
                if let token { fields[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: method, headers: fields, body: ByteBuffer(string: body))
            }
            #expect(try await call(.post, "/v1/users/me/feed", token: world.mentorToken).status == .created)
            let before = try await DatabaseSnapshot.take(accounts.database)
            for uri in ["/v1/users/mentor/feed", "/v1/users/\(world.mentor.userID)/feed"] {
                for method in [HTTPRequest.Method.get, .post, .delete] {
                    let response = try await call(method, uri, token: otherAdmin)
                    #expect(response.status == .notFound && problemCode(response) == "user_not_found", "\(method) \(uri)")
                }
            }
            for (uri, body, status, code) in [
                ("/v1/users/me/feed", #"{"language":"de"}"#, HTTPResponse.Status.badRequest, "malformed_request"),
                ("/v1/users/me/feed", #"{"language":"en","url":"x"}"#, .badRequest, "unknown_member"),
                ("/v1/users/me/feed", "not json", .badRequest, "malformed_request"),
                ("/v1/users/ME%20;DROP/feed", "", .badRequest, "invalid_identifier"),
            ] {
                let response = try await call(.post, uri, token: world.mentorToken, body: body)
                #expect(response.status == status && problemCode(response) == code, "\(uri) \(body): \(response.status)")
            }
            #expect(try await call(.post, "/v1/users/me/feed", token: nil).status == .unauthorized)
            let guessed = "cal_" + String(repeating: "A", count: 43)
            for path in [
                "/feeds/\(guessed).ics", "/feeds/\(guessed)", "/feeds/cal_short.ics", "/feeds/.ics", "/feeds/%2e%2e%2fetc%2fpasswd.ics",
                "/feeds/" + String(repeating: "x", count: 5000) + ".ics", "/feeds/cal_\(String(repeating: "%00", count: 43)).ics",
            ] {
                let response = try await call(.get, path, token: nil)
                #expect(response.status == .notFound, "\(path.prefix(60))")
            }
            #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(accounts.database)).isEmpty, "nothing was written")

            // A deactivated user's feed stops answering; reactivated, the same address works again.
            let made = try await call(.post, "/v1/users/me/feed", token: world.mentorToken)
            let url = try #require((try JSONSerialization.jsonObject(with: Data(buffer: made.body)) as? [String: Any])?["url"] as? String)
            let path = String(url[url.range(of: "/feeds/")!.lowerBound...])
            _ = try await accounts.setStatus(of: "mentor", in: world.organization.id, to: .deactivated, at: clock.now)
            #expect(try await call(.get, path, token: nil).status == .notFound)
            _ = try await accounts.setStatus(of: "mentor", in: world.organization.id, to: .active, at: clock.now)
            #expect(try await call(.get, path, token: nil).status == .ok)
        }
    }
}
