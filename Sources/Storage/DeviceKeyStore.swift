import AssignmentCore
import Envelope
import Foundation
import Postgres

/// A registered device key as the API shows it.
public struct RegisteredDeviceKey: Sendable, Hashable, Codable {
    public var id: DeviceKeyID
    public var userID: UserID
    public var label: String?
    public var encryptionPublicKey: String
    public var signingPublicKey: String
    /// The X-Wing public key (base64), on devices that have one.
    public var kemPublicKey: String?
    public var fingerprint: String
    public var fingerprintReadAloud: [String]
    public var status: DeviceKeyStatus
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, label, status, fingerprint
        case userID = "user_id"
        case encryptionPublicKey = "encryption_public_key"
        case signingPublicKey = "signing_public_key"
        case kemPublicKey = "kem_public_key"
        case fingerprintReadAloud = "fingerprint_read_aloud"
        case createdAt = "created_at"
    }
}

/// Device keys: registered by their owner, looked up by anyone in the organisation (they are
/// public keys), retired or revoked by their owner or an organisation admin. Everything runs in the
/// caller's tenant scope, so another organisation's keys are never found.
public struct DeviceKeyStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Registers `keys` for the signed-in user. Refuses invalid points and a key registered before.
    public func register(
        _ keys: DevicePublicKeys, label: String?, for user: UserContext, at time: Date, id: DeviceKeyID = DeviceKeyID(UUID())
    ) async throws -> RegisteredDeviceKey {
        try keys.validate()
        do {
            try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
                try db.execute(
                    """
                    INSERT INTO device_keys (id, organization_id, user_id, label, encryption_public_key, signing_public_key, kem_public_key, fingerprint, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    [id, user.organizationID, user.userID, label, keys.encryptionKey, keys.signingKey, keys.kemKey, keys.fingerprint.bytes, time])
                try AuditLog.append(AuditEntry(.deviceKeyRegistered, .deviceKey(id)), organization: user.organizationID, at: time, on: db)
            }
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            throw DeviceKeyError.alreadyRegistered
        }
        guard let record = try await self.keys(of: user.userID, as: user, includingInactive: true).first(where: { $0.id == id }) else {
            throw DomainError.notFound
        }
        return record
    }

    /// The keys of `owner`, as seen by `viewer` (same organisation only). Active keys only, unless
    /// `includingInactive`.
    public func keys(of owner: UserID, as viewer: UserContext, includingInactive: Bool = false) async throws -> [RegisteredDeviceKey] {
        try await database.transaction(.tenant(viewer.organizationID, actor: .user(viewer))) { db in
            guard try db.query("SELECT 1 FROM users WHERE id = $1", [owner]).count == 1 else { throw DomainError.notFound }
            return try db.query(
                """
                SELECT id, user_id, label, \(Self.keyColumns), status, created_at FROM device_keys
                 WHERE user_id = $1 AND (status = 'active' OR $2) ORDER BY created_at, id
                """, [owner, includingInactive]
            ).map(Self.record)
        }
    }

    /// Retires (still opens old assignments, receives nothing new) or revokes (lost device: nothing
    /// sealed to it is handed out any more) a key. Its owner or an organisation admin may.
    public func change(_ key: DeviceKeyID, _ change: DeviceKeyChange, by user: UserContext, at time: Date) async throws -> RegisteredDeviceKey {
        let status = change.status
        return try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            guard let row = try db.query("SELECT user_id, status FROM device_keys WHERE id = $1", [key]).first else { throw DomainError.notFound }
            let owner: UserID = try row.decode("user_id")
            guard owner == user.userID || user.role.administersOrganization else { throw DeviceKeyError.notYours }
            let current = try row.decode("status", as: DeviceKeyStatus.self)
            guard current != .revoked, !(current == .retired && status == .retired) else { throw DeviceKeyError.alreadyInactive(current) }
            let column = status == .retired ? "retired_at" : "revoked_at"
            try db.execute("UPDATE device_keys SET status = $2, \(column) = $3 WHERE id = $1", [key, status.rawValue, time])
            try AuditLog.append(AuditEntry(status == .retired ? .deviceKeyRetired : .deviceKeyRevoked, .deviceKey(key)), organization: user.organizationID, at: time, on: db)
            guard let updated = try db.query(
                "SELECT id, user_id, label, \(Self.keyColumns), status, created_at FROM device_keys WHERE id = $1", [key]).first
            else { throw DomainError.notFound }
            return try Self.record(updated)
        }
    }

    /// The columns ``publicKeys(_:)`` reads.
    static let keyColumns = "encryption_public_key, signing_public_key, kem_public_key"

    /// A device's public keys from a row with ``keyColumns``: every key, so that the fingerprint
    /// they make is the stored one.
    static func publicKeys(_ row: PostgresRow) throws -> DevicePublicKeys {
        try DevicePublicKeys(
            encryptionKey: try row.decode("encryption_public_key"), signingKey: try row.decode("signing_public_key"),
            kemKey: try row.decodeIfPresent("kem_public_key"))
    }

    static func record(_ row: PostgresRow) throws -> RegisteredDeviceKey {
        let keys = try publicKeys(row)
        return RegisteredDeviceKey(
            id: try row.decode("id"), userID: try row.decode("user_id"), label: try row.decodeIfPresent("label"),
            encryptionPublicKey: Data(keys.encryptionKey).base64EncodedString(), signingPublicKey: Data(keys.signingKey).base64EncodedString(),
            kemPublicKey: keys.kemKey.map { Data($0).base64EncodedString() },
            fingerprint: keys.fingerprint.hex, fingerprintReadAloud: keys.fingerprint.readAloud,
            status: try row.decode("status", as: DeviceKeyStatus.self), createdAt: try row.decode("created_at"))
    }
}

/// What can happen to an active key; nothing brings a key back.
public enum DeviceKeyChange: String, Sendable, Hashable {
    case retire
    case revoke

    var status: DeviceKeyStatus { self == .retire ? .retired : .revoked }
}

/// Why a device key operation was refused.
public enum DeviceKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    case alreadyRegistered
    case notYours
    case alreadyInactive(DeviceKeyStatus)

    public var code: String {
        switch self {
        case .alreadyRegistered: "key_already_registered"
        case .notYours: "key_not_yours"
        case .alreadyInactive: "key_already_inactive"
        }
    }

    public var description: String {
        switch self {
        case .alreadyRegistered: "This key is registered already."
        case .notYours: "Only the key's owner or an organisation admin can change it."
        case .alreadyInactive(let status): "This key is \(status.rawValue) already."
        }
    }
}
