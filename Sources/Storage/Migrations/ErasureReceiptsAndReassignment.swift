import Postgres

/// Migration 0021: signed erasure receipts from devices, and reassignment (`docs/domain.md`,
/// "Erasure receipts" and "Reassignment").
///
/// - `erasure_receipts`: one row per recipient device and assignment, the device's Ed25519
///   signature over the exact bytes of `docs/envelope.md` ("Erasure receipts"), verified before the
///   row is written. Tenant-scoped like every tenant table; deleted with the assignment when the
///   retention sweep archives it (the audit entry `assignment.erasure_confirmed` stays).
/// - `organizations.erasure_confirmation_days` (default 14): after how many days a device that has
///   not confirmed counts as overdue.
/// - `assignments.reassigned_from`: the assignment this one was sent again from. At most one
///   reassignment per assignment (a unique index), never changed once written, and kept in the
///   archive. No foreign key: the old assignment is archived on its own schedule.
///
/// Never edit this text once it has landed.
enum ErasureReceiptsAndReassignment {
    static let migration = Migration(version: 21, name: "erasure receipts and reassignment", sql: sql)

    static let sql = #"""
ALTER TABLE organizations ADD COLUMN erasure_confirmation_days integer NOT NULL DEFAULT 14
    CHECK (erasure_confirmation_days BETWEEN 1 AND 365);

CREATE TABLE erasure_receipts (
    organization_id uuid NOT NULL,
    assignment_id uuid NOT NULL,
    device_key_id uuid NOT NULL,
    erased_at timestamptz NOT NULL,
    reason text NOT NULL CHECK (reason IN ('completed', 'cancelled', 'expired', 'declined')),
    signature bytea NOT NULL CHECK (octet_length(signature) = 64),
    received_at timestamptz NOT NULL,
    PRIMARY KEY (assignment_id, device_key_id),
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id),
    FOREIGN KEY (organization_id, device_key_id) REFERENCES device_keys (organization_id, id)
);
CREATE INDEX idx_erasure_receipts_device ON erasure_receipts (device_key_id);
ALTER TABLE erasure_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasure_receipts
    USING (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()))
    WITH CHECK (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()));
GRANT SELECT, INSERT, DELETE ON erasure_receipts TO dispatch_tenant;

ALTER TABLE assignments ADD COLUMN reassigned_from uuid;
CREATE UNIQUE INDEX idx_assignments_reassigned_from ON assignments (reassigned_from) WHERE reassigned_from IS NOT NULL;
ALTER TABLE archived_assignments ADD COLUMN reassigned_from uuid;

CREATE FUNCTION assignments_reassigned_from_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reassigned_from IS DISTINCT FROM OLD.reassigned_from THEN
        RAISE EXCEPTION 'assignment %: an immutable field was changed', OLD.id USING ERRCODE = 'AD004';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER assignments_reassigned_from_fixed BEFORE UPDATE OF reassigned_from ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_reassigned_from_fixed();
"""#
}
