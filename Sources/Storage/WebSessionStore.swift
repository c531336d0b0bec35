import AssignmentCore
import Envelope
import Foundation
import Postgres

/// A signed-in browser: who it is, and the secret its cookie holds (never stored).
public struct WebSession: Sendable, Hashable {
    public var id: UUID
    public var user: UserRecord
    /// The language the pages are shown in (the browser's, or the one the person switched to).
    public var language: Language
    public var expiresAt: Date
}

/// Sessions of the web pages (docs/web.md), and the one-time sign-in links `dispatch users
/// sign-in-link` makes.
///
/// A session is started with a bearer token or a sign-in link and lives for ``lifetime`` at most;
/// signing out or deactivating the user ends it at once. Only SHA-256 hashes of session secrets and
/// link codes are stored; the look-ups go through the narrow functions of migration 0018, in a
/// look-up transaction, as bearer tokens do.
public struct WebSessionStore: Sendable {
    public static let sessionPrefix = "ses_"
    public static let linkPrefix = "lnk_"
    /// How long a session lasts from sign-in: a working day. It is not extended by use, so a
    /// browser left signed in on a shared computer is signed out by the evening.
    public static let lifetime: TimeInterval = 8 * 3600
    /// How long a sign-in link can be used: a quarter of an hour, once.
    public static let linkLifetime: TimeInterval = 15 * 60

    public let database: Database

    public init(database: Database) { self.database = database }

    /// Starts a session for the user `token` belongs to, or `nil` when the token is not a valid one.
    public func signIn(
        token: String, language: Language, at time: Date, random: some RandomSource = SystemRandomSource()
    ) async throws -> (session: WebSession, secret: String)? {
        guard let user = try await AccountStore(database: database).authenticate(token: token, at: time) else { return nil }
        return try await start(for: user, method: "token", language: language, at: time, random: random)
    }

    /// Starts a session with a one-time sign-in link's code, which is used up by it; `nil` when the
    /// code is unknown, used or expired.
    public func signIn(
        linkCode code: String, language: Language, at time: Date, random: some RandomSource = SystemRandomSource()
    ) async throws -> (session: WebSession, secret: String)? {
        guard SecretToken.isWellFormed(code, prefix: Self.linkPrefix) else { return nil }
        let hash = SHA256.hash(Array(code.utf8))
        let user = try await database.transaction(.lookup) { db in
            try db.query("SELECT * FROM dispatch_redeem_sign_in_link($1, $2)", [hash, time]).first.map(AccountStore.userRecord)
        }
        guard let user else { return nil }
        return try await start(for: user, method: "link", language: language, at: time, random: random)
    }

    /// The live session a cookie's secret belongs to, or `nil`.
    public func session(secret: String, at time: Date) async throws -> WebSession? {
        guard SecretToken.isWellFormed(secret, prefix: Self.sessionPrefix) else { return nil }
        let hash = SHA256.hash(Array(secret.utf8))
        return try await database.transaction(.lookup) { db in
            try db.query("SELECT * FROM dispatch_session_principal($1, $2)", [hash, time]).first.map { row in
                WebSession(
                    id: try row.decode("session_id"), user: try AccountStore.userRecord(row),
                    language: Language(rawValue: try row.decode("language")) ?? .nb, expiresAt: try row.decode("expires_at"))
            }
        }
    }

    /// Switches the session's language.
    public func setLanguage(_ language: Language, of session: WebSession) async throws {
        try await database.transaction(.tenant(session.user.organizationID, actor: .user(session.user.context))) { db in
            try db.execute("UPDATE web_sessions SET language = $2 WHERE id = $1", [session.id, language.rawValue])
        }
    }

    /// Ends the session (sign-out); audited.
    public func end(_ session: WebSession, at time: Date) async throws {
        try await database.transaction(.tenant(session.user.organizationID, actor: .user(session.user.context))) { db in
            let ended = try db.query(
                "UPDATE web_sessions SET ended_at = greatest($2, created_at) WHERE id = $1 AND ended_at IS NULL", [session.id, time]).affectedRows
            if ended > 0 {
                try AuditLog.append(AuditEntry(.sessionEnded, .session(session.id)), organization: session.user.organizationID, at: time, on: db)
            }
        }
    }

    /// Makes a one-time sign-in link code for a user (the operator's `dispatch users sign-in-link`);
    /// audited. The code is shown once.
    public func makeSignInLink(
        for handle: String, in organization: OrganizationID, at time: Date, random: some RandomSource = SystemRandomSource()
    ) async throws -> (code: String, expiresAt: Date) {
        let user = try await AccountStore(database: database).user(handle, in: organization)
        guard user.status != .deactivated else { throw AccountError.userDeactivated(handle) }
        let code = SecretToken.make(prefix: Self.linkPrefix, random: random)
        let id = UUID()
        let expiresAt = time + Self.linkLifetime
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.execute(
                "INSERT INTO sign_in_links (id, organization_id, user_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [id, organization, user.id, SHA256.hash(Array(code.utf8)), time, expiresAt])
            try AuditLog.append(AuditEntry(.signInLinkCreated, .user(user.id)), organization: organization, at: time, on: db)
        }
        return (code, PostgresTimestamp.truncatedToMicroseconds(expiresAt))
    }

    private func start(
        for user: UserRecord, method: String, language: Language, at time: Date, random: some RandomSource
    ) async throws -> (session: WebSession, secret: String) {
        let secret = SecretToken.make(prefix: Self.sessionPrefix, random: random)
        let id = UUID()
        let expiresAt = time + Self.lifetime
        try await database.transaction(.tenant(user.organizationID, actor: .user(user.context))) { db in
            try db.execute(
                "INSERT INTO web_sessions (id, organization_id, user_id, secret_hash, language, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [id, user.organizationID, user.id, SHA256.hash(Array(secret.utf8)), language.rawValue, time, expiresAt])
            try AuditLog.append(
                AuditEntry(.sessionStarted, .session(id), details: AuditDetails.SessionStarted(method: method)), organization: user.organizationID, at: time,
                on: db)
        }
        return (WebSession(id: id, user: user, language: language, expiresAt: PostgresTimestamp.truncatedToMicroseconds(expiresAt)), secret)
    }
}
