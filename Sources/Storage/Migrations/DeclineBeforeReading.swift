import Postgres

/// Migration 0019: a peer mentor may decline an assignment on its teaser, before reading the case
/// (`docs/domain.md`, "Declining").
///
/// - `declined` is a status of its own, closed like `cancelled`: reachable from `dispatched` and
///   `delivered` only (never once read), by the recipient, with a reason from a fixed list
///   (`decline_reason`: `no_capacity`, `conflict_of_interest`, `too_far`, `other`), so that nothing
///   personal can be written into it.
/// - The lifecycle trigger destroys the ciphertext and every sealed key in the transaction of the
///   decline, as for a cancellation, and records the reason in the event and the audit entry.
/// - The archive keeps declined assignments like the other closed ones; the retention sweep's index
///   covers them.
///
/// Never edit this text once it has landed.
enum DeclineBeforeReading {
    static let migration = Migration(version: 19, name: "decline before reading", sql: sql)

    static let sql = #"""
ALTER TABLE assignments ADD COLUMN declined_at timestamptz;
ALTER TABLE assignments ADD COLUMN decline_reason text
    CHECK (decline_reason IN ('no_capacity', 'conflict_of_interest', 'too_far', 'other'));
ALTER TABLE assignments DROP CONSTRAINT assignments_status_check;
ALTER TABLE assignments ADD CONSTRAINT assignments_status_check CHECK (status IN
    ('draft', 'dispatched', 'delivered', 'read', 'acknowledged', 'completed', 'cancelled', 'expired', 'declined'));
ALTER TABLE assignments DROP CONSTRAINT assignments_status_timestamps;
ALTER TABLE assignments ADD CONSTRAINT assignments_status_timestamps CHECK (
    (status <> 'delivered' OR delivered_at IS NOT NULL) AND
    (status <> 'read' OR read_at IS NOT NULL) AND
    (status <> 'acknowledged' OR acknowledged_at IS NOT NULL) AND
    (status <> 'completed' OR completed_at IS NOT NULL) AND
    (status <> 'cancelled' OR (cancelled_at IS NOT NULL AND cancellation_reason IS NOT NULL)) AND
    (status <> 'declined' OR (declined_at IS NOT NULL AND decline_reason IS NOT NULL)));
-- Declining is on the teaser: never after the case was read.
ALTER TABLE assignments ADD CONSTRAINT assignments_declined_unread CHECK (
    declined_at IS NULL OR (read_at IS NULL AND dispatched_at IS NOT NULL AND declined_at >= dispatched_at));
ALTER TABLE assignments DROP CONSTRAINT assignments_envelope_present;
ALTER TABLE assignments ADD CONSTRAINT assignments_envelope_present CHECK (
    status IN ('draft', 'cancelled', 'expired', 'declined') OR payload_destroyed_at IS NOT NULL OR
    (ciphertext IS NOT NULL AND nonce IS NOT NULL AND sender_signature IS NOT NULL
     AND sender_key_fingerprint IS NOT NULL AND algorithm IS NOT NULL));
ALTER TABLE assignments DROP CONSTRAINT assignments_closed_payload_destroyed;
ALTER TABLE assignments ADD CONSTRAINT assignments_closed_payload_destroyed CHECK (
    status NOT IN ('cancelled', 'expired', 'declined') OR (ciphertext IS NULL AND payload_destroyed_at IS NOT NULL));

INSERT INTO assignment_transitions (from_status, to_status) VALUES ('dispatched', 'declined'), ('delivered', 'declined');

ALTER TABLE archived_assignments DROP CONSTRAINT archived_assignments_status_check;
ALTER TABLE archived_assignments ADD CONSTRAINT archived_assignments_status_check
    CHECK (status IN ('completed', 'cancelled', 'expired', 'declined'));
ALTER TABLE archived_assignments ADD COLUMN declined_at timestamptz;
ALTER TABLE archived_assignments ADD COLUMN decline_reason text
    CHECK (decline_reason IN ('no_capacity', 'conflict_of_interest', 'too_far', 'other'));

CREATE INDEX idx_assignments_closed_order ON assignments (last_state_change_at, id)
    WHERE status IN ('completed', 'cancelled', 'expired', 'declined');
DROP INDEX idx_assignments_retention_order;
-- The overview's list of recent declines, per coordinator and per local association.
CREATE INDEX idx_assignments_declined ON assignments (organization_id, declined_at) WHERE status = 'declined';

CREATE OR REPLACE FUNCTION assignments_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('draft', 'dispatched') THEN
            RAISE EXCEPTION 'a new assignment starts as draft or dispatched, not %', NEW.status USING ERRCODE = 'AD001';
        END IF;
        IF coalesce(current_setting('dispatch.actor_role', true), '') = '' THEN
            RAISE EXCEPTION 'an assignment was created without naming an actor' USING ERRCODE = 'AD002';
        END IF;
        RETURN NEW;
    END IF;

    IF NEW.id <> OLD.id OR NEW.organization_id <> OLD.organization_id
       OR NEW.coordinator_id <> OLD.coordinator_id OR NEW.peer_mentor_id <> OLD.peer_mentor_id
       OR NEW.created_at <> OLD.created_at
       OR (OLD.nonce IS NOT NULL AND NEW.nonce IS DISTINCT FROM OLD.nonce)
       OR (OLD.status <> 'draft' AND NEW.ciphertext IS NOT NULL AND NEW.ciphertext IS DISTINCT FROM OLD.ciphertext)
       OR (OLD.status <> 'draft' AND (NEW.sender_signature IS DISTINCT FROM OLD.sender_signature
                                      OR NEW.sender_key_fingerprint IS DISTINCT FROM OLD.sender_key_fingerprint
                                      OR NEW.algorithm IS DISTINCT FROM OLD.algorithm))
       OR (OLD.payload_destroyed_at IS NOT NULL AND NEW.payload_destroyed_at IS DISTINCT FROM OLD.payload_destroyed_at)
       OR (OLD.dispatched_at IS NOT NULL AND NEW.dispatched_at IS DISTINCT FROM OLD.dispatched_at)
       OR (OLD.delivered_at IS NOT NULL AND NEW.delivered_at IS DISTINCT FROM OLD.delivered_at)
       OR (OLD.read_at IS NOT NULL AND NEW.read_at IS DISTINCT FROM OLD.read_at)
       OR (OLD.acknowledged_at IS NOT NULL AND NEW.acknowledged_at IS DISTINCT FROM OLD.acknowledged_at)
       OR (OLD.contact_made_at IS NOT NULL AND NEW.contact_made_at IS DISTINCT FROM OLD.contact_made_at)
       OR (OLD.completed_at IS NOT NULL AND NEW.completed_at IS DISTINCT FROM OLD.completed_at)
       OR (OLD.cancelled_at IS NOT NULL AND NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at)
       OR (OLD.declined_at IS NOT NULL AND (NEW.declined_at IS DISTINCT FROM OLD.declined_at
                                           OR NEW.decline_reason IS DISTINCT FROM OLD.decline_reason))
       OR (OLD.consent_given_at IS NOT NULL AND NEW.consent_given_at IS DISTINCT FROM OLD.consent_given_at)
    THEN
        RAISE EXCEPTION 'assignment %: an immutable field was changed', OLD.id USING ERRCODE = 'AD004';
    END IF;

    IF NEW.updated_at < OLD.updated_at OR NEW.last_state_change_at < OLD.last_state_change_at THEN
        RAISE EXCEPTION 'assignment %: a change cannot be dated before the previous one', OLD.id USING ERRCODE = 'AD005';
    END IF;

    IF OLD.contact_made_at IS NULL AND NEW.contact_made_at IS NOT NULL
       AND coalesce(current_setting('dispatch.actor_role', true), '') = '' THEN
        RAISE EXCEPTION 'recording contact must name its actor' USING ERRCODE = 'AD002';
    END IF;

    IF NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT EXISTS (SELECT 1 FROM assignment_transitions t
                        WHERE t.from_status = OLD.status AND t.to_status = NEW.status) THEN
            RAISE EXCEPTION 'an assignment cannot go from % to %', OLD.status, NEW.status USING ERRCODE = 'AD001';
        END IF;
        IF coalesce(current_setting('dispatch.actor_role', true), '') = '' THEN
            RAISE EXCEPTION 'a status change must name its actor' USING ERRCODE = 'AD002';
        END IF;
        -- Cancelled, expired and declined: the ciphertext goes now, not later.
        IF NEW.status IN ('cancelled', 'expired', 'declined') THEN
            NEW.ciphertext := NULL;
            NEW.payload_destroyed_at := coalesce(NEW.payload_destroyed_at, NEW.last_state_change_at);
            NEW.next_reminder_at := NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;


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
                CASE WHEN NEW.status = 'cancelled' THEN NEW.cancellation_reason
                     WHEN NEW.status = 'declined' THEN NEW.decline_reason END);
        INSERT INTO audit_entries (organization_id, occurred_at, actor_id, actor_role, action, subject_type, subject_id, details)
        VALUES (NEW.organization_id, NEW.last_state_change_at, actor, role,
                CASE WHEN TG_OP = 'INSERT' THEN 'assignment.created' ELSE 'assignment.status_changed' END,
                'assignment', NEW.id, CASE WHEN NEW.status = 'declined'
                                           THEN jsonb_build_object('from', previous, 'to', NEW.status, 'reason', NEW.decline_reason)
                                           ELSE jsonb_build_object('from', previous, 'to', NEW.status) END);
        IF NEW.status IN ('cancelled', 'expired', 'declined') THEN
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
