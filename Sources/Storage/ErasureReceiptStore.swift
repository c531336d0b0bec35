import AssignmentCore
import Envelope
import Foundation
import Postgres

/// A stored erasure receipt, as the server accepted it.
public struct ErasureConfirmationRecord: Sendable, Hashable {
    public var assignmentID: AssignmentID
    public var device: KeyFingerprint
    public var erasedAt: Date
    public var reason: ErasureReason
    public var receivedAt: Date
}

/// One device that held a closed assignment's case, and whether it has confirmed erasing it.
public struct ErasureHolder: Sendable, Hashable {
    public var device: KeyFingerprint
    public var handle: String
    public var confirmation: ErasureConfirmationRecord?
    /// Not confirmed, and the assignment closed longer ago than the organisation's
    /// `erasure_confirmation_days`.
    public var overdue: Bool
}

/// A closed assignment and the recipient devices that downloaded its case.
public struct ClosedAssignmentErasure: Sendable, Hashable {
    public var assignmentID: AssignmentID
    public var status: AssignmentStatus
    public var closedAt: Date
    public var holders: [ErasureHolder]
}

/// A device with overdue erasure confirmations: the phone an officer should chase.
public struct OverdueErasureDevice: Sendable, Hashable, Encodable {
    public var organizationID: OrganizationID
    public var organization: String
    public var handle: String
    public var device: KeyFingerprint
    /// Closed assignments whose copy on this device is not confirmed erased, past the deadline.
    public var assignments: Int
    public var oldestClosedAt: Date

    enum CodingKeys: String, CodingKey {
        case organization, handle, device, assignments
        case organizationID = "organization_id"
        case oldestClosedAt = "oldest_closed_at"
    }
}

/// Erasure receipts (``ErasureReceipt``, ``ErasureConfirmation``): stored once each after the
/// signature verified, audited, and listed for compliance.
///
/// The devices expected to confirm an assignment are the recipient devices that downloaded its
/// envelope (the `assignment.payload_downloaded` audit entries): a device that never downloaded
/// has nothing to erase.
public struct ErasureReceiptStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Verifies and stores a receipt from `user`'s device. A receipt sent again (its answer lost on
    /// the way) is answered with the stored one and not recorded twice: one device, one receipt,
    /// one audit entry per assignment.
    public func record(_ receipt: ErasureReceipt, signature: [UInt8], by user: UserContext, at time: Date) async throws -> ErasureConfirmationRecord {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try AssignmentStore.requireModule(on: db)
            let id = AssignmentID(receipt.assignmentID)
            guard receipt.organizationID == user.organizationID.uuid else { throw DomainError.erasureSignatureInvalid }
            let assignment = try AssignmentStore.loadVisible(id, to: user, on: db, forUpdate: true)
            try ErasureConfirmation.check(assignment, by: .user(user), erasedAt: receipt.erasedAtDate, at: time)
            guard
                let key = try db.query(
                    """
                    SELECT k.id, k.status, k.encryption_public_key, k.signing_public_key, k.kem_public_key
                      FROM assignment_recipients r JOIN device_keys k ON k.id = r.device_key_id
                     WHERE r.assignment_id = $1 AND k.fingerprint = $2 AND k.user_id = $3 AND r.party = 'recipient'
                    """, [id, receipt.device.bytes, user.userID]
                ).first
            else { throw EnvelopeError.notARecipient }
            let keys = try DeviceKeyStore.publicKeys(key)
            guard receipt.isSigned(signature, by: keys) else { throw DomainError.erasureSignatureInvalid }
            let keyID: UUID = try key.decode("id")
            if let stored = try Self.stored(id, deviceKey: keyID, fingerprint: receipt.device, on: db) { return stored }
            try db.execute(
                """
                INSERT INTO erasure_receipts (organization_id, assignment_id, device_key_id, erased_at, reason, signature, received_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                """, [user.organizationID, id, keyID, receipt.erasedAtDate, receipt.reason.rawValue, signature, time])
            try AuditLog.append(
                AuditEntry(
                    .assignmentErasureConfirmed, .assignment(id),
                    details: AuditDetails.ErasureConfirmed(
                        deviceKeyID: AuditID(keyID), erasedAt: PostgresTimestamp.format(receipt.erasedAtDate), reason: receipt.reason.rawValue)),
                organization: user.organizationID, at: time, on: db)
            return ErasureConfirmationRecord(assignmentID: id, device: receipt.device, erasedAt: receipt.erasedAtDate, reason: receipt.reason, receivedAt: time)
        }
    }

    static func stored(_ id: AssignmentID, deviceKey: UUID, fingerprint: KeyFingerprint, on db: PostgresConnection) throws -> ErasureConfirmationRecord? {
        try db.query("SELECT erased_at, reason, received_at FROM erasure_receipts WHERE assignment_id = $1 AND device_key_id = $2", [id, deviceKey])
            .first.map { row in
                ErasureConfirmationRecord(
                    assignmentID: id, device: fingerprint, erasedAt: try row.decode("erased_at"),
                    reason: try row.decode("reason", as: ErasureReason.self), receivedAt: try row.decode("received_at"))
            }
    }

    /// The organisation's closed assignments, most recently closed first (at most `limit`), each
    /// with the recipient devices that downloaded the case and whether they confirmed erasing it.
    /// For organisation admins and compliance officers.
    public func closedAssignments(as user: UserContext, at time: Date, limit: Int = 100) async throws -> [ClosedAssignmentErasure] {
        guard user.role.readsComplianceRecords else { throw DomainError.complianceRoleRequired }
        return try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            let rows = try db.query(
                """
                WITH closed AS (
                    SELECT a.id, a.status, a.last_state_change_at AS closed_at
                      FROM assignments a
                     WHERE a.status IN ('completed', 'cancelled', 'expired', 'declined')
                     ORDER BY a.last_state_change_at DESC, a.id DESC
                     LIMIT $1
                )
                SELECT c.id, c.status, c.closed_at, k.fingerprint, u.handle, r.erased_at, r.reason, r.received_at,
                       r.erased_at IS NULL AND c.closed_at + make_interval(days => o.erasure_confirmation_days) <= $2 AS overdue
                  FROM closed c
                  JOIN organizations o ON o.id = $3
                  LEFT JOIN LATERAL \(Self.holders(of: "c.id")) h ON true
                  LEFT JOIN device_keys k ON k.id = h.device_key_id
                  LEFT JOIN users u ON u.id = k.user_id
                  LEFT JOIN erasure_receipts r ON r.assignment_id = c.id AND r.device_key_id = k.id
                 ORDER BY c.closed_at DESC, c.id DESC, u.handle, k.fingerprint
                """, [limit, time, user.organizationID])
            var result: [ClosedAssignmentErasure] = []
            for row in rows {
                let id: AssignmentID = try row.decode("id")
                if result.last?.assignmentID != id {
                    result.append(
                        ClosedAssignmentErasure(
                            assignmentID: id, status: try row.decode("status", as: AssignmentStatus.self), closedAt: try row.decode("closed_at"), holders: []))
                }
                guard let fingerprint = try row.decodeIfPresent("fingerprint", as: KeyFingerprint.self) else { continue }
                let confirmation = try row.decodeIfPresent("erased_at", as: Date.self).map { erasedAt in
                    ErasureConfirmationRecord(
                        assignmentID: id, device: fingerprint, erasedAt: erasedAt, reason: try row.decode("reason", as: ErasureReason.self),
                        receivedAt: try row.decode("received_at"))
                }
                result[result.count - 1].holders.append(
                    ErasureHolder(device: fingerprint, handle: try row.decode("handle"), confirmation: confirmation, overdue: try row.decode("overdue")))
            }
            return result
        }
    }

    /// Devices with overdue confirmations, per organisation (``OverdueErasureDevice``), most overdue
    /// first. In `scope`: the scheduler's sees every organisation (`dispatch sweep keys --report`),
    /// a tenant's only its own.
    public func overdueDevices(in scope: TransactionScope, at time: Date) async throws -> [OverdueErasureDevice] {
        try await database.transaction(scope) { db in
            try db.query(
                """
                SELECT o.id AS organization_id, o.name AS organization, u.handle, k.fingerprint,
                       count(*)::int AS assignments, min(a.last_state_change_at) AS oldest_closed_at
                  FROM assignments a
                  JOIN organizations o ON o.id = a.organization_id
                  JOIN LATERAL \(Self.holders(of: "a.id")) h ON true
                  JOIN device_keys k ON k.id = h.device_key_id
                  JOIN users u ON u.id = k.user_id
                 WHERE a.status IN ('completed', 'cancelled', 'expired', 'declined')
                   AND a.last_state_change_at + make_interval(days => o.erasure_confirmation_days) <= $1
                   AND NOT EXISTS (SELECT 1 FROM erasure_receipts r WHERE r.assignment_id = a.id AND r.device_key_id = k.id)
                 GROUP BY o.id, o.name, u.handle, k.fingerprint
                 ORDER BY min(a.last_state_change_at), o.name, u.handle, k.fingerprint
                """, [time]
            ).map { row in
                OverdueErasureDevice(
                    organizationID: try row.decode("organization_id"), organization: try row.decode("organization"), handle: try row.decode("handle"),
                    device: try row.decode("fingerprint", as: KeyFingerprint.self), assignments: try row.decode("assignments"),
                    oldestClosedAt: try row.decode("oldest_closed_at"))
            }
        }
    }

    /// The recipient devices that downloaded the envelope of the assignment `id` names (a column of
    /// the outer query): a `LATERAL` subquery with one `device_key_id` per device, found through the
    /// audit's index on the subject, so its cost follows the assignments listed, not the audit's size.
    static func holders(of id: String) -> String {
        """
        (SELECT DISTINCT ar.device_key_id
           FROM audit_entries e
           JOIN assignment_recipients ar ON ar.assignment_id = e.subject_id AND ar.party = 'recipient'
                AND ar.device_key_id = (e.details->>'device_key_id')::uuid
          WHERE e.subject_id = \(id) AND e.action = 'assignment.payload_downloaded' AND e.subject_type = 'assignment')
        """
    }
}
