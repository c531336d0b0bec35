import Postgres

/// Migration 0022: envelope format 2, the post-quantum key wrap (`docs/envelope.md`, "Format 2").
///
/// - `device_keys.kem_public_key`: a device's X-Wing public key (1216 bytes), on devices that have
///   one. The fingerprint covers it: SHA-256 of the encryption, signing and X-Wing keys (the first
///   two alone where there is none, so every existing fingerprint stays right).
/// - `assignment_recipients.sealed_key`: a format 2 sealed key is 1168 bytes, 1216 once wrapped
///   under the day's erasure key.
/// - `assignments.algorithm`: one of the two formats' names.
/// - `organizations.require_post_quantum` (default off): when on, every dispatch must be format 2.
///
/// Never edit this text once it has landed.
enum PostQuantumEnvelopes {
    static let migration = Migration(version: 22, name: "post-quantum envelopes", sql: sql)

    static let sql = #"""
ALTER TABLE device_keys ADD COLUMN kem_public_key bytea CHECK (kem_public_key IS NULL OR octet_length(kem_public_key) = 1216);
DO $$
DECLARE
    old_check record;
BEGIN
    FOR old_check IN SELECT conname FROM pg_constraint
                      WHERE conrelid = 'device_keys'::regclass AND contype = 'c'
                        AND pg_get_constraintdef(oid) LIKE '%fingerprint = sha256(%encryption_public_key%signing_public_key%'
    LOOP
        EXECUTE format('ALTER TABLE device_keys DROP CONSTRAINT %I', old_check.conname);
    END LOOP;
END
$$;
ALTER TABLE device_keys ADD CONSTRAINT device_keys_fingerprint_check
    CHECK (fingerprint = sha256(encryption_public_key || signing_public_key || coalesce(kem_public_key, ''::bytea)));

ALTER TABLE assignment_recipients DROP CONSTRAINT assignment_recipients_sealed_key_form;
ALTER TABLE assignment_recipients ADD CONSTRAINT assignment_recipients_sealed_key_form CHECK (
    sealed_key IS NULL
    OR (erasure_epoch IS NOT NULL AND octet_length(sealed_key) IN (128, 1216))
    OR (erasure_epoch IS NULL AND octet_length(sealed_key) = 80 AND sha256(sealed_key) = sealed_key_hash));

ALTER TABLE assignments ADD CONSTRAINT assignments_algorithm_known CHECK (algorithm IS NULL OR algorithm IN (
    'ade1:xchacha20poly1305-ietf+x25519-sealedbox+ed25519',
    'ade2:xchacha20poly1305-ietf+xwing-hpke-sha256-aes256gcm+ed25519'));

ALTER TABLE organizations ADD COLUMN require_post_quantum boolean NOT NULL DEFAULT false;
"""#
}
