import AssignmentCore
import Envelope
import Foundation
import Postgres
import Storage

/// One organisation with a coordinator and a peer mentor who each have a registered device key.
struct SeededOrganization: Sendable {
    let id: OrganizationID
    let coordinator: UserContext
    let peerMentor: UserContext
    let admin: UserContext
    let coordinatorKeys: DeviceKeyPair
    let peerMentorKeys: DeviceKeyPair
    let peerMentorKeyID: DeviceKeyID
}

/// Test data written with plain SQL, as an administrator or a client could, so that the tests see
/// exactly what the database itself enforces.
enum StorageFixtures {
    static let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18

    static func seedOrganization(in database: Database, name: String = "Blindeforbundet") async throws -> SeededOrganization {
        let organization = OrganizationID(UUID())
        let coordinator = UserContext(userID: UserID(UUID()), organizationID: organization, role: .coordinator)
        let mentor = UserContext(userID: UserID(UUID()), organizationID: organization, role: .peerMentor)
        let admin = UserContext(userID: UserID(UUID()), organizationID: organization, role: .organizationAdmin)
        let coordinatorKeys = try DeviceKeyPair.generate()
        let mentorKeys = try DeviceKeyPair.generate()
        let mentorKeyID = DeviceKeyID(UUID())
        try await database.transaction(.scheduler) { db in
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", [organization, name, start])
            for (user, handle) in [(coordinator, "koordinator"), (mentor, "likeperson"), (admin, "admin")] {
                try db.execute(
                    "INSERT INTO users (id, organization_id, handle, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                    [user.userID, organization, handle, user.role.rawValue, start])
            }
            for (owner, keys, id) in [(coordinator.userID, coordinatorKeys, DeviceKeyID(UUID())), (mentor.userID, mentorKeys, mentorKeyID)] {
                try db.execute(
                    """
                    INSERT INTO device_keys (id, organization_id, user_id, encryption_public_key, signing_public_key, kem_public_key, fingerprint, created_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                    """,
                    [id, organization, owner, keys.publicKeys.encryptionKey, keys.publicKeys.signingKey, keys.publicKeys.kemKey, keys.fingerprint.bytes, start])
            }
        }
        return SeededOrganization(
            id: organization, coordinator: coordinator, peerMentor: mentor, admin: admin, coordinatorKeys: coordinatorKeys,
            peerMentorKeys: mentorKeys, peerMentorKeyID: mentorKeyID)
    }

    /// Seals `payload` to the peer mentor and stores it as a dispatched assignment, as the
    /// coordinator, with its sealed key. Returns the assignment id.
    @discardableResult
    static func dispatch(
        in database: Database, organization: SeededOrganization, payload: String = #"{"contact_name":"Kari","version":1}"#,
        title: String = "Oppdrag 42", at time: Date = start, expiresAt: Date? = nil
    ) async throws -> AssignmentID {
        let id = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array(payload.utf8), assignmentID: id.uuid, organizationID: organization.id.uuid,
            sender: organization.coordinatorKeys, recipients: [organization.peerMentorKeys.publicKeys], format: .v1)
        try await database.transaction(.tenant(organization.id, actor: .user(organization.coordinator))) { db in
            try db.execute(
                """
                INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, algorithm, ciphertext, nonce,
                    sender_signature, sender_key_fingerprint, dispatched_at, expires_at, created_at, updated_at, last_state_change_at)
                VALUES ($1, $2, $3, $4, $5, 'dispatched', $6, $7, $8, $9, $10, $11, $12, $11, $11, $11)
                """,
                [id, organization.id, organization.coordinator.userID, organization.peerMentor.userID, title, EnvelopeFormat.v1.algorithmName,
                 envelope.ciphertext, envelope.nonce, envelope.signature, envelope.senderFingerprint.bytes, time, expiresAt])
            for (position, sealed) in envelope.sealedKeys.enumerated() {
                try db.execute(
                    """
                    INSERT INTO assignment_recipients (assignment_id, organization_id, position, device_key_id, recipient_fingerprint, sealed_key_hash, sealed_key)
                    VALUES ($1, $2, $3, $4, $5, $6, $7)
                    """,
                    [id, organization.id, position, organization.peerMentorKeyID, sealed.fingerprint.bytes, SHA256.hash(sealed.sealedKey), sealed.sealedKey])
            }
        }
        return id
    }

    /// Moves an assignment to `status` with plain SQL, setting the timestamps that the domain's
    /// transition table says the move sets (a later state implies the earlier ones).
    static func move(
        _ id: AssignmentID, to status: AssignmentStatus, in database: Database, organization: SeededOrganization, actor: Principal,
        at time: Date, reason: String? = nil
    ) async throws {
        try await database.transaction(.tenant(organization.id, actor: actor)) { db in
            let current = try db.query("SELECT status FROM assignments WHERE id = $1", [id]).first!.decode("status", as: String.self)
            let from = AssignmentStatus(rawValue: current)!
            let sets = AssignmentLifecycle.rule(from: from, to: status)?.sets ?? []
            let assignments = sets.map { ", \($0.rawValue) = coalesce(\($0.rawValue), $2)" }.joined()
            // A reason goes where the target status keeps it: a decline's from the fixed list.
            let column = status == .declined ? "decline_reason" : "cancellation_reason"
            try db.execute(
                "UPDATE assignments SET status = $1\(assignments), \(column) = coalesce($4, \(column)), updated_at = $2, last_state_change_at = $2 WHERE id = $3",
                [status.rawValue, time, id, reason])
        }
    }
}
