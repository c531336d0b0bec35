import AssignmentCore
import Envelope
import Foundation
import HTTPTypes
import Hummingbird
import Storage

/// The security headers of every page, style sheet, script and event stream (docs/web.md,
/// "Security headers"): a Content-Security-Policy that allows only this server's own script,
/// style and connections (no inline script or style, no third-party resources), no framing, no
/// MIME sniffing, no referrer, and no caching of pages that show an organisation's data.
struct PageSecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = DispatchRequestContext

    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.frameOptions] = "DENY"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.crossOriginOpenerPolicy] = "same-origin"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}

/// The cookies of the pages and the cross-site request forgery check of their forms.
///
/// - `dispatch_session`: the session's secret (``WebSessionStore``); HttpOnly, SameSite=Strict,
///   Secure when the server's public address is https.
/// - `dispatch_signin`: a random value set with the sign-in page, which the sign-in form must carry
///   back (a double-submit token: a page of another site can neither read nor set it).
///
/// Every form that changes something carries a `csrf` field. Signed in, it is derived from the
/// session's secret (SHA-256 of a fixed label and the secret): a page of another site cannot read
/// it, and it changes with every session. A form without the right value, or one that the browser
/// says came from another site (`Sec-Fetch-Site: cross-site`, or an `Origin` of another host), is
/// refused with 403 and changes nothing.
struct WebCookies: Sendable {
    static let session = "dispatch_session"
    static let signIn = "dispatch_signin"

    /// Whether cookies get the Secure attribute: the server is reached over https.
    let secure: Bool

    func sessionCookie(_ secret: String, expires: Date) -> Cookie {
        Cookie(name: Self.session, value: secret, expires: expires, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    func expiredSessionCookie() -> Cookie {
        Cookie(name: Self.session, value: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    func signInCookie(_ value: String) -> Cookie {
        Cookie(name: Self.signIn, value: value, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    /// The `csrf` value of a signed-in session's forms.
    static func csrfToken(forSessionSecret secret: String) -> String {
        Hex.encode(SHA256.hash(Array("assignment-dispatch csrf v1\u{0}\(secret)".utf8)))
    }

    /// A fresh random value for the sign-in form.
    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { SystemRandomSource().fill($0) }
        return Hex.encode(bytes)
    }

    /// Compares in constant time (libsodium's), so the time taken says nothing about how much matched.
    static func matches(_ presented: String?, _ expected: String) -> Bool {
        guard let presented else { return false }
        return HMACSHA256.equal(Array(presented.utf8), Array(expected.utf8))
    }

    /// Whether the browser says the request came from another site.
    static func isCrossSite(_ request: Request) -> Bool {
        if let site = request.headers[.secFetchSite], site == "cross-site" || site == "same-site" { return true }
        if let origin = request.headers[.origin], origin != "null" {
            guard let host = URL(string: origin)?.host, let authority = request.head.authority else { return true }
            let requestHost = authority.split(separator: ":").first.map(String.init) ?? authority
            return host != requestHost
        }
        return false
    }
}

extension HTTPField.Name {
    static let frameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let crossOriginOpenerPolicy = Self("Cross-Origin-Opener-Policy")!
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
