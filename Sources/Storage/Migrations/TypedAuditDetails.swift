import Postgres

/// Migration 0006: audit details become typed `jsonb` (written by ``AuditLog`` only).
///
/// The hash chain keeps verifying across the change, old entries included. An entry's hash covers
/// its details as *canonical JSON* (`audit_canonical_json`, specified in `docs/audit.md`: no white
/// space, object keys in UTF-8 byte order, strings escaped as PostgreSQL's JSON output escapes them).
/// Entries written before this migration hashed the text they were written with; where that text
/// is not already canonical (the lifecycle trigger wrote `{"from" : …}` with spaces), it is kept,
/// byte for byte, in `legacy_details`, and the hash goes on covering it. New entries never have
/// one: the link trigger clears it.
///
/// Never edit this text once it has landed.
enum TypedAuditDetails {
    static let migration = Migration(version: 6, name: "typed audit details", sql: sql)

    static let sql = #"""
-- Canonical JSON: the bytes an entry's hash covers for its details.
CREATE FUNCTION audit_canonical_json(value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    result text;
BEGIN
    CASE jsonb_typeof(value)
    WHEN 'object' THEN
        SELECT '{' || coalesce(string_agg(to_jsonb(e.key)::text || ':' || audit_canonical_json(e.value), ',' ORDER BY e.key COLLATE "C"), '') || '}'
          INTO result
          FROM jsonb_each(value) AS e;
    WHEN 'array' THEN
        SELECT '[' || coalesce(string_agg(audit_canonical_json(a.value), ',' ORDER BY a.position), '') || ']'
          INTO result
          FROM jsonb_array_elements(value) WITH ORDINALITY AS a(value, position);
    ELSE
        result := value::text;
    END CASE;
    RETURN result;
END
$$;

ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_append_only;

ALTER TABLE audit_entries RENAME COLUMN details TO legacy_details;
ALTER TABLE audit_entries ALTER COLUMN legacy_details DROP NOT NULL, ALTER COLUMN legacy_details DROP DEFAULT;
ALTER TABLE audit_entries ADD COLUMN details jsonb;
UPDATE audit_entries SET details = legacy_details::jsonb;
UPDATE audit_entries SET legacy_details = NULL WHERE legacy_details = audit_canonical_json(details);
ALTER TABLE audit_entries
    ALTER COLUMN details SET NOT NULL,
    ALTER COLUMN details SET DEFAULT '{}',
    ADD CONSTRAINT audit_entries_details_object CHECK (jsonb_typeof(details) = 'object'),
    ADD CONSTRAINT audit_entries_details_size CHECK (octet_length(details::text) <= 4000);

ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_append_only;

-- The text an entry's hash covers for its details.
CREATE FUNCTION audit_hashed_details(details jsonb, legacy_details text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(legacy_details, audit_canonical_json(details))
$$;

CREATE OR REPLACE FUNCTION audit_entries_link() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    last_sequence bigint;
    last_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('dispatch.audit:' || NEW.organization_id::text, 0));
    SELECT a.sequence, a.entry_hash INTO last_sequence, last_hash
      FROM audit_entries a
     WHERE a.organization_id = NEW.organization_id
     ORDER BY a.sequence DESC
     LIMIT 1;
    NEW.legacy_details := NULL;
    NEW.sequence := coalesce(last_sequence, 0) + 1;
    NEW.previous_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
    NEW.entry_hash := audit_entry_hash(NEW.previous_hash, NEW.organization_id, NEW.sequence, NEW.occurred_at,
        NEW.actor_id, NEW.actor_role, NEW.action, NEW.subject_type, NEW.subject_id, audit_canonical_json(NEW.details));
    RETURN NEW;
END
$$;

-- The lifecycle trigger's own entries, now with jsonb details.
CREATE OR REPLACE FUNCTION assignments_record() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    actor uuid := nullif(current_setting('dispatch.actor_id', true), '')::uuid;
    role text := current_setting('dispatch.actor_role', true);
    previous text := CASE WHEN TG_OP = 'UPDATE' THEN OLD.status END;
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO assignment_events (organization_id, assignment_id, kind, from_status, to_status, actor_id, actor_role, occurred_at, reason)
        VALUES (NEW.organization_id, NEW.id, 'status_changed', previous, NEW.status, actor, role, NEW.last_state_change_at,
                CASE WHEN NEW.status = 'cancelled' THEN NEW.cancellation_reason END);
        INSERT INTO audit_entries (organization_id, occurred_at, actor_id, actor_role, action, subject_type, subject_id, details)
        VALUES (NEW.organization_id, NEW.last_state_change_at, actor, role,
                CASE WHEN TG_OP = 'INSERT' THEN 'assignment.created' ELSE 'assignment.status_changed' END,
                'assignment', NEW.id, jsonb_build_object('from', previous, 'to', NEW.status));
        IF NEW.status IN ('cancelled', 'expired') THEN
            UPDATE assignment_recipients
               SET sealed_key = NULL, destroyed_at = NEW.last_state_change_at
             WHERE assignment_id = NEW.id AND sealed_key IS NOT NULL;
        END IF;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.contact_made_at IS NULL AND NEW.contact_made_at IS NOT NULL THEN
        INSERT INTO assignment_events (organization_id, assignment_id, kind, from_status, to_status, actor_id, actor_role, occurred_at)
        VALUES (NEW.organization_id, NEW.id, 'contact_made', NEW.status, NEW.status, actor, role, NEW.contact_made_at);
        INSERT INTO audit_entries (organization_id, occurred_at, actor_id, actor_role, action, subject_type, subject_id, details)
        VALUES (NEW.organization_id, NEW.contact_made_at, actor, role, 'assignment.contact_made', 'assignment', NEW.id, '{}');
    END IF;
    RETURN NULL;
END
$$;
"""#
}
