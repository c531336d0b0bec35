import AssignmentCore
import Envelope
import Foundation

/// What a dispatch asks of PostgreSQL, as a `pgbench` script: the baseline the dispatch benchmark
/// measures the HTTP service against (`dispatch bench all`, docs/performance.md).
///
/// One run of the script is one dispatch with an `Idempotency-Key`, statement for statement as
/// ``AccountStore/authenticate(token:at:)``, ``IdempotencyStore/claim(_:by:at:)`` and
/// ``AssignmentStore/dispatch(_:by:at:idempotency:)`` send them: the token look-up, the key's
/// claim, then one transaction that reads the organisation, both users and the keys, inserts the
/// assignment (random, incompressible ciphertext of a 2 KiB case) and its sealed key (format 2,
/// wrapped under the day's erasure key, as the benchmark's devices seal), reads it
/// back, queues the notification and stores the answer. The same triggers fire (lifecycle guard,
/// event, audit chain). What the baseline leaves out is the service's own work: HTTP, JSON, the
/// envelope's signature check, key wrapping, and the scope proof (it runs as the schema owner,
/// which row-level security does not apply to, so it also skips the policies' checks).
public enum DispatchBaseline {
    public struct Subject: Sendable {
        public var organization: OrganizationID
        public var coordinator: UserID
        public var mentor: UserID
        public var mentorKey: DeviceKeyID
        public var mentorFingerprint: KeyFingerprint
        public var senderFingerprint: KeyFingerprint
        public var tokenHash: [UInt8]

        public init(
            organization: OrganizationID, coordinator: UserID, mentor: UserID, mentorKey: DeviceKeyID, mentorFingerprint: KeyFingerprint,
            senderFingerprint: KeyFingerprint, token: String
        ) {
            self.organization = organization
            self.coordinator = coordinator
            self.mentor = mentor
            self.mentorKey = mentorKey
            self.mentorFingerprint = mentorFingerprint
            self.senderFingerprint = senderFingerprint
            self.tokenHash = SHA256.hash(Array(token.utf8))
        }
    }

    /// Random bytes made by the database, so that the stored values are as incompressible as
    /// ciphertext is.
    private static func randomBytes(_ count: Int) -> String {
        "(SELECT substring(decode(string_agg(md5(random()::text), ''), 'hex') FROM 1 FOR \(count)) FROM generate_series(1, \((count + 15) / 16)))"
    }

    /// A text literal; a colon is spelled `chr(58)`, because pgbench reads `:name` as a variable
    /// even inside quotes.
    private static func literal(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: ":", with: "' || chr(58) || '") + "'"
    }

    private static func bytea(_ bytes: [UInt8]) -> String { "'\\x\(Hex.encode(bytes))'::bytea" }

    public static func pgbenchScript(_ subject: Subject) -> String {
        let org = "'\(subject.organization)'::uuid", coordinator = "'\(subject.coordinator)'::uuid", mentor = "'\(subject.mentor)'::uuid"
        let epoch = ErasureEpoch(containing: Date())
        return """
            SELECT * FROM dispatch_token_principal(\(bytea(subject.tokenHash)), now());
            SELECT gen_random_uuid() AS id, gen_random_uuid()::text AS request_key \\gset
            INSERT INTO idempotency_keys (organization_id, user_id, idempotency_key, request_hash, state, created_at, claimed_until) VALUES (\(org), \(coordinator), :request_key, sha256(convert_to(:request_key, 'UTF8')), 'in_progress', now(), now() + interval '60 seconds') ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING 1 AS claimed;
            BEGIN;
            SELECT set_config('dispatch.organization_id', '\(subject.organization)', true), set_config('dispatch.actor_id', '\(subject.coordinator)', true), set_config('dispatch.actor_role', 'coordinator', true);
            SELECT \(AccountStore.organizationColumns.split(whereSeparator: \.isNewline).joined(separator: " ")) FROM organizations WHERE id = \(org);
            SELECT id, organization_id, local_association_id, role, status, certification_expires_at FROM users WHERE id = \(coordinator);
            SELECT id, organization_id, local_association_id, role, status, certification_expires_at FROM users WHERE id = \(mentor);
            SELECT id, user_id, fingerprint, status, kem_public_key IS NOT NULL AS post_quantum FROM device_keys WHERE user_id = \(mentor);
            SELECT encryption_public_key, signing_public_key, kem_public_key FROM device_keys WHERE fingerprint = \(bytea(subject.senderFingerprint.bytes)) AND user_id = \(coordinator) AND status = 'active';
            INSERT INTO assignments (id, organization_id, local_association_id, coordinator_id, peer_mentor_id, title, assignment_type, priority, is_urgent, geographic_region, coordinator_notes, requires_consent, status, algorithm, ciphertext, nonce, sender_signature, sender_key_fingerprint, dispatched_at, expires_at, contact_deadline_at, next_reminder_at, honorarium_eligible, created_at, updated_at, last_state_change_at) VALUES (:id, \(org), NULL, \(coordinator), \(mentor), 'Oppdrag', 'peer_support', 'normal', false, NULL, NULL, false, 'dispatched', \(literal(EnvelopeFormat.v2.algorithmName)), \(randomBytes(2_320)), \(randomBytes(24)), \(randomBytes(64)), \(bytea(subject.senderFingerprint.bytes)), now(), now() + interval '90 days', NULL, now() + interval '10 days', true, now(), now(), now());
            INSERT INTO assignment_recipients (assignment_id, organization_id, position, device_key_id, recipient_fingerprint, sealed_key_hash, sealed_key, erasure_epoch) VALUES (:id, \(org), 0, '\(subject.mentorKey)'::uuid, \(bytea(subject.mentorFingerprint.bytes)), \(randomBytes(32)), \(randomBytes(8 + 24 + EnvelopeFormat.v2.sealedKeyByteCount + 16)), '\(epoch)'::date);
            SELECT * FROM assignments WHERE id = :id;
            INSERT INTO notifications (id, organization_id, recipient_user_id, assignment_id, kind, next_attempt_at, created_at) VALUES (gen_random_uuid(), \(org), \(mentor), :id, 'assignment_dispatched', now(), now());
            UPDATE idempotency_keys SET state = 'completed', response_status = 201, response_body = convert_to(repeat('x', 900), 'UTF8'), completed_at = now() WHERE user_id = \(coordinator) AND idempotency_key = :request_key AND state = 'in_progress';
            COMMIT;

            """
    }
}
