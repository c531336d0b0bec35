import Postgres

/// Migration 0010: sealed keys stored only wrapped under a day's erasure key, which never enters
/// PostgreSQL (`ErasureKeyring`, `docs/security.md`, "Erasure"), and a bound on how long an
/// assignment may stay open, which bounds how long a day's key must live.
///
/// - `assignment_recipients.erasure_epoch`: the UTC day whose erasure key wraps the row's sealed
///   key (the key's 8-byte id, a 24-byte nonce, then XChaCha20-Poly1305 of the 80-byte sealed key:
///   128 bytes). A row
///   written before this migration keeps its bare sealed key and no day until the program wraps it,
///   right after migrating (`Database.prepareSchema`); the old length and hash checks move into the
///   new form check.
/// - `organizations.assignment_lifetime_days` (default 90): an expiry is at most this long after
///   dispatch. Open assignments that had no expiry, or a later one, get the default's.
///
/// Never edit this text once it has landed.
enum ErasureEpochs {
    static let migration = Migration(version: 10, name: "erasure epochs", sql: sql)

    static let sql = #"""
ALTER TABLE organizations ADD COLUMN assignment_lifetime_days integer NOT NULL DEFAULT 90
    CHECK (assignment_lifetime_days BETWEEN 7 AND 730);

DO $$
DECLARE
    old_check record;
BEGIN
    FOR old_check IN SELECT conname FROM pg_constraint
                      WHERE conrelid = 'assignment_recipients'::regclass AND contype = 'c'
                        AND (pg_get_constraintdef(oid) LIKE '%octet_length(sealed_key)%' OR pg_get_constraintdef(oid) LIKE '%sha256(sealed_key)%')
    LOOP
        EXECUTE format('ALTER TABLE assignment_recipients DROP CONSTRAINT %I', old_check.conname);
    END LOOP;
END
$$;

ALTER TABLE assignment_recipients ADD COLUMN erasure_epoch date;
ALTER TABLE assignment_recipients ADD CONSTRAINT assignment_recipients_sealed_key_form CHECK (
    sealed_key IS NULL
    OR (erasure_epoch IS NOT NULL AND octet_length(sealed_key) = 128)
    OR (erasure_epoch IS NULL AND octet_length(sealed_key) = 80 AND sha256(sealed_key) = sealed_key_hash));
CREATE INDEX idx_assignment_recipients_erasure_epoch ON assignment_recipients (erasure_epoch) WHERE sealed_key IS NOT NULL;

UPDATE assignments SET expires_at = dispatched_at + interval '90 days'
 WHERE dispatched_at IS NOT NULL AND status IN ('dispatched', 'delivered', 'read', 'acknowledged')
   AND (expires_at IS NULL OR expires_at > dispatched_at + interval '90 days');
"""#
}
