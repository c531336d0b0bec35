import AssignmentCore
import Envelope
import Exports
import Foundation
import HTTPTypes
import Hummingbird
import Jobs
import NIOCore
import Postgres
import Storage
import Templates

/// The web pages for coordinators, organisation admins and compliance officers (docs/web.md):
/// server-rendered from `Templates/Pages`, signed in with a session cookie, every changing form
/// protected against cross-site request forgery, live updates by server-sent events. They never
/// decrypt anything: the server has nothing to decrypt.
///
/// The pages use the same stores, rules and audit as the API, in the signed-in user's
/// organisation scope; what a role may see is the same named capability (``Role``). Refusals are
/// pages too: 404 for anything not in the user's organisation (also ids guessed in addresses),
/// 403 for a role without access or a failed CSRF check.
struct WebPages: Sendable {
    let database: Database
    let serverKey: ServerKey
    let sessions: WebSessionStore
    let updates: LiveUpdates
    /// The bearer tokens' failure limiter: a token typed into the sign-in form is a guess like any other.
    let limiter: AuthenticationFailureLimiter
    let cookies: WebCookies
    let texts: TextCatalog
    let templates: PageTemplates
    let now: @Sendable () -> Date

    /// Registers every page on `router`, behind the pages' security headers.
    func register(on router: Router<DispatchRequestContext>) {
        let pages = router.group().add(middleware: PageSecurityHeadersMiddleware())
        pages.get("/") { request, context in try await home(request) }
        pages.get("/static/app.css") { _, _ in Self.asset(PageTemplates.styleSheet, type: "text/css; charset=utf-8") }
        pages.get("/static/app.js") { _, _ in Self.asset(PageTemplates.script, type: "text/javascript; charset=utf-8") }
        pages.get("/sign-in") { request, _ in try await signInPage(request) }
        pages.post("/sign-in") { request, context in try await signIn(request, context) }
        pages.get("/sign-in/link") { request, _ in try await signInLinkPage(request) }
        pages.post("/sign-in/link") { request, context in try await signInWithLink(request, context) }
        pages.post("/sign-out") { request, context in try await signedIn(request, context, form: true) { page in try await signOut(page) } }
        pages.post("/language") { request, context in try await signedIn(request, context, form: true) { page in try await switchLanguage(page) } }
        pages.get("/overview") { request, context in try await signedIn(request, context) { page in try await overview(page) } }
        pages.get("/assignments/:id") { request, context in
            try await signedIn(request, context) { page in
                let cancelled = request.uri.queryParameters.get("notice") == "cancelled"
                return try await assignment(page, id: context.parameters.get("id") ?? "", notice: cancelled ? text("cancelled_notice", page.language) : nil, error: nil)
            }
        }
        pages.post("/assignments/:id/cancel") { request, context in
            try await signedIn(request, context, form: true) { page in try await cancel(page, id: context.parameters.get("id") ?? "") }
        }
        pages.get("/admin") { request, context in
            try await signedIn(request, context) { page in
                let saved = request.uri.queryParameters.get("notice") == "saved"
                return try await admin(page, notice: saved ? text("settings_saved", page.language) : nil, error: nil)
            }
        }
        pages.post("/admin/settings") { request, context in try await signedIn(request, context, form: true) { page in try await saveSettings(page) } }
        pages.get("/admin/honorarium") { request, context in try await signedIn(request, context) { page in try await honorariumReport(page) } }
        pages.get("/admin/honorarium.csv") { request, context in try await signedIn(request, context) { page in try await honorariumCSV(page) } }
        pages.get("/compliance") { request, context in try await signedIn(request, context) { page in try await compliance(page, dryRun: nil) } }
        pages.post("/compliance/dry-run") { request, context in try await signedIn(request, context, form: true) { page in try await dryRun(page) } }
        pages.get("/compliance/audit-extract") { request, context in try await signedIn(request, context) { page in try await auditExtract(page) } }
        pages.get("/events") { request, context in try await signedIn(request, context) { page in try await events(page) } }
    }

    // MARK: Requests

    /// A signed-in request: the session, its form (for a POST) and the page's shared values.
    struct Page: Sendable {
        var request: Request
        var session: WebSession
        var csrf: String
        var form: [String: String]
        var language: Language { session.language }
        var user: UserRecord { session.user }

        /// Where the language switch comes back to: this page, or for the answer to a form, the
        /// page the form is on (a form's address is not one to load).
        var returnPath: String {
            guard request.method == .post else { return request.uri.description }
            let path = request.uri.path
            for suffix in ["/cancel", "/settings", "/dry-run"] where path.hasSuffix(suffix) { return String(path.dropLast(suffix.count)) }
            return path
        }
    }

    /// Runs `body` for a signed-in user, or sends the browser to the sign-in page. A form (POST)
    /// must pass the CSRF check first.
    private func signedIn(
        _ request: Request, _ context: DispatchRequestContext, form: Bool = false, _ body: (Page) async throws -> Response
    ) async throws -> Response {
        guard let secret = request.cookies[WebCookies.session]?.value, let session = try await sessions.session(secret: secret, at: now()) else {
            if form { return try await refusal(.forbidden, language: Self.language(of: request), text: .page("session_expired")) }
            return Self.redirect("/sign-in")
        }
        let csrf = WebCookies.csrfToken(forSessionSecret: secret)
        var fields: [String: String] = [:]
        if form {
            fields = try await Self.formFields(request, context)
            guard !WebCookies.isCrossSite(request), WebCookies.matches(fields["csrf"], csrf) else {
                return try await refusal(.forbidden, language: session.language, text: .page("csrf_failed"))
            }
        }
        do {
            return try await body(Page(request: request, session: session, csrf: csrf, form: fields))
        } catch DomainError.notFound {
            return render("message", status: .notFound, language: session.language, page: Page(request: request, session: session, csrf: csrf, form: fields),
                          ["heading": text("not_found_title", session.language), "text": text("not_found_text", session.language)])
        } catch let error as PageRefusal {
            return render("message", status: .forbidden, language: session.language, page: Page(request: request, session: session, csrf: csrf, form: fields),
                          ["heading": text("forbidden_title", session.language), "text": text(error.textName, session.language)])
        } catch let error as DomainError {
            // Any other refusal of the rules (the module switched off, say): its status and its
            // sentence, on a page.
            return render("message", status: ProblemMapping.status(of: error), language: session.language,
                          page: Page(request: request, session: session, csrf: csrf, form: fields),
                          ["heading": text("forbidden_title", session.language), "text": error.message])
        } catch let error as RequestError {
            // A value in the address that cannot be used (an audit range the wrong way round).
            return render("message", status: error.status, language: session.language,
                          page: Page(request: request, session: session, csrf: csrf, form: fields),
                          ["heading": text("bad_request_title", session.language), "text": error.description])
        }
    }

    /// A page a role has no access to.
    struct PageRefusal: Error {
        var textName = "forbidden_text"
    }

    func require(_ allowed: Bool) throws {
        guard allowed else { throw PageRefusal() }
    }

    // MARK: Sign-in

    private func home(_ request: Request) async throws -> Response {
        guard let secret = request.cookies[WebCookies.session]?.value, let session = try await sessions.session(secret: secret, at: now()) else {
            return Self.redirect("/sign-in")
        }
        return Self.redirect(Self.homePath(of: session.user.role))
    }

    static func homePath(of role: Role) -> String {
        if role.dispatches { return "/overview" }
        if role.readsComplianceRecords { return "/compliance" }
        return "/overview"
    }

    /// The sign-in form, with a fresh value for its CSRF check in a cookie beside it.
    private func signInPage(
        _ request: Request, language: Language? = nil, error: String? = nil, message: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = language ?? Self.language(of: request)
        let token = WebCookies.randomToken()
        var context = base(language: language, page: nil)
        context["csrf"] = token
        if let error { context["error"] = error }
        if let message { context["message"] = message }
        var response = Self.html(templates.render("sign-in", context), status: status)
        response.setCookie(cookies.signInCookie(token))
        return response
    }

    private func signInLinkPage(_ request: Request) async throws -> Response {
        let language = Self.language(of: request)
        let token = WebCookies.randomToken()
        var context = base(language: language, page: nil)
        context["csrf"] = token
        context["code"] = String((request.uri.queryParameters.get("code") ?? "").prefix(100))
        var response = Self.html(templates.render("sign-in-link", context))
        response.setCookie(cookies.signInCookie(token))
        return response
    }

    /// `POST /sign-in`: a token typed into the form.
    private func signIn(_ request: Request, _ context: DispatchRequestContext) async throws -> Response {
        try await signInForm(request, context) { fields, language in
            guard let token = fields["token"]?.trimmingCharacters(in: .whitespacesAndNewlines) else { return nil }
            return try await sessions.signIn(token: token, language: language, at: now())
        }
    }

    /// `POST /sign-in/link`: the button of a one-time link's page.
    private func signInWithLink(_ request: Request, _ context: DispatchRequestContext) async throws -> Response {
        try await signInForm(request, context) { fields, language in
            guard let code = fields["code"] else { return nil }
            return try await sessions.signIn(linkCode: code, language: language, at: now())
        }
    }

    /// What both sign-in forms share: the double-submit CSRF check, then `redeem`, then for a
    /// failure the limit of the client's address (the same as for bearer tokens: past it, each
    /// failure waits and is answered 429); a failure shows the form again with a message that says
    /// nothing about why.
    private func signInForm(
        _ request: Request, _ context: DispatchRequestContext,
        redeem: ([String: String], Language) async throws -> (session: WebSession, secret: String)?
    ) async throws -> Response {
        let fields = try await Self.formFields(request, context)
        let language = fields["lang"].flatMap(Language.init(rawValue:)) ?? Self.language(of: request)
        guard !WebCookies.isCrossSite(request), let expected = request.cookies[WebCookies.signIn]?.value, WebCookies.matches(fields["csrf"], expected) else {
            return try await refusal(.forbidden, language: language, text: .page("csrf_failed"))
        }
        // As for bearer tokens: a valid one always gets in, also from an address where others failed.
        if let started = try await redeem(fields, language) { return startedSession(started) }
        if await limiter.retryAfter(for: context.clientAddress, at: now()) != nil {
            try await Task.sleep(for: limiter.penalty)
            return try await signInPage(request, language: language, error: text("sign_in_failed", language), status: .tooManyRequests)
        }
        await limiter.recordFailure(for: context.clientAddress, at: now())
        return try await signInPage(request, language: language, error: text("sign_in_failed", language), status: .unauthorized)
    }

    private func startedSession(_ started: (session: WebSession, secret: String)) -> Response {
        var response = Self.redirect(Self.homePath(of: started.session.user.role))
        response.setCookie(cookies.sessionCookie(started.secret, expires: started.session.expiresAt))
        return response
    }

    private func signOut(_ page: Page) async throws -> Response {
        try await sessions.end(page.session, at: now())
        var response = try await signInPage(page.request, language: page.language, message: text("signed_out", page.language))
        response.setCookie(cookies.expiredSessionCookie())
        return response
    }

    private func switchLanguage(_ page: Page) async throws -> Response {
        let language = page.form["lang"].flatMap(Language.init(rawValue:)) ?? page.language
        try await sessions.setLanguage(language, of: page.session)
        let back = page.form["return"].flatMap { Self.isLocalPath($0) ? $0 : nil } ?? Self.homePath(of: page.user.role)
        return Self.redirect(back)
    }

    /// Whether `path` is an address on this site that a redirect may go to: it starts with one
    /// slash and holds only the characters of a path and query (no scheme, host, backslash or line
    /// break).
    static func isLocalPath(_ path: String) -> Bool {
        guard path.hasPrefix("/"), !path.hasPrefix("//"), path.utf8.count <= 500 else { return false }
        return path.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "/-_.~?=&%+".unicodeScalars.contains(scalar))
        }
    }

    // MARK: Rendering

    /// The values every page shares: the texts, the language, and for a signed-in user the menu,
    /// who they are and the CSRF value of the page's forms.
    func base(language: Language, page: Page?) -> [String: Any] {
        var context: [String: Any] = [
            "t": texts.pageTexts(language), "lang": language.rawValue, "langNb": language == .nb, "langEn": language == .en,
        ]
        if let page {
            let role = page.user.role
            var nav: [[String: Any]] = []
            let path = page.request.uri.path
            if role.seesAssignments && role != .peerMentor {
                nav.append(["href": "/overview", "label": text("nav_overview", language), "current": path.hasPrefix("/overview") || path.hasPrefix("/assignments")])
            }
            if role.administersOrganization {
                nav.append(["href": "/admin", "label": text("nav_admin", language), "current": path.hasPrefix("/admin")])
            }
            if role.readsComplianceRecords {
                nav.append(["href": "/compliance", "label": text("nav_compliance", language), "current": path.hasPrefix("/compliance")])
            }
            context["csrf"] = page.csrf
            context["session"] = [
                "nav": nav, "handle": page.user.handle, "roleLabel": text("role_\(role.rawValue)", language), "csrf": page.csrf,
                "path": page.returnPath,
            ] as [String: Any]
        }
        return context
    }

    func render(_ template: String, status: HTTPResponse.Status = .ok, language: Language, page: Page?, _ values: [String: Any]) -> Response {
        var context = base(language: language, page: page)
        context.merge(values) { $1 }
        return Self.html(templates.render(template, context), status: status)
    }

    func text(_ name: String, _ language: Language, _ values: [String: String] = [:]) -> String {
        texts.text(.page(name), language, values: values)
    }

    private func refusal(_ status: HTTPResponse.Status, language: Language, text key: TextKey) async throws -> Response {
        render("message", status: status, language: language, page: nil, ["heading": text("forbidden_title", language), "text": texts.text(key, language)])
    }

    static func html(_ body: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    static func asset(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The language: `?lang=` when given, else the first of the browser's languages the pages
    /// have (`nb`, `no` and `nn` read Norwegian bokmål), else Norwegian.
    static func language(of request: Request) -> Language {
        if let asked = request.uri.queryParameters.get("lang").flatMap(Language.init(rawValue:)) { return asked }
        for part in (request.headers[.acceptLanguage] ?? "").split(separator: ",") {
            let tag = part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            let primary = tag.split(separator: "-").first.map(String.init) ?? tag
            if ["nb", "no", "nn"].contains(primary) { return .nb }
            if primary == "en" { return .en }
        }
        return .default
    }

    /// The fields of a form body (`application/x-www-form-urlencoded`), each at most 1,000
    /// characters; anything else is a 400.
    static func formFields(_ request: Request, _ context: DispatchRequestContext) async throws -> [String: String] {
        guard request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true else {
            throw HTTPError(.unsupportedMediaType)
        }
        let body = try await request.body.collect(upTo: context.maxUploadSize)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.formDecoded(parts[0]), let value = Self.formDecoded(parts.count > 1 ? parts[1] : "") else {
                throw HTTPError(.badRequest)
            }
            guard value.count <= 1_000 else { throw HTTPError(.badRequest) }
            fields[name] = value
        }
        return fields
    }

    private static func formDecoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A time as the organisation reads it: `2026-12-01 14:05` in its time zone.
    static func display(_ date: Date?, in timeZone: TimeZone) -> String {
        date.map { DateTimeText.localMinute($0, in: timeZone) } ?? ""
    }

    /// The labels of the statuses, as JSON for the page's script.
    func statusLabels(_ language: Language) -> String {
        var labels: [String: String] = [:]
        for status in AssignmentStatus.allCases { labels[status.rawValue] = text("status_\(status.rawValue)", language) }
        let data = (try? JSONSerialization.data(withJSONObject: labels, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
