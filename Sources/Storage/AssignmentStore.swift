import AssignmentCore
import Envelope
import Foundation
import Postgres

/// What a coordinator's device submits to dispatch an assignment. The device chooses the id
/// (it is sealed into the envelope); the server accepts it only if it is new.
public struct DispatchSubmission: Sendable {
    public var id: AssignmentID
    public var recipientID: UserID
    public var localAssociationID: LocalAssociationID?
    public var title: String
    public var coordinatorNotes: String?
    public var assignmentType: String
    public var priority: Priority
    public var isUrgent: Bool
    public var requiresConsent: Bool
    public var honorariumEligible: Bool
    public var geographicRegion: String?
    public var expiresAt: Date?
    public var contactDeadlineAt: Date?
    public var envelope: [UInt8]
    /// The assignment this one sends again to another peer mentor (``Reassignment``).
    public var reassignedFrom: AssignmentID?

    public init(
        id: AssignmentID, recipientID: UserID, localAssociationID: LocalAssociationID? = nil, title: String, coordinatorNotes: String? = nil,
        assignmentType: String = "peer_support", priority: Priority = .normal, isUrgent: Bool = false, requiresConsent: Bool = false,
        honorariumEligible: Bool = true, geographicRegion: String? = nil, expiresAt: Date? = nil, contactDeadlineAt: Date? = nil, envelope: [UInt8],
        reassignedFrom: AssignmentID? = nil
    ) {
        self.id = id
        self.recipientID = recipientID
        self.localAssociationID = localAssociationID
        self.title = title
        self.coordinatorNotes = coordinatorNotes
        self.assignmentType = assignmentType
        self.priority = priority
        self.isUrgent = isUrgent
        self.requiresConsent = requiresConsent
        self.honorariumEligible = honorariumEligible
        self.geographicRegion = geographicRegion
        self.expiresAt = expiresAt
        self.contactDeadlineAt = contactDeadlineAt
        self.envelope = envelope
        self.reassignedFrom = reassignedFrom
    }
}

/// A dispatched assignment and the personal-data warnings its title and notes raised.
public struct DispatchedAssignment: Sendable, Hashable {
    public var assignment: Assignment
    public var warnings: [PersonalDataFinding]
}

/// Why the store refused an assignment that the domain rules alone cannot judge.
public enum AssignmentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The proposed id is taken: a retry of a dispatch that went through, or a collision.
    case alreadyExists
    /// The envelope's nonce was used before: a replayed envelope.
    case nonceReused
    /// The envelope names a sender key that is not the dispatching coordinator's active key.
    case senderKeyUnknown

    public var code: String {
        switch self {
        case .alreadyExists: "assignment_exists"
        case .nonceReused: "nonce_reused"
        case .senderKeyUnknown: "sender_key_unknown"
        }
    }

    public var description: String {
        switch self {
        case .alreadyExists: "An assignment with this id exists already."
        case .nonceReused: "This envelope's nonce has been used before: an envelope cannot be sent twice."
        case .senderKeyUnknown: "The envelope is signed with a key that is not one of your active device keys. Register this device's keys first."
        }
    }
}

/// Assignments: dispatch, download of the envelope, and every move of the lifecycle. Each
/// operation is one tenant transaction in which the domain rules run on rows locked for it, so what
/// is checked is what is written.
public struct AssignmentStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Checks every dispatch rule and the envelope (well formed, signed by the coordinator's
    /// registered key, bound to this assignment and organisation, sealed to the recipient's active
    /// keys and only to them), then stores the assignment as dispatched with its sealed keys and a
    /// notification for the peer mentor. Returns the assignment and the personal-data warnings.
    ///
    /// With `idempotency`, the rendered answer is stored under the client's key in the same
    /// transaction, so a retry finds it exactly when the assignment exists.
    public func dispatch(
        _ submission: DispatchSubmission, by sender: UserContext, at time: Date, idempotency: IdempotencyCompletion<DispatchedAssignment>? = nil
    ) async throws -> DispatchedAssignment {
        let envelope = try AssignmentEnvelope.parse(submission.envelope)
        let region = try DispatchRules.checkClassification(assignmentType: submission.assignmentType, geographicRegion: submission.geographicRegion)
        let keyring = database.erasureKeyring
        do {
            return try await database.transaction(.tenant(sender.organizationID, actor: .user(sender))) { db in
                guard let organizationRow = try db.query("SELECT \(AccountStore.organizationColumns) FROM organizations").first else {
                    throw DomainError.notFound
                }
                let organization = try AccountStore.organizationRecord(organizationRow)
                let senderProfile = try Self.profile(sender.userID, on: db)
                if let localAssociation = submission.localAssociationID,
                    try db.query("SELECT 1 FROM local_associations WHERE id = $1", [localAssociation]).count == 0
                {
                    throw AccountError.localAssociationNotFound(localAssociation.description)
                }
                guard let recipientProfile = try? Self.profile(submission.recipientID, on: db) else { throw DomainError.notFound }
                // A reassignment: the old assignment is locked, so two reassignments of it cannot
                // both pass this check.
                if let oldID = submission.reassignedFrom {
                    let old = try Self.loadVisible(oldID, to: sender, on: db, forUpdate: true)
                    try Reassignment.check(old, to: submission.recipientID, by: sender, at: time)
                    if let existing = try db.query("SELECT id FROM assignments WHERE reassigned_from = $1", [oldID]).first {
                        throw DomainError.alreadyReassigned(to: try existing.decode("id"))
                    }
                }
                // The recipient's keys, and the sender's own (a copy sealed for the coordinator).
                let recipientKeys = try db.query(
                    "SELECT id, user_id, fingerprint, status, kem_public_key IS NOT NULL AS post_quantum FROM device_keys WHERE user_id = $1 OR user_id = $2",
                    [submission.recipientID, sender.userID]
                ).map { row in
                    DeviceKeyRecord(
                        id: try row.decode("id"), userID: try row.decode("user_id"), fingerprint: try row.decode("fingerprint", as: KeyFingerprint.self),
                        status: try row.decode("status", as: DeviceKeyStatus.self), isPostQuantum: try row.decode("post_quantum"))
                }
                let validated = try DispatchRules.validateDispatch(
                    DispatchRules.DispatchRequest(
                        sender: senderProfile, recipient: recipientProfile, organizationID: sender.organizationID,
                        localAssociationID: submission.localAssociationID, moduleEnabled: organization.settings.encryptedAssignmentsEnabled,
                        title: submission.title, coordinatorNotes: submission.coordinatorNotes, envelopeFingerprints: envelope.recipientFingerprints,
                        recipientKeys: recipientKeys, dispatchedAt: time, expiresAt: submission.expiresAt, contactDeadlineAt: submission.contactDeadlineAt,
                        lifetimeDays: organization.settings.assignmentLifetimeDays))

                guard let format = envelope.format else { throw EnvelopeError.unsupportedVersion(version: envelope.version, algorithm: envelope.algorithm) }
                try DispatchRules.checkEnvelopeFormat(
                    postQuantum: format.isPostQuantum, envelopeFingerprints: envelope.recipientFingerprints, registered: recipientKeys,
                    requirePostQuantum: organization.settings.requirePostQuantum)

                guard let senderKey = try db.query(
                    "SELECT \(DeviceKeyStore.keyColumns) FROM device_keys WHERE fingerprint = $1 AND user_id = $2 AND status = 'active'",
                    [envelope.senderFingerprint.bytes, sender.userID]).first
                else { throw AssignmentError.senderKeyUnknown }
                let senderKeys = try DeviceKeyStore.publicKeys(senderKey)
                try EnvelopeVerifier.verify(
                    envelope, sender: senderKeys, assignmentID: submission.id.uuid, organizationID: sender.organizationID.uuid, requireEverySealedKey: true)

                var assignment = Assignment(
                    id: submission.id, organizationID: sender.organizationID, localAssociationID: submission.localAssociationID,
                    coordinatorID: sender.userID, peerMentorID: submission.recipientID, title: validated.title, assignmentType: submission.assignmentType,
                    priority: submission.priority, isUrgent: submission.isUrgent, geographicRegion: region,
                    coordinatorNotes: validated.coordinatorNotes, requiresConsent: submission.requiresConsent, status: .dispatched, expiresAt: validated.expiresAt,
                    contactDeadlineAt: submission.contactDeadlineAt, honorariumEligible: submission.honorariumEligible, createdAt: time)
                assignment.dispatchedAt = time
                assignment.nextReminderAt = organization.settings.reminderPolicy.nextReminderDue(for: assignment)
                try db.execute(
                    """
                    INSERT INTO assignments (id, organization_id, local_association_id, coordinator_id, peer_mentor_id, title, assignment_type, priority,
                        is_urgent, geographic_region, coordinator_notes, requires_consent, status, algorithm, ciphertext, nonce, sender_signature,
                        sender_key_fingerprint, dispatched_at, expires_at, contact_deadline_at, next_reminder_at, honorarium_eligible,
                        created_at, updated_at, last_state_change_at, reassigned_from)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'dispatched', $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $18, $18, $18, $23)
                    """,
                    [assignment.id, assignment.organizationID, assignment.localAssociationID, assignment.coordinatorID, assignment.peerMentorID,
                     assignment.title, assignment.assignmentType, assignment.priority.rawValue, assignment.isUrgent, assignment.geographicRegion,
                     assignment.coordinatorNotes, assignment.requiresConsent, format.algorithmName, envelope.ciphertext, envelope.nonce,
                     envelope.signature, envelope.senderFingerprint.bytes, time, assignment.expiresAt, assignment.contactDeadlineAt,
                     assignment.nextReminderAt, assignment.honorariumEligible, submission.reassignedFrom])
                // Sealed keys are stored only wrapped under today's erasure key (docs/security.md, "Erasure").
                let epoch = ErasureEpoch(containing: time)
                for (position, recipient) in envelope.recipients.enumerated() {
                    let key = recipientKeys.first { $0.fingerprint == recipient.fingerprint }!
                    let sealed = envelope.sealedKeys.first { $0.fingerprint == recipient.fingerprint }!
                    let wrapped = try keyring.wrap(
                        sealed.sealedKey, for: SealedKeyContext(assignment: assignment.id.uuid, recipientFingerprint: recipient.fingerprint.bytes), epoch: epoch)
                    try db.execute(
                        """
                        INSERT INTO assignment_recipients (assignment_id, organization_id, position, device_key_id, recipient_fingerprint, sealed_key_hash,
                            sealed_key, erasure_epoch, party)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                        """,
                        [assignment.id, assignment.organizationID, position, key.id, recipient.fingerprint.bytes, recipient.sealedKeyHash, wrapped,
                         epoch, key.userID == submission.recipientID ? "recipient" : "sender"])
                }
                if let oldID = submission.reassignedFrom {
                    try AuditLog.append(
                        AuditEntry(.assignmentReassigned, .assignment(oldID), details: AuditDetails.Reassigned(to: AuditID(assignment.id.uuid))),
                        organization: sender.organizationID, at: time, on: db)
                }
                let stored = try Self.load(assignment.id, on: db)
                try NotificationStore.enqueue(NotificationPlan.statusChanged(stored, from: nil, by: .user(sender)), about: stored, at: time, on: db)
                let result = DispatchedAssignment(assignment: stored, warnings: validated.warnings)
                if let idempotency {
                    try IdempotencyStore.complete(idempotency.request, by: sender, response: try idempotency.render(result), at: time, on: db)
                }
                return result
            }
        } catch let error as PostgresError where error.sqlState == PostgresError.uniqueViolation {
            throw error.constraint == "idx_assignments_nonce" ? AssignmentError.nonceReused : AssignmentError.alreadyExists
        }
    }

    /// The organisation's encrypted-assignments module is on, or ``DomainError/moduleDisabled``:
    /// with it off, no assignment is created, read, downloaded or moved by anyone (the sweeps,
    /// which are compliance's, keep running). Checked first in every assignment operation.
    static func requireModule(on db: PostgresConnection) throws {
        let enabled = try db.query("SELECT encrypted_assignments_enabled FROM organizations WHERE id = dispatch_current_organization()").first?
            .decode("encrypted_assignments_enabled", as: Bool.self)
        guard enabled == true else { throw DomainError.moduleDisabled }
    }

    /// The assignment, for those ``AssignmentVisibility`` lets see it; anyone else gets `not_found`.
    public func assignment(_ id: AssignmentID, as user: UserContext) async throws -> Assignment {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            return try Self.loadVisible(id, to: user, on: db)
        }
    }

    /// The envelope for one of the recipient's devices: only that device's sealed key. The first
    /// download records delivery; every download is audited. After cancellation or expiry, or before
    /// consent where consent is required, the answer is the matching domain error instead.
    ///
    /// The coordinator who dispatched it gets the sender's copy (the sealed key of one of their own
    /// devices, if the envelope has one) while the assignment is open: audited too, never a
    /// delivery, and consent does not apply to it.
    public func downloadEnvelope(_ id: AssignmentID, forDevice fingerprint: KeyFingerprint, by user: UserContext, at time: Date) async throws -> [UInt8] {
        let keyring = database.erasureKeyring
        return try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let assignment = try Self.loadVisible(id, to: user, on: db, forUpdate: true)
            let party: String
            if user.userID == assignment.peerMentorID {
                party = "recipient"
                try PayloadAccess.check(assignment, at: time)
            } else if user.userID == assignment.coordinatorID, user.role.dispatches,
                try db.query("SELECT 1 FROM assignment_recipients WHERE assignment_id = $1 AND recipient_fingerprint = $2 AND party = 'sender'", [id, fingerprint.bytes])
                    .count == 1
            {
                party = "sender"
                try PayloadAccess.checkSenderCopy(assignment, at: time)
            } else {
                throw user.role.dispatches ? DomainError.actorNotPermitted(from: assignment.status, to: assignment.status) : DomainError.notFound
            }
            guard let key = try db.query("SELECT id, status FROM device_keys WHERE fingerprint = $1 AND user_id = $2", [fingerprint.bytes, user.userID]).first else {
                throw EnvelopeError.notARecipient
            }
            if try key.decode("status", as: String.self) == DeviceKeyStatus.revoked.rawValue { throw DomainError.keyRevoked }
            guard let header = try db.query("SELECT ciphertext, nonce, sender_signature, sender_key_fingerprint, algorithm FROM assignments WHERE id = $1", [id]).first,
                let format = EnvelopeFormat(algorithmName: try header.decode("algorithm"))
            else { throw DomainError.notFound }
            let recipients = try db.query(
                "SELECT recipient_fingerprint, sealed_key_hash, sealed_key, erasure_epoch FROM assignment_recipients WHERE assignment_id = $1 ORDER BY position",
                [id])
            guard let own = recipients.first(where: { (try? $0.decode("recipient_fingerprint", as: [UInt8].self)) == fingerprint.bytes }),
                let stored = try own.decodeIfPresent("sealed_key", as: [UInt8].self)
            else { throw EnvelopeError.notARecipient }
            let sealedKey = try Self.unwrapSealedKey(
                stored, epoch: try own.decodeIfPresent("erasure_epoch", as: ErasureEpoch.self), hash: try own.decode("sealed_key_hash"),
                context: SealedKeyContext(assignment: id.uuid, recipientFingerprint: fingerprint.bytes), keyring: keyring)
            let envelope = AssignmentEnvelope(
                version: format.version, algorithm: format.algorithm, assignmentID: id.uuid,
                organizationID: assignment.organizationID.uuid,
                senderFingerprint: try header.decode("sender_key_fingerprint", as: KeyFingerprint.self),
                recipients: try recipients.map {
                    .init(fingerprint: try $0.decode("recipient_fingerprint", as: KeyFingerprint.self), sealedKeyHash: try $0.decode("sealed_key_hash"))
                },
                nonce: try header.decode("nonce"), ciphertext: try header.decode("ciphertext"), signature: try header.decode("sender_signature"),
                sealedKeys: [.init(fingerprint: fingerprint, sealedKey: sealedKey)])
            if party == "recipient", assignment.status == .dispatched {
                let delivered = try AssignmentLifecycle.transition(assignment, to: .delivered, by: .user(user), at: time).assignment
                try Self.write(delivered, on: db)
                try NotificationStore.enqueue(NotificationPlan.statusChanged(delivered, from: assignment.status, by: .user(user)), about: delivered, at: time, on: db)
            }
            try AuditLog.append(
                AuditEntry(.assignmentPayloadDownloaded, .assignment(id), details: AuditDetails.PayloadDownloaded(deviceKeyID: AuditID(try key.decode("id")))),
                organization: user.organizationID, at: time, on: db)
            return envelope.serialized
        }
    }

    /// The sealed key a stored row holds: unwrapped with its day's erasure key, and checked against
    /// the hash the signature covers. (A row from before migration 0010 that the program has not
    /// wrapped yet holds it bare.)
    static func unwrapSealedKey(_ stored: [UInt8], epoch: ErasureEpoch?, hash: [UInt8], context: SealedKeyContext, keyring: ErasureKeyring) throws -> [UInt8] {
        guard let epoch else { return stored }
        let sealedKey = try keyring.unwrap(stored, for: context, epoch: epoch)
        guard SHA256.hash(sealedKey) == hash else { throw EnvelopeError.sealedKeyWrapInvalid }
        return sealedKey
    }

    /// Records a decryption receipt (``DecryptionReceipt``): one audit entry per opening (device and
    /// time; a receipt sent again is recorded once), naming the device, which must be one of the
    /// assignment's recipients; the first also moves the assignment to read and tells the coordinator.
    public func recordOpening(
        _ id: AssignmentID, device fingerprint: KeyFingerprint, openedAt: Date, by user: UserContext, at time: Date
    ) async throws -> Assignment {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let assignment = try Self.loadVisible(id, to: user, on: db, forUpdate: true)
            let outcome = try DecryptionReceipt.record(assignment, by: .user(user), openedAt: openedAt, at: time)
            guard
                let key = try db.query(
                    """
                    SELECT k.id FROM assignment_recipients r JOIN device_keys k ON k.id = r.device_key_id
                    WHERE r.assignment_id = $3 AND k.fingerprint = $1 AND k.user_id = $2 AND r.party = 'recipient'
                    """, [fingerprint.bytes, user.userID, id]
                ).first
            else { throw EnvelopeError.notARecipient }
            if let read = outcome.readTransition {
                try Self.write(read.assignment, on: db)
                try NotificationStore.enqueue(NotificationPlan.statusChanged(read.assignment, from: assignment.status, by: .user(user)), about: read.assignment, at: time, on: db)
            }
            let keyID: UUID = try key.decode("id")
            let openedAtText = PostgresTimestamp.format(openedAt)
            // One opening is one entry: a receipt sent again (its answer was lost on the way) names
            // the same device and time, and is not recorded twice.
            let alreadyRecorded = try db.query(
                """
                SELECT 1 FROM audit_entries
                 WHERE subject_id = $1 AND action = $2 AND details->>'device_key_id' = $3 AND details->>'opened_at' = $4
                """, [id, AuditAction.assignmentPayloadOpened.rawValue, keyID.uuidString.lowercased(), openedAtText]
            ).first != nil
            if !alreadyRecorded {
                try AuditLog.append(
                    AuditEntry(
                        .assignmentPayloadOpened, .assignment(id), details: AuditDetails.PayloadOpened(deviceKeyID: AuditID(keyID), openedAt: openedAtText)),
                    organization: user.organizationID, at: time, on: db)
            }
            return try Self.load(id, on: db)
        }
    }

    /// Moves the assignment to `status` on behalf of `user`, by the domain's transition table; in the
    /// same transaction counts it for the honorarium where that status counts, and queues the
    /// notifications for the other side.
    public func transition(_ id: AssignmentID, to status: AssignmentStatus, by user: UserContext, at time: Date, reason: String? = nil) async throws -> Assignment {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let assignment = try Self.loadVisible(id, to: user, on: db, forUpdate: true)
            try Self.write(try AssignmentLifecycle.transition(assignment, to: status, by: .user(user), at: time, reason: reason).assignment, on: db)
            try HonorariumStore.countIfDue(assignment, reaching: status, at: time, on: db)
            let changed = try Self.load(id, on: db)
            try NotificationStore.enqueue(NotificationPlan.statusChanged(changed, from: assignment.status, by: .user(user)), about: changed, at: time, on: db)
            return changed
        }
    }

    /// Records the peer mentor's consent (audited); the envelope can be downloaded from then on.
    public func giveConsent(_ id: AssignmentID, by user: UserContext, at time: Date) async throws -> Assignment {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let assignment = try Self.loadVisible(id, to: user, on: db, forUpdate: true)
            let consented = try AssignmentLifecycle.giveConsent(assignment, by: .user(user), at: time)
            if consented.consentGivenAt != assignment.consentGivenAt {
                try db.execute("UPDATE assignments SET consent_given_at = $2, updated_at = $3 WHERE id = $1", [id, consented.consentGivenAt, consented.updatedAt])
                try AuditLog.append(AuditEntry(.assignmentConsentGiven, .assignment(id)), organization: user.organizationID, at: time, on: db)
                try NotificationStore.enqueue(NotificationPlan.consentGiven(consented, by: .user(user)), about: consented, at: time, on: db)
            }
            return try Self.load(id, on: db)
        }
    }

    /// Records the peer mentor's first contact with the person helped (stops reminders).
    public func recordContact(_ id: AssignmentID, by user: UserContext, at time: Date) async throws -> Assignment {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try Self.requireModule(on: db)
            let assignment = try Self.loadVisible(id, to: user, on: db, forUpdate: true)
            let contacted = try AssignmentLifecycle.recordContact(assignment, by: .user(user), at: time).assignment
            try Self.write(contacted, on: db)
            try NotificationStore.enqueue(NotificationPlan.contactMade(contacted, by: .user(user)), about: contacted, at: time, on: db)
            return try Self.load(id, on: db)
        }
    }

    // MARK: Rows

    static let columns = """
        id, organization_id, local_association_id, coordinator_id, peer_mentor_id, contact_id, title, assignment_type, priority, is_urgent,
        geographic_region, source_ref, coordinator_notes, requires_consent, consent_given_at, status, dispatched_at, delivered_at, read_at,
        acknowledged_at, contact_made_at, completed_at, cancelled_at, cancellation_reason, declined_at, decline_reason, expires_at, contact_deadline_at,
        payload_destroyed_at, reminder_count, reminder_sent_at, next_reminder_at, honorarium_eligible, counted_for_honorarium,
        threshold_sequence_number, created_at, updated_at, last_state_change_at, reassigned_from
        """

    /// ``load(_:on:forUpdate:)``, or `not_found` when ``AssignmentVisibility`` hides it from `user`.
    /// An assignment's timeline: every audit entry about it, oldest first, with who made it (a
    /// handle, or the system) and its details (ids, statuses, counts, device fingerprints, never
    /// personal data). Only for whoever may see the assignment; the look-up is itself audited
    /// (`assignment.history_viewed`, after the entries read, so it shows in the next look-up).
    public func timeline(_ id: AssignmentID, as user: UserContext, at time: Date) async throws -> (assignment: Assignment, events: [TimelineEvent]) {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            let assignment = try Self.loadVisible(id, to: user, on: db)
            let events = try db.query(
                """
                SELECT e.occurred_at, e.action, e.actor_role, u.handle, e.details::text AS details
                  FROM audit_entries e LEFT JOIN users u ON u.id = e.actor_id
                 WHERE e.organization_id = $1 AND e.subject_type = 'assignment' AND e.subject_id = $2
                 ORDER BY e.occurred_at, e.id
                """, [user.organizationID, id]
            ).map { row in
                TimelineEvent(
                    at: try row.decode("occurred_at"), action: try row.decode("action"), actorRole: try row.decode("actor_role"),
                    actorHandle: try row.decodeIfPresent("handle"), details: try row.decode("details"))
            }
            try AuditLog.append(AuditEntry(.assignmentHistoryViewed, .assignment(id)), organization: user.organizationID, at: time, on: db)
            return (assignment, events)
        }
    }

    static func loadVisible(_ id: AssignmentID, to user: UserContext, on db: PostgresConnection, forUpdate: Bool = false) throws -> Assignment {
        let assignment = try load(id, on: db, forUpdate: forUpdate)
        guard AssignmentVisibility.isVisible(assignment, to: user) else { throw DomainError.notFound }
        return assignment
    }

    /// ``columns`` with each name prefixed (`a.id, a.organization_id, …`), for joins.
    static func columns(prefixedWith prefix: String) -> String {
        columns.split(separator: ",").map { prefix + $0.trimmingCharacters(in: .whitespacesAndNewlines) }.joined(separator: ", ")
    }

    static func load(_ id: AssignmentID, on db: PostgresConnection, forUpdate: Bool = false) throws -> Assignment {
        guard let row = try db.query("SELECT \(columns) FROM assignments WHERE id = $1\(forUpdate ? " FOR UPDATE" : "")", [id]).first else {
            throw DomainError.notFound
        }
        return try assignment(from: row)
    }

    /// An assignment from a row that holds ``columns``.
    static func assignment(from row: PostgresRow) throws -> Assignment {
        var assignment = Assignment(
            id: try row.decode("id"), organizationID: try row.decode("organization_id"), localAssociationID: try row.decodeIfPresent("local_association_id"),
            coordinatorID: try row.decode("coordinator_id"), peerMentorID: try row.decode("peer_mentor_id"), contactID: try row.decodeIfPresent("contact_id"),
            title: try row.decode("title"), assignmentType: try row.decode("assignment_type"),
            priority: try row.decode("priority", as: Priority.self), isUrgent: try row.decode("is_urgent"),
            geographicRegion: try row.decodeIfPresent("geographic_region"), sourceRef: try row.decodeIfPresent("source_ref"),
            coordinatorNotes: try row.decodeIfPresent("coordinator_notes"), requiresConsent: try row.decode("requires_consent"),
            status: try row.decode("status", as: AssignmentStatus.self), expiresAt: try row.decodeIfPresent("expires_at"),
            contactDeadlineAt: try row.decodeIfPresent("contact_deadline_at"), honorariumEligible: try row.decode("honorarium_eligible"),
            createdAt: try row.decode("created_at"))
        assignment.consentGivenAt = try row.decodeIfPresent("consent_given_at")
        assignment.dispatchedAt = try row.decodeIfPresent("dispatched_at")
        assignment.deliveredAt = try row.decodeIfPresent("delivered_at")
        assignment.readAt = try row.decodeIfPresent("read_at")
        assignment.acknowledgedAt = try row.decodeIfPresent("acknowledged_at")
        assignment.contactMadeAt = try row.decodeIfPresent("contact_made_at")
        assignment.completedAt = try row.decodeIfPresent("completed_at")
        assignment.cancelledAt = try row.decodeIfPresent("cancelled_at")
        assignment.cancellationReason = try row.decodeIfPresent("cancellation_reason")
        assignment.declinedAt = try row.decodeIfPresent("declined_at")
        assignment.declineReason = try row.decodeIfPresent("decline_reason", as: String.self).flatMap(DeclineReason.init(rawValue:))
        assignment.payloadDestroyedAt = try row.decodeIfPresent("payload_destroyed_at")
        assignment.reassignedFrom = try row.decodeIfPresent("reassigned_from")
        assignment.reminderCount = try row.decode("reminder_count")
        assignment.reminderSentAt = try row.decodeIfPresent("reminder_sent_at")
        assignment.nextReminderAt = try row.decodeIfPresent("next_reminder_at")
        assignment.countedForHonorarium = try row.decode("counted_for_honorarium")
        assignment.thresholdSequenceNumber = try row.decodeIfPresent("threshold_sequence_number")
        assignment.updatedAt = try row.decode("updated_at")
        assignment.lastStateChangeAt = try row.decode("last_state_change_at")
        return assignment
    }

    /// Writes what the lifecycle may change; the database's trigger checks the rest.
    /// Writes the lifecycle's changes (status, its timestamps, the next reminder) to many
    /// assignments in one statement, their changes as a JSON array read with `json_to_recordset`:
    /// one statement for a sweep's whole batch, and the one place these columns are written back.
    static func write(_ assignments: [Assignment], on db: PostgresConnection) throws {
        guard !assignments.isEmpty else { return }
        let rows = assignments.map { assignment -> [String: String?] in
            [
                "id": assignment.id.description, "status": assignment.status.rawValue,
                "delivered_at": assignment.deliveredAt.map(PostgresTimestamp.format), "read_at": assignment.readAt.map(PostgresTimestamp.format),
                "acknowledged_at": assignment.acknowledgedAt.map(PostgresTimestamp.format),
                "contact_made_at": assignment.contactMadeAt.map(PostgresTimestamp.format), "completed_at": assignment.completedAt.map(PostgresTimestamp.format),
                "cancelled_at": assignment.cancelledAt.map(PostgresTimestamp.format), "cancellation_reason": assignment.cancellationReason,
                "declined_at": assignment.declinedAt.map(PostgresTimestamp.format), "decline_reason": assignment.declineReason?.rawValue,
                "next_reminder_at": assignment.nextReminderAt.map(PostgresTimestamp.format), "updated_at": PostgresTimestamp.format(assignment.updatedAt),
                "last_state_change_at": PostgresTimestamp.format(assignment.lastStateChangeAt),
            ]
        }
        let json = String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)
        try db.execute(
            """
            UPDATE assignments a SET status = x.status, delivered_at = x.delivered_at, read_at = x.read_at, acknowledged_at = x.acknowledged_at,
                   contact_made_at = x.contact_made_at, completed_at = x.completed_at, cancelled_at = x.cancelled_at,
                   cancellation_reason = x.cancellation_reason, declined_at = x.declined_at, decline_reason = x.decline_reason,
                   next_reminder_at = x.next_reminder_at, updated_at = x.updated_at, last_state_change_at = x.last_state_change_at
              FROM json_to_recordset($1::json) AS x (id uuid, status text, delivered_at timestamptz, read_at timestamptz, acknowledged_at timestamptz,
                   contact_made_at timestamptz, completed_at timestamptz, cancelled_at timestamptz, cancellation_reason text,
                   declined_at timestamptz, decline_reason text,
                   next_reminder_at timestamptz, updated_at timestamptz, last_state_change_at timestamptz)
             WHERE a.id = x.id
            """, [json])
    }

    /// Writes the lifecycle's changes to one assignment (``write(_:on:)`` with one element).
    static func write(_ assignment: Assignment, on db: PostgresConnection) throws {
        try write([assignment], on: db)
    }

    static func profile(_ id: UserID, on db: PostgresConnection) throws -> UserProfile {
        guard let row = try db.query("SELECT id, organization_id, local_association_id, role, status, certification_expires_at FROM users WHERE id = $1", [id]).first
        else { throw DomainError.notFound }
        return UserProfile(
            id: try row.decode("id"), organizationID: try row.decode("organization_id"), localAssociationID: try row.decodeIfPresent("local_association_id"),
            role: try row.decode("role", as: Role.self), status: try row.decode("status", as: UserStatus.self),
            certificationExpiresAt: try row.decodeIfPresent("certification_expires_at"))
    }
}

/// One entry of an assignment's timeline (``AssignmentStore/timeline(_:as:at:)``).
public struct TimelineEvent: Sendable, Hashable {
    public var at: Date
    /// The audit action (`assignment.status_changed`, `assignment.payload_downloaded`, …).
    public var action: String
    public var actorRole: String
    /// The actor's handle; `nil` for the system.
    public var actorHandle: String?
    /// The entry's details as JSON.
    public var details: String
}
