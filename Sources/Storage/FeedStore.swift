import AssignmentCore
import Envelope
import Foundation
import Postgres

/// A user's calendar feed (docs/feeds.md). The secret token is not here: only its hash is stored,
/// and the token is shown once, when the feed is made.
public struct FeedRecord: Sendable, Hashable, Codable {
    public var id: UUID
    public var organizationID: OrganizationID
    public var userID: UserID
    public var handle: String
    /// `nb` or `en`: the language of the event texts.
    public var language: String
    public var createdAt: Date
    /// The version of the server key its event UIDs are derived from: the newest when the feed was
    /// made, kept across rotations of the server key so its events keep their UIDs.
    public var serverKeyVersion: Int

    enum CodingKeys: String, CodingKey {
        case id, handle, language
        case organizationID = "organization_id"
        case userID = "user_id"
        case createdAt = "created_at"
        case serverKeyVersion = "server_key_version"
    }
}

/// A feed made just now, with the token that is shown only this once.
public struct IssuedFeed: Sendable, Hashable {
    public var feed: FeedRecord
    public var token: String
    /// Whether an earlier feed of the user was revoked to make this one (a rotation).
    public var replaced: Bool
}

/// A feed just made, with its addresses: the only answer (API) or output (CLI) that holds them.
public struct FeedAddress: Sendable, Hashable, Codable {
    public var feed: FeedRecord
    public var url: String
    /// The same address for calendar apps that subscribe when a `webcal://` link is opened.
    public var webcalURL: String
    public var replaced: Bool

    enum CodingKeys: String, CodingKey {
        case feed, url, replaced
        case webcalURL = "webcal_url"
    }

    /// `baseURL` is where people reach the server, such as `https://dispatch.example.org`.
    public init(_ issued: IssuedFeed, baseURL: String) {
        feed = issued.feed
        url = "\(baseURL)/feeds/\(issued.token).ics"
        webcalURL = "webcal" + url.drop(while: { $0 != ":" })
        replaced = issued.replaced
    }
}

/// What a feed request resolves to: the feed and its organisation's time zone.
public struct FeedSubject: Sendable, Hashable {
    public var feed: FeedRecord
    public var timeZone: String
}

/// What changes whenever a feed's content may change; cheap to read (one indexed aggregate), so a
/// conditional request is answered without building the feed.
public struct FeedVersion: Sendable, Hashable {
    /// Every assignment of the user, open or not: one leaving by retention changes the count.
    public var assignmentCount: Int
    /// The latest change of any of them, of the organisation's settings, or of the feed itself.
    public var lastChange: Date
    public var timeZone: String
}

/// One event source of a feed: an open assignment the user receives or sent.
public struct FeedAssignment: Sendable, Hashable {
    public var assignmentID: AssignmentID
    /// `true` when the user is the peer mentor, `false` when they dispatched it.
    public var isRecipient: Bool
    /// When contact should be made: the deadline set at dispatch, or else the day the first
    /// reminder is due; `nil` once contact has been made.
    public var contactDeadline: Date?
    public var expiresAt: Date?
    public var updatedAt: Date
}

/// Why a feed could not be made, changed or shown.
public enum FeedError: Error, Sendable, Hashable, CustomStringConvertible {
    case adminRequired
    case noFeed
    case alreadyExists
    case languageInvalid
    case userDeactivated

    public var code: String {
        switch self {
        case .adminRequired: "organization_admin_required"
        case .noFeed: "feed_not_found"
        case .alreadyExists: "feed_exists"
        case .languageInvalid: "language_invalid"
        case .userDeactivated: "user_deactivated"
        }
    }

    public var description: String {
        switch self {
        case .adminRequired: "Only the user themselves or an organisation admin can manage a user's calendar feed."
        case .noFeed: "This user has no calendar feed."
        case .alreadyExists: "This user already has a calendar feed. 'dispatch feed rotate' gives a new address and stops the old one."
        case .languageInvalid: "The language is nb or en."
        case .userDeactivated: "This user is deactivated and cannot have a calendar feed."
        }
    }
}

/// Calendar feed tokens and what a feed shows (docs/feeds.md).
///
/// A user has at most one live feed (a partial unique index). Making a feed when one exists
/// rotates it: the old token is revoked in the same transaction, so the old URL answers 404 from
/// the moment the new one exists. Tokens are 256 random bits; the database keeps their SHA-256.
public struct FeedStore: Sendable {
    public static let tokenPrefix = "cal_"
    /// More open assignments than this in one feed is not a calendar a person reads; the feed
    /// shows the ones with the nearest dates.
    public static let maximumAssignments = 2_000

    public let database: Database

    public init(database: Database) { self.database = database }

    // MARK: Managing feeds

    /// Makes (or rotates) the feed of `user` (a handle or an id), as a signed-in user: themselves,
    /// or an organisation admin for anyone in the organisation. `language` defaults to the
    /// replaced feed's, or `nb`. `serverKeyVersion` is the newest version of the server key.
    public func issue(
        for user: String, language: String?, as actor: UserContext, serverKeyVersion: Int, at time: Date,
        random: some RandomSource = SystemRandomSource()
    ) async throws -> IssuedFeed {
        try await database.transaction(.tenant(actor.organizationID, actor: .user(actor))) { db in
            let target = try Self.target(user, in: actor.organizationID, as: actor, on: db)
            return try Self.issue(for: target, in: actor.organizationID, language: language, serverKeyVersion: serverKeyVersion, at: time, random: random, on: db)
        }
    }

    /// The same, for the operator on the server (`dispatch feed create|rotate`).
    public func issue(
        for user: String, in organization: OrganizationID, language: String?, serverKeyVersion: Int, at time: Date,
        random: some RandomSource = SystemRandomSource()
    ) async throws -> IssuedFeed {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            let target = try Self.target(user, in: organization, as: nil, on: db)
            return try Self.issue(for: target, in: organization, language: language, serverKeyVersion: serverKeyVersion, at: time, random: random, on: db)
        }
    }

    /// Revokes the live feed of `user`: its URL answers 404 from now on.
    public func revoke(for user: String, as actor: UserContext, at time: Date) async throws {
        try await database.transaction(.tenant(actor.organizationID, actor: .user(actor))) { db in
            let target = try Self.target(user, in: actor.organizationID, as: actor, on: db)
            try Self.revoke(target, in: actor.organizationID, at: time, on: db)
        }
    }

    public func revoke(for user: String, in organization: OrganizationID, at time: Date) async throws {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            let target = try Self.target(user, in: organization, as: nil, on: db)
            try Self.revoke(target, in: organization, at: time, on: db)
        }
    }

    /// The live feed of `user` (never its token), or ``FeedError/noFeed``.
    public func live(for user: String, as actor: UserContext) async throws -> FeedRecord {
        try await database.transaction(.tenant(actor.organizationID, actor: .user(actor))) { db in
            let target = try Self.target(user, in: actor.organizationID, as: actor, on: db)
            guard let feed = try Self.live(of: target.id, in: actor.organizationID, on: db) else { throw FeedError.noFeed }
            return feed
        }
    }

    public func live(for user: String, in organization: OrganizationID) async throws -> FeedRecord {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            let target = try Self.target(user, in: organization, as: nil, on: db)
            guard let feed = try Self.live(of: target.id, in: organization, on: db) else { throw FeedError.noFeed }
            return feed
        }
    }

    // MARK: Serving feeds

    /// The feed a token opens, or `nil` when the token is malformed, unknown, revoked, or its user is
    /// deactivated, or its organisation has the module switched off. A malformed token is not looked
    /// up at all; the rest through the one narrow function made for it (migration 0008).
    public func resolve(token: String) async throws -> FeedSubject? {
        guard SecretToken.isWellFormed(token, prefix: Self.tokenPrefix) else { return nil }
        let hash = SHA256.hash(Array(token.utf8))
        return try await database.transaction(.lookup) { db in
            try db.query("SELECT * FROM dispatch_feed_subject($1)", [hash]).first.map { row in
                FeedSubject(feed: try Self.feedRecord(row), timeZone: try row.decode("time_zone"))
            }
        }
    }

    /// ``resolve(token:)`` and ``version(of:)`` at once, in one statement outside a transaction
    /// (migration 0013): what every poll of a calendar app costs, most of them answered `304`.
    public func resolveWithVersion(token: String) async throws -> (FeedSubject, FeedVersion)? {
        guard SecretToken.isWellFormed(token, prefix: Self.tokenPrefix) else { return nil }
        let hash = SHA256.hash(Array(token.utf8))
        return try await database.withConnection { db in
            try db.query("SELECT * FROM dispatch_feed_version($1)", [hash]).first.map { row in
                let subject = FeedSubject(feed: try Self.feedRecord(row), timeZone: try row.decode("time_zone"))
                return (subject, FeedVersion(assignmentCount: try row.decode("assignments"), lastChange: try row.decode("last_change"), timeZone: subject.timeZone))
            }
        }
    }

    /// The open assignments (dispatched, delivered, read, acknowledged) the feed shows, the
    /// nearest dates first, at most ``maximumAssignments``.
    public func assignments(of subject: FeedSubject) async throws -> [FeedAssignment] {
        let feed = subject.feed
        return try await database.transaction(.tenant(feed.organizationID, actor: .system)) { db in
            try db.query(
                """
                SELECT a.id, a.peer_mentor_id = $2 AS is_recipient, a.expires_at, a.updated_at,
                       CASE WHEN a.contact_made_at IS NULL
                            THEN coalesce(a.contact_deadline_at, a.dispatched_at + make_interval(days => o.reminder_after_days)) END AS contact_deadline
                  FROM assignments a JOIN organizations o ON o.id = a.organization_id
                 WHERE a.organization_id = $1 AND (a.peer_mentor_id = $2 OR a.coordinator_id = $2)
                   AND a.status IN ('dispatched', 'delivered', 'read', 'acknowledged')
                 ORDER BY least(a.expires_at, a.contact_deadline_at, a.dispatched_at + make_interval(days => o.reminder_after_days)), a.id
                 LIMIT $3
                """, [feed.organizationID, feed.userID, Self.maximumAssignments]
            ).map { row in
                FeedAssignment(
                    assignmentID: try row.decode("id"), isRecipient: try row.decode("is_recipient"),
                    contactDeadline: try row.decodeIfPresent("contact_deadline"), expiresAt: try row.decodeIfPresent("expires_at"),
                    updatedAt: try row.decode("updated_at"))
            }
        }
    }

    // MARK: In a transaction

    /// The user whose feed is meant. With an `actor`, a user other than themselves needs an
    /// organisation admin; an unknown user is `userNotFound` either way.
    static func target(_ reference: String, in organization: OrganizationID, as actor: UserContext?, on db: PostgresConnection) throws -> UserRecord {
        guard UUID(uuidString: reference) != nil || AccountStore.isValidHandle(reference.lowercased()) else { throw AccountError.userNotFound(reference) }
        guard
            let user = try db.query(
                "SELECT id, organization_id, local_association_id, handle, role, status FROM users WHERE organization_id = $1 AND (handle = lower($2) OR id::text = lower($2))",
                [organization, reference]
            ).first.map(AccountStore.userRecord)
        else { throw AccountError.userNotFound(reference) }
        if let actor, actor.userID != user.id, !actor.role.administersOrganization { throw FeedError.adminRequired }
        return user
    }

    static func issue(
        for user: UserRecord, in organization: OrganizationID, language requested: String?, serverKeyVersion: Int, at time: Date,
        random: some RandomSource, on db: PostgresConnection
    ) throws -> IssuedFeed {
        guard user.status != .deactivated else { throw FeedError.userDeactivated }
        if let requested, !["nb", "en"].contains(requested) { throw FeedError.languageInvalid }
        let previous = try live(of: user.id, in: organization, on: db)
        if let previous {
            try db.execute("UPDATE feed_tokens SET revoked_at = $2 WHERE id = $1", [previous.id, time])
        }
        let token = SecretToken.make(prefix: tokenPrefix, random: random)
        let language = requested ?? previous?.language ?? "nb"
        // The feed's id comes from the same random source as its token (a version 4 UUID).
        var idBytes = [UInt8](repeating: 0, count: 16)
        idBytes.withUnsafeMutableBytes { random.fill($0) }
        let id = UUID(bytes: idBytes, version: 4)
        try db.execute(
            "INSERT INTO feed_tokens (id, organization_id, user_id, token_hash, language, created_at, server_key_version) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [id, organization, user.id, SHA256.hash(Array(token.utf8)), language, time, serverKeyVersion])
        try AuditLog.append(
            AuditEntry(
                previous == nil ? .feedCreated : .feedRotated, .user(user.id),
                details: AuditDetails.Feed(feedID: AuditID(id), replacedFeedID: previous.map { AuditID($0.id) })),
            organization: organization, at: time, on: db)
        let feed = FeedRecord(
            id: id, organizationID: organization, userID: user.id, handle: user.handle, language: language,
            createdAt: PostgresTimestamp.truncatedToMicroseconds(time), serverKeyVersion: serverKeyVersion)
        return IssuedFeed(feed: feed, token: token, replaced: previous != nil)
    }

    static func revoke(_ user: UserRecord, in organization: OrganizationID, at time: Date, on db: PostgresConnection) throws {
        guard let feed = try live(of: user.id, in: organization, on: db) else { throw FeedError.noFeed }
        try db.execute("UPDATE feed_tokens SET revoked_at = $2 WHERE id = $1", [feed.id, time])
        try AuditLog.append(
            AuditEntry(.feedRevoked, .user(user.id), details: AuditDetails.Feed(feedID: AuditID(feed.id))), organization: organization, at: time, on: db)
    }

    static func live(of user: UserID, in organization: OrganizationID, on db: PostgresConnection) throws -> FeedRecord? {
        try db.query(
            """
            SELECT f.id, f.organization_id, f.user_id, u.handle, f.language, f.created_at, f.server_key_version
              FROM feed_tokens f JOIN users u ON u.id = f.user_id AND u.organization_id = f.organization_id
             WHERE f.organization_id = $1 AND f.user_id = $2 AND f.revoked_at IS NULL
            """, [organization, user]
        ).first.map(feedRecord)
    }

    static func feedRecord(_ row: PostgresRow) throws -> FeedRecord {
        FeedRecord(
            id: try row.decode("id"), organizationID: try row.decode("organization_id"), userID: try row.decode("user_id"),
            handle: try row.decode("handle"), language: try row.decode("language"), createdAt: try row.decode("created_at"),
            serverKeyVersion: try row.decode("server_key_version"))
    }
}

/// The secrets handed out (API tokens, feed tokens): a prefix that says what it is, then 256
/// random bits in unpadded base64url (43 characters).
enum SecretToken {
    static func make(prefix: String, random: some RandomSource) -> String {
        var secret = [UInt8](repeating: 0, count: 32)
        secret.withUnsafeMutableBytes { random.fill($0) }
        return prefix + Data(secret).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Whether `token` has the shape of one: anything else is not looked up at all.
    static func isWellFormed(_ token: String, prefix: String) -> Bool {
        token.hasPrefix(prefix) && token.utf8.count == prefix.utf8.count + 43
            && token.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2D || byte == 0x5F
            }
    }
}
