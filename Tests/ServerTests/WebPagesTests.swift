import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// The web pages through the real router (docs/web.md): sign-in and sessions, the CSRF check of
/// every form, what each role may see, another organisation's pages (guessed ids included), the
/// security headers, the languages, and hostile form input. The browser tests
/// (`Tests/Browser`) drive the same pages in Chromium.
@Suite("Web pages")
struct WebPagesTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    /// Organisation A (a coordinator, a peer mentor, an admin and a compliance officer, each with a
    /// token) and B (a coordinator and an admin), with one open assignment in each.
    struct World {
        var a: TestOrganization
        var tokens: [String: String] = [:]
        var assignmentA: AssignmentID
        var assignmentB: AssignmentID
        var organizationB: OrganizationID
    }

    func world(_ accounts: AccountStore) async throws -> World {
        let a = try await TestOrganization.make(in: accounts.database, at: clock.now)
        _ = try await accounts.addUser(to: a.id, handle: "officer", role: .complianceOfficer, at: clock.now)
        let b = try await accounts.createOrganization(name: "B", at: clock.now)
        let bCoordinator = try await accounts.addUser(to: b.id, handle: "b-coord", role: .coordinator, at: clock.now)
        let bMentor = try await accounts.addUser(to: b.id, handle: "b-mentor", role: .peerMentor, at: clock.now)
        _ = try await accounts.addUser(to: b.id, handle: "b-admin", role: .organizationAdmin, at: clock.now)
        let bDevice = try DeviceKeyPair.generate(), bMentorDevice = try DeviceKeyPair.generate()
        let keys = DeviceKeyStore(database: accounts.database)
        _ = try await keys.register(bDevice.publicKeys, label: nil, for: bCoordinator.context, at: clock.now)
        _ = try await keys.register(bMentorDevice.publicKeys, label: nil, for: bMentor.context, at: clock.now)
        let assignmentB = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array("{}".utf8), assignmentID: assignmentB.uuid, organizationID: b.id.uuid, sender: bDevice, recipients: [bMentorDevice.publicKeys])
        _ = try await AssignmentStore(database: accounts.database).dispatch(
            DispatchSubmission(id: assignmentB, recipientID: bMentor.id, title: "Oppdrag B", envelope: envelope.serialized), by: bCoordinator.context,
            at: clock.now)
        var world = World(a: a, assignmentA: try await a.dispatch(at: clock.now), assignmentB: assignmentB, organizationB: b.id)
        for (handle, organization) in [("coord", a.id), ("mentor", a.id), ("admin", a.id), ("officer", a.id), ("b-coord", b.id), ("b-admin", b.id)] {
            world.tokens[handle] = try await accounts.issueToken(for: handle, in: organization, lifetime: 86_400, at: clock.now).token
        }
        return world
    }

    /// A browser: its cookies, and the CSRF value of the last page it saw.
    struct Browser {
        var cookies: [String: String] = [:]
        var csrf: String?

        var cookieHeader: String { cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

        mutating func absorb(_ response: TestResponse) {
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";").first.map(String.init) ?? ""
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if parts[1].isEmpty { cookies[parts[0]] = nil } else { cookies[parts[0]] = parts[1] }
            }
            // Every form of a page carries the same, non-empty CSRF value.
            let body = String(buffer: response.body)
            let values = body.matches(of: /name="csrf" value="([0-9a-f]*)"/).map { String($0.output.1) }
            #expect(Set(values).count <= 1 && !values.contains(""), "the forms of \(response.head.status) page disagree on their CSRF value: \(values)")
            if let value = values.first { csrf = value }
        }

        mutating func get(_ client: some TestClientProtocol, _ uri: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
            var headers = extra
            if !cookies.isEmpty { headers[.cookie] = cookieHeader }
            let response = try await client.execute(uri: uri, method: .get, headers: headers, body: nil)
            absorb(response)
            return response
        }

        mutating func post(
            _ client: some TestClientProtocol, _ uri: String, _ fields: [String: String], csrf: String? = nil, headers extra: HTTPFields = [:]
        ) async throws -> TestResponse {
            var headers = extra
            headers[.contentType] = "application/x-www-form-urlencoded"
            if !cookies.isEmpty { headers[.cookie] = cookieHeader }
            var all = fields
            if let token = csrf ?? self.csrf { all["csrf"] = all["csrf"] ?? token }
            let body = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
            let response = try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
            absorb(response)
            return response
        }

        /// Signs in through the sign-in form, as a person would.
        static func signedIn(_ client: some TestClientProtocol, token: String, language: String = "en") async throws -> Browser {
            var browser = Browser()
            _ = try await browser.get(client, "/sign-in?lang=\(language)")
            let response = try await browser.post(client, "/sign-in", ["token": token, "lang": language])
            #expect(response.status == .seeOther)
            _ = try await browser.get(client, response.headers[.location] ?? "/")
            return browser
        }
    }

    @Test("signing in with a token gives an HttpOnly, SameSite=Strict session; pages carry strict security headers")
    func signIn() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        try await application.test(.router) { client in
            var browser = Browser()
            let form = try await browser.get(client, "/sign-in", headers: [.acceptLanguage: "en-GB,en;q=0.9"])
            #expect(form.status == .ok)
            #expect(String(buffer: form.body).contains("<label for=\"token\">Access token</label>"))
            #expect(form.headers[.contentSecurityPolicy]
                == "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
            #expect(form.headers[.xContentTypeOptions] == "nosniff")
            #expect(form.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
            #expect(form.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")

            let wrong = try await browser.post(client, "/sign-in", ["token": "adt_" + String(repeating: "A", count: 43)])
            #expect(wrong.status == .unauthorized)
            #expect(browser.cookies[WebCookiesName.session] == nil)

            let signedIn = try await browser.post(client, "/sign-in", ["token": world.tokens["coord"]!])
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/overview")
            let cookie = try #require(signedIn.headers[values: .setCookie].first { $0.hasPrefix("dispatch_session=ses_") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(!cookie.contains(world.tokens["coord"]!), "the session is not the token")

            let overview = try await browser.get(client, "/overview")
            #expect(overview.status == .ok)
            let html = String(buffer: overview.body)
            #expect(html.contains("href=\"/assignments/\(world.assignmentA)\""))
            #expect(!html.contains(world.assignmentB.description))
            #expect(!html.contains(world.tokens["coord"]!))
            #expect(html.contains("<th scope=\"col\">"))
        }
    }

    @Test("every form without the right CSRF value, or from another site, is refused with 403 and changes nothing")
    func csrf() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        try await application.test(.router) { client in
            var coordinator = try await Browser.signedIn(client, token: world.tokens["coord"]!)
            var admin = try await Browser.signedIn(client, token: world.tokens["admin"]!)
            var officer = try await Browser.signedIn(client, token: world.tokens["officer"]!)
            var anonymous = Browser()
            _ = try await anonymous.get(client, "/sign-in")
            let forms: [(String, [String: String], WritableKeyPath<Holder, Browser>)] = [
                ("/assignments/\(world.assignmentA)/cancel", ["reason": "Duplicate"], \.coordinator),
                ("/admin/settings", ["module": "on", "reminder_after_days": "3", "retention_days": "30", "assignment_lifetime_days": "30", "erasure_confirmation_days": "14"], \.admin),
                ("/compliance/dry-run", [:], \.officer),
                ("/language", ["lang": "nb", "return": "/overview"], \.coordinator),
                ("/sign-out", [:], \.coordinator),
                ("/sign-in", ["token": world.tokens["coord"]!], \.anonymous),
            ]
            var holder = Holder(coordinator: coordinator, admin: admin, officer: officer, anonymous: anonymous)
            for (path, fields, who) in forms {
                for (label, csrf, headers) in [
                    ("no token", "", HTTPFields()), ("a wrong token", String(repeating: "0", count: 64), HTTPFields()),
                    ("another session's token", path == "/sign-in" ? String(repeating: "1", count: 64) : (who == \.admin ? coordinator.csrf! : admin.csrf!), HTTPFields()),
                    ("the right token from another site", holder[keyPath: who].csrf!, [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]),
                    ("the right token with a foreign Origin", holder[keyPath: who].csrf!, [.origin: "https://evil.example"]),
                ] {
                    let before = try await DatabaseSnapshot.take(accounts.database)
                    var browser = holder[keyPath: who]
                    var sent = fields
                    sent["csrf"] = csrf
                    let response = try await browser.post(client, path, sent, headers: headers)
                    #expect(response.status == .forbidden, "\(path) with \(label): \(response.status)")
                    let changed = DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(accounts.database))
                    #expect(changed.isEmpty, "\(path) with \(label) changed \(changed)")
                }
            }
            // And with the right value, each goes through.
            coordinator = holder.coordinator
            let cancelled = try await coordinator.post(client, "/assignments/\(world.assignmentA)/cancel", ["reason": "Duplicate"])
            #expect(cancelled.status == .seeOther && cancelled.headers[.location] == "/assignments/\(world.assignmentA)?notice=cancelled")
            #expect(String(buffer: try await coordinator.get(client, cancelled.headers[.location]!).body).contains("The assignment was cancelled"))
            let assignment = try await world.a.store.assignment(world.assignmentA, as: world.a.coordinator)
            #expect(assignment.status == .cancelled)
            admin = holder.admin
            officer = holder.officer
            #expect(try await admin.post(client, "/admin/settings", ["module": "on", "reminder_after_days": "7", "retention_days": "400", "assignment_lifetime_days": "60", "erasure_confirmation_days": "14"]).status == .seeOther)
            #expect(try await accounts.organization(world.a.id.description).settings.retentionDays == 400)
            #expect(try await officer.post(client, "/compliance/dry-run", [:]).status == .ok)
            _ = holder
        }
    }

    /// The three signed-in browsers of ``csrf()`` and one that is not signed in.
    struct Holder {
        var coordinator: Browser
        var admin: Browser
        var officer: Browser
        var anonymous: Browser
    }

    @Test("another organisation's assignment, a guessed id or a malformed one: 404 to look at and to cancel, and nothing changes")
    func otherOrganisation() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        try await application.test(.router) { client in
            var b = try await Browser.signedIn(client, token: world.tokens["b-coord"]!)
            for id in [world.assignmentA.description, UUID().uuidString, "1%20OR%201=1", "..%2F..%2Fadmin"] {
                let page = try await b.get(client, "/assignments/\(id)")
                #expect(page.status == .notFound, "GET \(id): \(page.status)")
                #expect(!String(buffer: page.body).contains("Oppdrag<"), "nothing of A's assignment is shown")
                let before = try await DatabaseSnapshot.take(accounts.database)
                let cancel = try await b.post(client, "/assignments/\(id)/cancel", ["reason": "Duplicate"])
                #expect(cancel.status == .notFound, "POST cancel \(id): \(cancel.status)")
                #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(accounts.database)).isEmpty)
            }
            #expect(try await world.a.store.assignment(world.assignmentA, as: world.a.coordinator).status == .dispatched)
            // B's admin sees B's users only; B's overview holds B's assignment only.
            var bAdmin = try await Browser.signedIn(client, token: world.tokens["b-admin"]!)
            let users = String(buffer: try await bAdmin.get(client, "/admin").body)
            #expect(users.contains(">b-coord<") && !users.contains(">coord<") && !users.contains(">officer<"))
            let overview = String(buffer: try await b.get(client, "/overview").body)
            #expect(overview.contains(world.assignmentB.description) && !overview.contains(world.assignmentA.description))
            // The compliance and honorarium pages and downloads of B hold nothing of A.
            let extract = try await bAdmin.get(client, "/compliance/audit-extract?from=2020-01-01&to=2030-12-31")
            #expect(extract.status == .ok)
            let text = String(buffer: extract.body)
            #expect(text.contains(world.organizationB.description) && !text.contains(world.a.id.description) && !text.contains(world.assignmentA.description))
        }
    }

    @Test("each role reaches its own pages only: the compliance officer sees no assignment, a coordinator no admin or compliance page")
    func roles() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        try await application.test(.router) { client in
            let expectations: [(String, [String: HTTPResponse.Status])] = [
                ("coord", ["/overview": .ok, "/assignments/\(world.assignmentA)": .ok, "/admin": .forbidden, "/compliance": .forbidden,
                           "/admin/honorarium?period=2026": .forbidden, "/compliance/audit-extract?from=2026-01-01&to=2026-12-31": .forbidden]),
                ("officer", ["/overview": .forbidden, "/assignments/\(world.assignmentA)": .forbidden, "/events": .forbidden, "/admin": .forbidden,
                             "/compliance": .ok, "/admin/honorarium?period=2026": .ok, "/admin/honorarium.csv?period=2026": .ok,
                             "/compliance/audit-extract?from=2026-01-01&to=2026-12-31": .ok]),
                ("admin", ["/overview": .ok, "/admin": .ok, "/compliance": .ok, "/admin/honorarium?period=2026-11": .ok]),
                ("mentor", ["/overview": .ok, "/admin": .forbidden, "/compliance": .forbidden]),
            ]
            for (handle, pages) in expectations {
                var browser = try await Browser.signedIn(client, token: world.tokens[handle]!)
                for (page, status) in pages {
                    let response = try await browser.get(client, page)
                    #expect(response.status == status, "\(handle) \(page): \(response.status)")
                    if handle == "officer" {
                        #expect(!String(buffer: response.body).contains("Oppdrag<"), "the compliance officer sees no title on \(page)")
                    }
                }
            }
            // With the module switched off, the overview says so on a page (403), not in JSON.
            var settings = try await accounts.organization(world.a.id.description).settings
            settings.encryptedAssignmentsEnabled = false
            _ = try await accounts.updateSettings(of: world.a.id, to: settings, at: clock.now)
            var coordinator = try await Browser.signedIn(client, token: world.tokens["coord"]!)
            let off = try await coordinator.get(client, "/overview")
            #expect(off.status == .forbidden && off.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(String(buffer: off.body).contains("switched off"))
            settings.encryptedAssignmentsEnabled = true
            _ = try await accounts.updateSettings(of: world.a.id, to: settings, at: clock.now)
            // A peer mentor is told to use the device app: no assignment list.
            var mentor = try await Browser.signedIn(client, token: world.tokens["mentor"]!)
            let page = String(buffer: try await mentor.get(client, "/overview").body)
            #expect(page.contains("device app") && !page.contains(world.assignmentA.description))
            // Not signed in: every page sends the browser to sign in.
            var nobody = Browser()
            for path in ["/", "/overview", "/admin", "/compliance", "/assignments/\(world.assignmentA)", "/events"] {
                let response = try await nobody.get(client, path)
                #expect(response.status == .seeOther && response.headers[.location] == "/sign-in", "\(path)")
            }
        }
    }

    @Test("a sign-in link works once; sign-out, deactivation and the eight-hour limit end a session")
    func sessions() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        let sessions = WebSessionStore(database: accounts.database)
        let link = try await sessions.makeSignInLink(for: "admin", in: world.a.id, at: clock.now)
        try await application.test(.router) { client in
            var browser = Browser()
            #expect(String(buffer: try await browser.get(client, "/sign-in/link?code=\(link.code)").body).contains(link.code))
            let first = try await browser.post(client, "/sign-in/link", ["code": link.code, "lang": "en"])
            #expect(first.status == .seeOther)
            #expect(try await browser.get(client, "/admin").status == .ok)
            var other = Browser()
            _ = try await other.get(client, "/sign-in/link?code=\(link.code)")
            #expect(try await other.post(client, "/sign-in/link", ["code": link.code]).status == .unauthorized, "used once only")

            // Sign-out ends the session at once, also for a copy of its cookie.
            let copy = browser
            let out = try await browser.post(client, "/sign-out", [:])
            #expect(out.status == .ok)
            #expect(out.headers[values: .setCookie].contains { $0.hasPrefix("dispatch_session=;") })
            var stolen = copy
            #expect(try await stolen.get(client, "/admin").headers[.location] == "/sign-in")
            // The page sign-out shows is a working sign-in form.
            #expect(try await browser.post(client, "/sign-in", ["token": world.tokens["admin"]!]).status == .seeOther)

            // Deactivating the user ends their sessions.
            var coordinator = try await Browser.signedIn(client, token: world.tokens["coord"]!)
            _ = try await accounts.setStatus(of: "coord", in: world.a.id, to: .deactivated, at: clock.now)
            #expect(try await coordinator.get(client, "/overview").headers[.location] == "/sign-in")

            // Sessions last eight hours; links a quarter of an hour.
            var officer = try await Browser.signedIn(client, token: world.tokens["officer"]!)
            let late = try await sessions.makeSignInLink(for: "admin", in: world.a.id, at: clock.now)
            clock.advance(by: 16 * 60)
            var tooLate = Browser()
            _ = try await tooLate.get(client, "/sign-in/link")
            #expect(try await tooLate.post(client, "/sign-in/link", ["code": late.code]).status == .unauthorized)
            #expect(try await officer.get(client, "/compliance").status == .ok)
            clock.advance(by: 8 * 3600)
            #expect(try await officer.get(client, "/compliance").headers[.location] == "/sign-in")
        }
    }

    @Test("wrong tokens in the sign-in form count against the address's failure limit: past it, 429; a right token still gets in")
    func signInFailuresAreLimited() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        try await application.test(.router) { client in
            var browser = Browser()
            _ = try await browser.get(client, "/sign-in")
            for attempt in 1...ServerConfiguration.defaultSignInFailureLimit {
                #expect(try await browser.post(client, "/sign-in", ["token": "adt_" + String(repeating: "B", count: 43)]).status == .unauthorized, "\(attempt)")
            }
            #expect(try await browser.post(client, "/sign-in", ["token": "adt_" + String(repeating: "C", count: 43)]).status == .tooManyRequests)
            #expect(try await browser.post(client, "/sign-in", ["token": world.tokens["coord"]!]).status == .seeOther)
        }
    }

    @Test("the language follows the browser, the switch changes it, and Norwegian is the default")
    func languages() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        try await application.test(.router) { client in
            var browser = Browser()
            #expect(String(buffer: try await browser.get(client, "/sign-in").body).contains("<html lang=\"nb\">"))
            #expect(String(buffer: try await browser.get(client, "/sign-in", headers: [.acceptLanguage: "en-US,en;q=0.8"]).body).contains("Access token"))
            #expect(String(buffer: try await browser.get(client, "/sign-in", headers: [.acceptLanguage: "nn,en;q=0.8"]).body).contains("Tilgangsnøkkel"))
            var coordinator = try await Browser.signedIn(client, token: world.tokens["coord"]!, language: "en")
            #expect(String(buffer: try await coordinator.get(client, "/overview").body).contains("<h1>Status overview</h1>"))
            let switched = try await coordinator.post(client, "/language", ["lang": "nb", "return": "/overview"])
            #expect(switched.status == .seeOther && switched.headers[.location] == "/overview")
            #expect(String(buffer: try await coordinator.get(client, "/overview").body).contains("<h1>Statusoversikt</h1>"))
            // The return address stays on this site.
            for hostile in ["//evil.example/", "https://evil.example/", "/\\evil.example", "/overview\r\nSet-Cookie: x=1", "overview"] {
                let away = try await coordinator.post(client, "/language", ["lang": "en", "return": hostile])
                #expect(away.headers[.location] == "/overview", "\(hostile)")
            }
        }
    }

    @Test("hostile form input is a 4xx that changes nothing; what a page shows is escaped")
    func hostileInput() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await world(accounts)
        let hostile = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array("{}".utf8), assignmentID: hostile.uuid, organizationID: world.a.id.uuid, sender: world.a.coordinatorDevice,
            recipients: [world.a.mentorDevice.publicKeys])
        _ = try await world.a.store.dispatch(
            DispatchSubmission(id: hostile, recipientID: world.a.mentor.userID, title: "<script>alert(1)</script>", geographicRegion: "\"><img src=x>",
                               envelope: envelope.serialized),
            by: world.a.coordinator, at: clock.now)
        try await application.test(.router) { client in
            var coordinator = try await Browser.signedIn(client, token: world.tokens["coord"]!)
            let overview = String(buffer: try await coordinator.get(client, "/overview").body)
            #expect(!overview.contains("<script>alert(1)</script>") && overview.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!overview.contains("\"><img src=x>"))
            let cookie = coordinator.cookieHeader
            for (contentType, body) in [
                ("application/json", #"{"reason":"x"}"#), ("application/x-www-form-urlencoded", "reason=%ZZ&csrf=\(coordinator.csrf!)"),
                ("application/x-www-form-urlencoded", "reason=" + String(repeating: "a", count: 5_000) + "&csrf=\(coordinator.csrf!)"),
            ] {
                let before = try await DatabaseSnapshot.take(accounts.database)
                let response = try await client.execute(
                    uri: "/assignments/\(world.assignmentA)/cancel", method: .post, headers: [.contentType: contentType, .cookie: cookie],
                    body: ByteBuffer(string: body))
                #expect((400..<500).contains(Int(response.status.code)), "\(contentType) \(body.prefix(30)): \(response.status)")
                #expect(DatabaseSnapshot.changedTables(before, try await DatabaseSnapshot.take(accounts.database)).isEmpty)
            }
            // Hostile addresses: a bad period or range is a 4xx, markup in it is escaped, unknown filters are ignored.
            var officer = try await Browser.signedIn(client, token: world.tokens["officer"]!)
            let period = try await officer.get(client, "/admin/honorarium?period=%3Cscript%3Ex%3C/script%3E")
            #expect(period.status == .unprocessableContent && !String(buffer: period.body).contains("<script>x"))
            for query in ["from=x&to=y", "from=2026-12-31&to=2026-01-01", "from=2026-02-30&to=2026-03-01"] {
                let range = try await officer.get(client, "/compliance/audit-extract?\(query)")
                #expect((400..<500).contains(Int(range.status.code)), "\(query): \(range.status)")
                #expect(range.headers[.contentType]?.hasPrefix("text/html") == true, "a page, not JSON: \(query)")
            }
            #expect(try await officer.get(client, "/admin/honorarium.csv?period=yesterday").status == .badRequest)
            let filtered = try await coordinator.get(client, "/overview?status=cancelled&cursor=%00%FF&region=" + String(repeating: "x", count: 500))
            #expect(filtered.status == .ok)
            // A reason with personal data in it is refused by the same screen as the API's, and shown as an error.
            let refused = try await coordinator.post(client, "/assignments/\(world.assignmentA)/cancel", ["reason": "Ring 912 34 567"])
            #expect(refused.status == .unprocessableContent)
            #expect(String(buffer: refused.body).contains("role=\"alert\""))
            #expect(try await world.a.store.assignment(world.assignmentA, as: world.a.coordinator).status == .dispatched)
        }
    }
}

/// The session cookie's name, as the pages set it.
enum WebCookiesName {
    static let session = "dispatch_session"
}
