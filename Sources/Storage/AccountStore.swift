import AssignmentCore
import Envelope
import Foundation
import Postgres

/// An organisation as the admin commands show it.
public struct OrganizationRecord: Sendable, Hashable, Codable {
    public var id: OrganizationID
    public var name: String
    public var settings: OrganizationSettings
}

/// A user as the admin commands and `/v1/me` show them. The handle is a login name chosen by the
/// organisation admin, not a person's full name.
public struct UserRecord: Sendable, Hashable, Codable {
    public var id: UserID
    public var organizationID: OrganizationID
    public var localAssociationID: LocalAssociationID?
    public var handle: String
    public var role: Role
    public var status: UserStatus

    enum CodingKeys: String, CodingKey {
        case id, handle, role, status
        case organizationID = "organization_id"
        case localAssociationID = "local_association_id"
    }

    public var context: UserContext {
        UserContext(userID: id, organizationID: organizationID, localAssociationID: localAssociationID, role: role)
    }
}

/// Where an organisation's notifications go, and which version of its signing secret is current.
/// A user of an organisation and the fingerprints of their active device keys.
public struct OrganizationMember: Sendable, Hashable {
    public var user: UserRecord
    public var fingerprints: [KeyFingerprint]
    /// Those of ``fingerprints`` whose device has an X-Wing key (format 2 can be sealed to it).
    public var postQuantum: Set<KeyFingerprint> = []
}

public struct WebhookSetting: Sendable, Hashable, Codable {
    public var url: String?
    public var secretVersion: Int
    /// The version of the server key the secret is derived from: the newest when the secret was
    /// made (the webhook set up, or its secret rotated), kept across rotations of the server key.
    public var serverKeyVersion: Int
}

/// A freshly issued bearer token: the only time the token itself exists outside the client.
public struct IssuedToken: Sendable, Hashable, Codable {
    public var id: UUID
    public var token: String
    public var expiresAt: Date
}

/// Organisations, local associations, users and bearer tokens.
///
/// Admin commands act in the organisation's own scope with the actor `system` (the operator on the
/// server); finding an organisation by name goes through the organisation directory, the one
/// look-up that spans organisations. Every change writes an audit entry in the same transaction,
/// with ids only. Tokens are 32 random bytes, shown once as
/// `adt_` and base64url; only their SHA-256 is stored.
public struct AccountStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public static let tokenPrefix = "adt_"

    /// Handles are 2 to 64 of a-z, 0-9, dot, underscore and hyphen, starting with a letter or digit.
    public static func isValidHandle(_ handle: String) -> Bool {
        handle.range(of: "^[a-z0-9][a-z0-9._-]{1,63}$", options: .regularExpression) != nil
    }
    public static let tokenLifetimes: ClosedRange<TimeInterval> = 3600...(365 * 86_400)

    // MARK: Organisations

    public func createOrganization(name: String, at time: Date, id: OrganizationID = OrganizationID(UUID())) async throws -> OrganizationRecord {
        let clean = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(clean.count) else { throw DomainError.textInvalid(field: "organisation name", problem: "must be 1 to 200 characters") }
        do {
            try await database.transaction(.tenant(id, actor: .system)) { db in
                try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", [id, clean, time])
                try AuditLog.append(AuditEntry(.organizationCreated, .organization(id)), organization: id, at: time, on: db)
            }
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            throw AccountError.organizationExists(clean)
        }
        return try await organization(id.description)
    }

    /// Finds an organisation by id or (case-insensitive) name: its id through the organisation
    /// directory (the one look-up that spans organisations, migration 0009), then its record in its
    /// own scope.
    public func organization(_ nameOrID: String) async throws -> OrganizationRecord {
        let found = try await database.transaction(.lookup) { db in
            try db.query(
                "SELECT id FROM dispatch_organization_directory() WHERE id::text = lower($1) OR lower(name) = lower($1) ORDER BY id::text = lower($1) DESC LIMIT 1",
                [nameOrID]
            ).first.map { try $0.decode("id", as: OrganizationID.self) }
        }
        guard let found, let record = try await record(of: found) else { throw AccountError.organizationNotFound(nameOrID) }
        return record
    }

    /// Every organisation, by name: the directory, then each record in its own scope.
    public func organizations() async throws -> [OrganizationRecord] {
        let ids = try await database.transaction(.lookup) { db in
            try db.query("SELECT id FROM dispatch_organization_directory()").map { try $0.decode("id", as: OrganizationID.self) }
        }
        var records: [OrganizationRecord] = []
        for id in ids {
            if let record = try await record(of: id) { records.append(record) }
        }
        return records
    }

    private func record(of organization: OrganizationID) async throws -> OrganizationRecord? {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.query("SELECT \(Self.organizationColumns) FROM organizations WHERE id = $1", [organization]).first.map(Self.organizationRecord)
        }
    }

    /// Replaces an organisation's settings after checking them (`setting_invalid` names the first bad one).
    public func updateSettings(
        of organization: OrganizationID, to settings: OrganizationSettings, by actor: Principal = .system, at time: Date
    ) async throws -> OrganizationRecord {
        try settings.validate()
        try await database.transaction(.tenant(organization, actor: actor)) { db in
            try db.execute(
                """
                UPDATE organizations SET encrypted_assignments_enabled = $2, time_zone = $3, reminder_after_days = $4, reminder_repeat_days = $5,
                       reminder_maximum_count = $6, honorarium_tiers = string_to_array($7, ',')::integer[], honorarium_counting_status = $8,
                       retention_days = $9, assignment_lifetime_days = $11, erasure_confirmation_days = $12, require_post_quantum = $13, updated_at = greatest(updated_at, $10)
                 WHERE id = $1
                """,
                [organization, settings.encryptedAssignmentsEnabled, settings.timeZoneIdentifier, settings.reminderAfterDays, settings.reminderRepeatDays,
                 settings.reminderMaximumCount, settings.honorariumTiers.map(String.init).joined(separator: ","),
                 settings.honorariumCountingStatus.rawValue, settings.retentionDays, time, settings.assignmentLifetimeDays, settings.erasureConfirmationDays, settings.requirePostQuantum])
            try AuditLog.append(AuditEntry(.organizationSettingsChanged, .organization(organization)), organization: organization, at: time, on: db)
        }
        return try await self.organization(organization.description)
    }

    /// Sets (or with `nil` removes) the organisation's webhook; `rotateSecret` moves its secret to a
    /// new version, so the old secret stops verifying. A new secret (a first address, or a rotation)
    /// is derived from `serverKeyVersion`, the newest version of the server key; an address changed
    /// without rotating keeps its secret. Returns the address and the secret's versions.
    public func setWebhook(
        of organization: OrganizationID, url: String?, rotateSecret: Bool, serverKeyVersion: Int, at time: Date
    ) async throws -> WebhookSetting {
        let clean = try url.map(WebhookAddress.validate)
        return try await database.transaction(.tenant(organization, actor: .system)) { db in
            guard let row = try db.query(
                """
                UPDATE organizations SET webhook_url = $2, webhook_secret_version = webhook_secret_version + $3,
                       webhook_server_key_version = CASE WHEN $3 = 1 OR webhook_url IS NULL THEN $5 ELSE webhook_server_key_version END,
                       updated_at = greatest(updated_at, $4)
                 WHERE id = $1 RETURNING webhook_url, webhook_secret_version, webhook_server_key_version
                """, [organization, clean, rotateSecret ? 1 : 0, time, serverKeyVersion]).first
            else { throw AccountError.organizationNotFound(organization.description) }
            let setting = try Self.webhookSetting(row)
            try AuditLog.append(
                AuditEntry(
                    .organizationWebhookChanged, .organization(organization),
                    details: AuditDetails.WebhookChanged(enabled: setting.url != nil, secretVersion: setting.secretVersion)),
                organization: organization, at: time, on: db)
            return setting
        }
    }

    /// The organisation's webhook address (if any) and secret version.
    public func webhook(of organization: OrganizationID) async throws -> WebhookSetting {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            guard let row = try db.query("SELECT webhook_url, webhook_secret_version, webhook_server_key_version FROM organizations WHERE id = $1", [organization]).first
            else { throw AccountError.organizationNotFound(organization.description) }
            return try Self.webhookSetting(row)
        }
    }

    static func webhookSetting(_ row: PostgresRow) throws -> WebhookSetting {
        WebhookSetting(
            url: try row.decodeIfPresent("webhook_url"), secretVersion: try row.decode("webhook_secret_version"),
            serverKeyVersion: try row.decode("webhook_server_key_version"))
    }

    public func createLocalAssociation(
        in organization: OrganizationID, name: String, at time: Date, id: LocalAssociationID = LocalAssociationID(UUID())
    ) async throws -> LocalAssociationID {
        do {
            try await database.transaction(.tenant(organization, actor: .system)) { db in
                try db.execute("INSERT INTO local_associations (id, organization_id, name, created_at) VALUES ($1, $2, $3, $4)", [id, organization, name, time])
                try AuditLog.append(AuditEntry(.localAssociationCreated, .localAssociation(id)), organization: organization, at: time, on: db)
            }
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            throw AccountError.localAssociationExists(name)
        } catch let error as PostgresError where error.sqlState == PostgresError.checkViolation {
            throw DomainError.textInvalid(field: "local association name", problem: "must be 1 to 200 characters")
        }
        return id
    }

    // MARK: Users

    public func addUser(
        to organization: OrganizationID, handle: String, role: Role, localAssociation: String? = nil,
        certificationExpiresAt: Date? = nil, at time: Date, id: UserID = UserID(UUID())
    ) async throws -> UserRecord {
        guard Self.isValidHandle(handle) else { throw AccountError.handleInvalid(handle) }
        do {
            try await database.transaction(.tenant(organization, actor: .system)) { db in
                var localAssociationID: UUID?
                if let localAssociation {
                    guard let row = try db.query("SELECT id FROM local_associations WHERE organization_id = $1 AND lower(name) = lower($2)", [organization, localAssociation]).first else {
                        throw AccountError.localAssociationNotFound(localAssociation)
                    }
                    localAssociationID = try row.decode("id")
                }
                try db.execute(
                    """
                    INSERT INTO users (id, organization_id, local_association_id, handle, role, certification_expires_at, created_at, updated_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
                    """, [id, organization, localAssociationID, handle, role.rawValue, certificationExpiresAt, time])
                try AuditLog.append(AuditEntry(.userCreated, .user(id), details: AuditDetails.UserCreated(role: role)), organization: organization, at: time, on: db)
            }
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            throw AccountError.handleTaken(handle)
        }
        return try await user(handle, in: organization)
    }

    /// A user of the organisation by handle (or by id, in its lowercase text form).
    public func user(_ handle: String, in organization: OrganizationID) async throws -> UserRecord {
        let found = try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.query(
                "SELECT id, organization_id, local_association_id, handle, role, status FROM users WHERE organization_id = $1 AND (handle = $2 OR id::text = $2)",
                [organization, handle]
            ).first.map(Self.userRecord)
        }
        guard let found else { throw AccountError.userNotFound(handle) }
        return found
    }

    /// Pauses, deactivates or reactivates a user. Deactivation also revokes their tokens.
    public func setStatus(of handle: String, in organization: OrganizationID, to status: UserStatus, at time: Date) async throws -> UserRecord {
        let user = try await self.user(handle, in: organization)
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.execute("UPDATE users SET status = $2, updated_at = greatest(updated_at, $3) WHERE id = $1", [user.id, status.rawValue, time])
            if status == .deactivated {
                try db.execute("UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL", [user.id, time])
            }
            try AuditLog.append(
                AuditEntry(.userStatusChanged, .user(user.id), details: AuditDetails.StatusChange(from: user.status, to: status)),
                organization: organization, at: time, on: db)
        }
        return try await self.user(handle, in: organization)
    }

    // MARK: Tokens

    public func issueToken(
        for handle: String, in organization: OrganizationID, lifetime: TimeInterval, label: String? = nil, at time: Date,
        random: some RandomSource = SystemRandomSource()
    ) async throws -> IssuedToken {
        guard Self.tokenLifetimes.contains(lifetime) else { throw AccountError.lifetimeInvalid }
        let user = try await self.user(handle, in: organization)
        guard user.status != .deactivated else { throw AccountError.userDeactivated(handle) }
        let token = SecretToken.make(prefix: Self.tokenPrefix, random: random)
        let id = UUID()
        let expiresAt = time + lifetime
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try db.execute(
                "INSERT INTO api_tokens (id, organization_id, user_id, token_hash, label, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                [id, organization, user.id, SHA256.hash(Array(token.utf8)), label, time, expiresAt])
            try AuditLog.append(AuditEntry(.tokenIssued, .user(user.id), details: AuditDetails.TokenIssued(tokenID: AuditID(id))), organization: organization, at: time, on: db)
        }
        return IssuedToken(id: id, token: token, expiresAt: PostgresTimestamp.truncatedToMicroseconds(expiresAt))
    }

    public func revokeToken(_ id: UUID, in organization: OrganizationID, at time: Date) async throws {
        let revoked = try await database.transaction(.tenant(organization, actor: .system)) { db in
            let count = try db.query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND organization_id = $2 AND revoked_at IS NULL", [id, organization, time]).affectedRows
            if count > 0 {
                try AuditLog.append(AuditEntry(.tokenRevoked, .token(id)), organization: organization, at: time, on: db)
            }
            return count
        }
        guard revoked == 1 else { throw AccountError.tokenNotFound }
    }

    /// The user a bearer token belongs to, or `nil` when it is unknown, revoked or expired, or its
    /// user is deactivated. Anything that does not look like a token is not looked up at all; the
    /// rest through the one narrow function made for it (migration 0008), in a look-up transaction.
    public func authenticate(token: String, at time: Date) async throws -> UserRecord? {
        guard SecretToken.isWellFormed(token, prefix: Self.tokenPrefix) else { return nil }
        let hash = SHA256.hash(Array(token.utf8))
        return try await database.transaction(.lookup) { db in
            try db.query("SELECT * FROM dispatch_token_principal($1, $2)", [hash, time]).first.map(Self.userRecord)
        }
    }

    /// Everyone in the organisation with their active device keys' fingerprints, by handle: the
    /// admin page's list of users.
    public func members(of organization: OrganizationID, as actor: UserContext) async throws -> [OrganizationMember] {
        try await database.transaction(.tenant(organization, actor: .user(actor))) { db in
            try db.query(
                """
                SELECT u.id, u.organization_id, u.local_association_id, u.handle, u.role, u.status,
                       coalesce(string_agg(encode(k.fingerprint, 'hex'), ',' ORDER BY k.created_at), '') AS fingerprints,
                       coalesce(string_agg(encode(k.fingerprint, 'hex'), ',') FILTER (WHERE k.kem_public_key IS NOT NULL), '') AS post_quantum
                  FROM users u LEFT JOIN device_keys k ON k.user_id = u.id AND k.status = 'active'
                 WHERE u.organization_id = $1
                 GROUP BY u.id ORDER BY u.handle
                """, [organization]
            ).map { row -> OrganizationMember in
                let hexes = try row.decode("fingerprints", as: String.self).split(separator: ",")
                let fingerprints = hexes.compactMap { KeyFingerprint(hex: String($0)) }
                let postQuantum = try row.decode("post_quantum", as: String.self).split(separator: ",").compactMap { KeyFingerprint(hex: String($0)) }
                return OrganizationMember(user: try Self.userRecord(row), fingerprints: fingerprints, postQuantum: Set(postQuantum))
            }
        }
    }

    // MARK: Rows

    /// The columns ``organizationRecord(_:)`` reads.
    static let organizationColumns = """
        id, name, time_zone, encrypted_assignments_enabled, reminder_after_days, reminder_repeat_days, reminder_maximum_count,
        array_to_string(honorarium_tiers, ',') AS tiers, honorarium_counting_status, retention_days, assignment_lifetime_days, erasure_confirmation_days, require_post_quantum
        """

    /// The organisation's settings, read inside the caller's transaction.
    static func settings(of organization: OrganizationID, on db: PostgresConnection) throws -> OrganizationSettings {
        guard let row = try db.query("SELECT \(organizationColumns) FROM organizations WHERE id = $1", [organization]).first else {
            throw DomainError.notFound
        }
        return try organizationSettings(row)
    }

    /// The organisation's active organisation and global admins: who hears of escalations and tiers.
    static func activeAdmins(of organization: OrganizationID, on db: PostgresConnection) throws -> [UserID] {
        try db.query(
            "SELECT id FROM users WHERE organization_id = $1 AND role IN ('org_admin', 'global_admin') AND status = 'active' ORDER BY id", [organization]
        ).map { try $0.decode("id") }
    }

    static func organizationRecord(_ row: PostgresRow) throws -> OrganizationRecord {
        OrganizationRecord(id: try row.decode("id"), name: try row.decode("name"), settings: try organizationSettings(row))
    }

    /// The settings from a row that holds ``organizationColumns`` (possibly beside other columns).
    static func organizationSettings(_ row: PostgresRow) throws -> OrganizationSettings {
        let tiers = try row.decode("tiers", as: String.self).split(separator: ",").compactMap { Int($0) }
        let settings = OrganizationSettings(
            encryptedAssignmentsEnabled: try row.decode("encrypted_assignments_enabled"), timeZoneIdentifier: try row.decode("time_zone"),
            reminderAfterDays: try row.decode("reminder_after_days"), reminderRepeatDays: try row.decode("reminder_repeat_days"),
            reminderMaximumCount: try row.decode("reminder_maximum_count"), honorariumTiers: tiers,
            honorariumCountingStatus: try row.decode("honorarium_counting_status", as: AssignmentStatus.self),
            retentionDays: try row.decode("retention_days"), assignmentLifetimeDays: try row.decode("assignment_lifetime_days"),
            erasureConfirmationDays: try row.decode("erasure_confirmation_days"), requirePostQuantum: try row.decode("require_post_quantum"))
        return settings
    }

    static func userRecord(_ row: PostgresRow) throws -> UserRecord {
        UserRecord(
            id: try row.decode("id"), organizationID: try row.decode("organization_id"), localAssociationID: try row.decodeIfPresent("local_association_id"),
            handle: try row.decode("handle"), role: try row.decode("role"), status: try row.decode("status"))
    }
}
