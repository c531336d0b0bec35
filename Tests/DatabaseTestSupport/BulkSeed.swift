import AssignmentCore
import Envelope
import Foundation
import Postgres
import Storage

/// Many assignments at once, written with plain SQL (one statement), for the tests that need
/// thousands of due rows: concurrent runners, a runner killed mid-batch, the benchmarks.
public enum BulkSeed {
    public struct Organization: Sendable {
        public var id: OrganizationID
        public var coordinator: UserContext
        public var peerMentor: UserContext
        public var admin: UserContext
    }

    /// An organisation (default settings) with a coordinator, a peer mentor and an admin.
    public static func organization(in database: Database, at time: Date) async throws -> Organization {
        let organization = OrganizationID(UUID())
        let coordinator = UserContext(userID: UserID(UUID()), organizationID: organization, role: .coordinator)
        let mentor = UserContext(userID: UserID(UUID()), organizationID: organization, role: .peerMentor)
        let admin = UserContext(userID: UserID(UUID()), organizationID: organization, role: .organizationAdmin)
        try await database.transaction(.scheduler) { db in
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)", [organization, "Org \(organization)", time])
            for (user, handle) in [(coordinator, "koordinator"), (mentor, "likeperson"), (admin, "admin")] {
                try db.execute(
                    "INSERT INTO users (id, organization_id, handle, role, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                    [user.userID, organization, handle, user.role.rawValue, time])
            }
        }
        return Organization(id: organization, coordinator: coordinator, peerMentor: mentor, admin: admin)
    }

    /// `count` assignments from the coordinator to the peer mentor, dispatched at `dispatchedAt`,
    /// their first reminder due at `reminderDueAt`. The envelopes are placeholders of the right
    /// sizes (nobody opens them).
    public static func dispatchedAssignments(
        _ count: Int, in database: Database, organization: Organization, dispatchedAt: Date, reminderDueAt: Date, expiresAt: Date? = nil
    ) async throws {
        try await database.transaction(.tenant(organization.id, actor: .user(organization.coordinator))) { db in
            try db.execute(
                """
                INSERT INTO assignments (id, organization_id, coordinator_id, peer_mentor_id, title, status, algorithm, ciphertext, nonce,
                    sender_signature, sender_key_fingerprint, dispatched_at, next_reminder_at, expires_at, created_at, updated_at, last_state_change_at)
                SELECT gen_random_uuid(), $1, $2, $3, 'Oppdrag ' || i, 'dispatched', $9, decode(repeat('00', 272), 'hex'),
                       substring(sha256(convert_to($7 || ':' || i, 'UTF8')) FROM 1 FOR 24), decode(repeat('00', 64), 'hex'),
                       decode(repeat('00', 32), 'hex'), $4, $5, $8, $4, $4, $4
                  FROM generate_series(1, $6) AS i
                """,
                [organization.id, organization.coordinator.userID, organization.peerMentor.userID, dispatchedAt, reminderDueAt, count, UUID().uuidString, expiresAt,
                 EnvelopeFormat.v1.algorithmName])
        }
    }
}
