import Postgres

/// Migration 0001: every entity of DESIGN.md §4, with
///
/// - the indexes the seeds ask for;
/// - composite foreign keys `(organization_id, …_id)`, so no row can point at another
///   organisation's user, key, contact or assignment;
/// - the lifecycle enforced by triggers: a status change must be in `assignment_transitions`, must
///   name an actor, and writes its assignment event and audit entry in the same transaction; moving
///   to cancelled or expired destroys the ciphertext and the sealed keys;
/// - row-level security by organisation on every tenant table, for the `dispatch_tenant` role;
/// - an append-only, per-organisation hash-chained audit table.
///
/// Never edit this text once it has landed: the migrator refuses a changed checksum.
enum InitialSchema {
    static let migration = Migration(version: 1, name: "initial schema", sql: sql)

    static let sql = #"""
-- The role tenant-scoped transactions switch to (SET LOCAL ROLE). Roles are shared by all
-- databases of a cluster, so another database may have created it already.
DO $$
BEGIN
    CREATE ROLE dispatch_tenant NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    IF NOT pg_has_role(current_user, 'dispatch_tenant', 'MEMBER') THEN
        EXECUTE format('GRANT dispatch_tenant TO %I', current_user);
    END IF;
END
$$;

-- The organisation a tenant transaction works for; NULL outside one, which matches no row.
CREATE FUNCTION dispatch_current_organization() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(current_setting('dispatch.organization_id', true), '')::uuid
$$;

-- ---------------------------------------------------------------------------------------------
-- Organisations, local associations, users, device keys, contacts
-- ---------------------------------------------------------------------------------------------

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    time_zone text NOT NULL DEFAULT 'Europe/Oslo' CHECK (length(time_zone) BETWEEN 1 AND 64),
    encrypted_assignments_enabled boolean NOT NULL DEFAULT true,
    reminder_after_days integer NOT NULL DEFAULT 10 CHECK (reminder_after_days BETWEEN 1 AND 365),
    reminder_repeat_days integer NOT NULL DEFAULT 10 CHECK (reminder_repeat_days BETWEEN 1 AND 365),
    reminder_maximum_count integer NOT NULL DEFAULT 3 CHECK (reminder_maximum_count BETWEEN 1 AND 20),
    honorarium_tiers integer[] NOT NULL DEFAULT '{3,15}'
        CHECK (cardinality(honorarium_tiers) BETWEEN 1 AND 10 AND 0 < ALL (honorarium_tiers)),
    honorarium_counting_status text NOT NULL DEFAULT 'completed'
        CHECK (honorarium_counting_status IN ('completed', 'acknowledged')),
    retention_days integer NOT NULL DEFAULT 365 CHECK (retention_days BETWEEN 30 AND 3650),
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL CHECK (updated_at >= created_at)
);

CREATE TABLE local_associations (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL,
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, name)
);

CREATE TABLE users (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    local_association_id uuid,
    -- A login handle chosen by the organisation admin, not a person's full name.
    handle text NOT NULL CHECK (handle ~ '^[a-z0-9][a-z0-9._-]{1,63}$'),
    role text NOT NULL CHECK (role IN ('peer_mentor', 'coordinator', 'org_admin', 'global_admin')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'deactivated')),
    certification_expires_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL CHECK (updated_at >= created_at),
    UNIQUE (organization_id, id),
    UNIQUE (organization_id, handle),
    FOREIGN KEY (organization_id, local_association_id) REFERENCES local_associations (organization_id, id)
);
CREATE INDEX idx_users_organization_role_status ON users (organization_id, role, status);

CREATE TABLE device_keys (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    label text CHECK (length(label) <= 100),
    encryption_public_key bytea NOT NULL CHECK (octet_length(encryption_public_key) = 32),
    signing_public_key bytea NOT NULL CHECK (octet_length(signing_public_key) = 32),
    -- SHA-256 of the two public keys: checked here, so a stored fingerprint is always right.
    fingerprint bytea NOT NULL UNIQUE
        CHECK (fingerprint = sha256(encryption_public_key || signing_public_key)),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired', 'revoked')),
    created_at timestamptz NOT NULL,
    retired_at timestamptz,
    revoked_at timestamptz,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CHECK (status <> 'retired' OR retired_at IS NOT NULL),
    CHECK (status <> 'revoked' OR revoked_at IS NOT NULL)
);
CREATE INDEX idx_device_keys_user_status ON device_keys (user_id, status);

-- The person helped. No name, address or other personal data: only an id and a region.
CREATE TABLE contacts (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    local_association_id uuid,
    geographic_region text CHECK (length(geographic_region) <= 100),
    created_at timestamptz NOT NULL,
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, local_association_id) REFERENCES local_associations (organization_id, id)
);

-- ---------------------------------------------------------------------------------------------
-- Assignments
-- ---------------------------------------------------------------------------------------------

CREATE TABLE assignments (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    local_association_id uuid,
    coordinator_id uuid NOT NULL,
    peer_mentor_id uuid NOT NULL,
    contact_id uuid,

    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 120),
    assignment_type text NOT NULL DEFAULT 'peer_support' CHECK (assignment_type ~ '^[a-z][a-z0-9_]{0,39}$'),
    priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high')),
    is_urgent boolean NOT NULL DEFAULT false,
    geographic_region text CHECK (length(geographic_region) <= 100),
    source_ref text CHECK (length(source_ref) <= 100),
    coordinator_notes text CHECK (length(coordinator_notes) <= 2000),

    requires_consent boolean NOT NULL DEFAULT false,
    consent_given_at timestamptz,

    status text NOT NULL CHECK (status IN
        ('draft', 'dispatched', 'delivered', 'read', 'acknowledged', 'completed', 'cancelled', 'expired')),

    -- The envelope (docs/envelope.md). The sealed content keys are in assignment_recipients.
    algorithm text,
    ciphertext bytea CHECK (octet_length(ciphertext) BETWEEN 272 AND 262160),
    nonce bytea CHECK (octet_length(nonce) = 24),
    sender_signature bytea CHECK (octet_length(sender_signature) = 64),
    sender_key_fingerprint bytea CHECK (octet_length(sender_key_fingerprint) = 32),

    dispatched_at timestamptz,
    delivered_at timestamptz,
    read_at timestamptz,
    acknowledged_at timestamptz,
    contact_made_at timestamptz,
    completed_at timestamptz,
    cancelled_at timestamptz,
    cancellation_reason text CHECK (length(cancellation_reason) BETWEEN 1 AND 500),
    expires_at timestamptz,
    contact_deadline_at timestamptz,
    payload_destroyed_at timestamptz,

    reminder_count integer NOT NULL DEFAULT 0 CHECK (reminder_count >= 0),
    reminder_sent_at timestamptz,
    next_reminder_at timestamptz,

    honorarium_eligible boolean NOT NULL DEFAULT true,
    counted_for_honorarium boolean NOT NULL DEFAULT false,
    threshold_sequence_number integer CHECK (threshold_sequence_number > 0),

    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    last_state_change_at timestamptz NOT NULL,

    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, coordinator_id) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, peer_mentor_id) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, contact_id) REFERENCES contacts (organization_id, id),
    FOREIGN KEY (organization_id, local_association_id) REFERENCES local_associations (organization_id, id),

    -- A later state implies the earlier timestamps, and timestamps only move forward.
    CONSTRAINT assignments_draft_undispatched CHECK ((status = 'draft') = (dispatched_at IS NULL) OR status = 'cancelled'),
    CONSTRAINT assignments_delivered_after_dispatch CHECK (delivered_at IS NULL OR (dispatched_at IS NOT NULL AND delivered_at >= dispatched_at)),
    CONSTRAINT assignments_read_after_delivery CHECK (read_at IS NULL OR (delivered_at IS NOT NULL AND read_at >= delivered_at)),
    CONSTRAINT assignments_acknowledged_after_read CHECK (acknowledged_at IS NULL OR (read_at IS NOT NULL AND acknowledged_at >= read_at)),
    CONSTRAINT assignments_completed_after_acknowledged CHECK (completed_at IS NULL OR (acknowledged_at IS NOT NULL AND completed_at >= acknowledged_at)),
    CONSTRAINT assignments_contact_after_read CHECK (contact_made_at IS NULL OR (read_at IS NOT NULL AND contact_made_at >= read_at)),
    CONSTRAINT assignments_dispatched_after_creation CHECK (dispatched_at IS NULL OR dispatched_at >= created_at),
    CONSTRAINT assignments_cancelled_after_creation CHECK (cancelled_at IS NULL OR cancelled_at >= created_at),
    CONSTRAINT assignments_changes_after_creation CHECK (updated_at >= created_at AND last_state_change_at >= created_at),
    CONSTRAINT assignments_status_timestamps CHECK (
        (status <> 'delivered' OR delivered_at IS NOT NULL) AND
        (status <> 'read' OR read_at IS NOT NULL) AND
        (status <> 'acknowledged' OR acknowledged_at IS NOT NULL) AND
        (status <> 'completed' OR completed_at IS NOT NULL) AND
        (status <> 'cancelled' OR (cancelled_at IS NOT NULL AND cancellation_reason IS NOT NULL))),
    CONSTRAINT assignments_expiry_after_dispatch CHECK (expires_at IS NULL OR dispatched_at IS NULL OR expires_at > dispatched_at),
    CONSTRAINT assignments_deadline_after_dispatch CHECK (contact_deadline_at IS NULL OR dispatched_at IS NULL OR contact_deadline_at > dispatched_at),
    -- A dispatched assignment carries a whole envelope until its payload is destroyed.
    CONSTRAINT assignments_envelope_present CHECK (
        status IN ('draft', 'cancelled', 'expired') OR payload_destroyed_at IS NOT NULL OR
        (ciphertext IS NOT NULL AND nonce IS NOT NULL AND sender_signature IS NOT NULL
         AND sender_key_fingerprint IS NOT NULL AND algorithm IS NOT NULL)),
    -- Cancelled and expired assignments have no ciphertext left, and destroyed means destroyed.
    CONSTRAINT assignments_closed_payload_destroyed CHECK (
        status NOT IN ('cancelled', 'expired') OR (ciphertext IS NULL AND payload_destroyed_at IS NOT NULL)),
    CONSTRAINT assignments_destroyed_payload_absent CHECK (payload_destroyed_at IS NULL OR ciphertext IS NULL),
    CONSTRAINT assignments_consent_requested CHECK (consent_given_at IS NULL OR requires_consent),
    CONSTRAINT assignments_counted_if_eligible CHECK (NOT counted_for_honorarium OR honorarium_eligible)
);

-- Nonces are unique for ever (kept after the payload is destroyed), so a replayed envelope is refused.
CREATE UNIQUE INDEX idx_assignments_nonce ON assignments (nonce);
CREATE INDEX idx_assignments_organization_status ON assignments (organization_id, status);
CREATE INDEX idx_assignments_org_peer_mentor_status ON assignments (organization_id, peer_mentor_id, status);
CREATE INDEX idx_assignments_peer_mentor_status ON assignments (peer_mentor_id, status);
CREATE INDEX idx_assignments_coordinator_status ON assignments (coordinator_id, status);
CREATE INDEX idx_assignments_coordinator_dispatched ON assignments (coordinator_id, dispatched_at);
CREATE INDEX idx_assignments_contact ON assignments (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX idx_assignments_local_association ON assignments (local_association_id);
CREATE INDEX idx_assignments_status ON assignments (status);
CREATE INDEX idx_assignments_dispatched_at ON assignments (dispatched_at);
CREATE INDEX idx_assignments_contact_deadline ON assignments (contact_deadline_at, status);
CREATE INDEX idx_assignments_geographic_region ON assignments (geographic_region);
CREATE INDEX idx_assignments_last_state_change ON assignments (last_state_change_at);
CREATE INDEX idx_assignments_next_reminder ON assignments (next_reminder_at) WHERE next_reminder_at IS NOT NULL;
CREATE INDEX idx_assignments_expires_at ON assignments (expires_at)
    WHERE expires_at IS NOT NULL AND payload_destroyed_at IS NULL;
CREATE INDEX idx_assignments_honorarium_counted ON assignments (peer_mentor_id, honorarium_eligible, counted_for_honorarium);
CREATE INDEX idx_assignments_honorarium_status ON assignments (peer_mentor_id, honorarium_eligible, status);

-- The content key sealed to each recipient device, in envelope order.
CREATE TABLE assignment_recipients (
    assignment_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    position smallint NOT NULL CHECK (position BETWEEN 0 AND 15),
    device_key_id uuid NOT NULL,
    recipient_fingerprint bytea NOT NULL CHECK (octet_length(recipient_fingerprint) = 32),
    sealed_key_hash bytea NOT NULL CHECK (octet_length(sealed_key_hash) = 32),
    sealed_key bytea CHECK (octet_length(sealed_key) = 80),
    destroyed_at timestamptz,
    PRIMARY KEY (assignment_id, position),
    UNIQUE (assignment_id, recipient_fingerprint),
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id),
    FOREIGN KEY (organization_id, device_key_id) REFERENCES device_keys (organization_id, id),
    CHECK ((sealed_key IS NULL) = (destroyed_at IS NOT NULL)),
    CHECK (sealed_key IS NULL OR sha256(sealed_key) = sealed_key_hash)
);
CREATE INDEX idx_assignment_recipients_device_key ON assignment_recipients (device_key_id) WHERE sealed_key IS NOT NULL;

-- The transition table of DESIGN.md §4 (AssignmentLifecycle.rules in Swift; a test keeps them equal).
CREATE TABLE assignment_transitions (
    from_status text NOT NULL,
    to_status text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO assignment_transitions (from_status, to_status) VALUES
    ('draft', 'dispatched'),
    ('dispatched', 'delivered'),
    ('dispatched', 'read'),
    ('delivered', 'read'),
    ('read', 'acknowledged'),
    ('acknowledged', 'completed'),
    ('draft', 'cancelled'),
    ('dispatched', 'cancelled'),
    ('delivered', 'cancelled'),
    ('read', 'cancelled'),
    ('acknowledged', 'cancelled'),
    ('dispatched', 'expired'),
    ('delivered', 'expired'),
    ('read', 'expired'),
    ('acknowledged', 'expired');

-- The immutable history of each assignment, written only by the trigger below.
CREATE TABLE assignment_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL,
    assignment_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('status_changed', 'contact_made')),
    from_status text,
    to_status text NOT NULL,
    actor_id uuid,
    actor_role text NOT NULL,
    occurred_at timestamptz NOT NULL,
    reason text,
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id)
);
CREATE INDEX idx_assignment_events_assignment ON assignment_events (assignment_id, id);

-- ---------------------------------------------------------------------------------------------
-- Audit: append-only, hash-chained per organisation
-- ---------------------------------------------------------------------------------------------

CREATE TABLE audit_entries (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    sequence bigint NOT NULL CHECK (sequence > 0),
    occurred_at timestamptz NOT NULL,
    actor_id uuid,
    actor_role text NOT NULL CHECK (length(actor_role) BETWEEN 1 AND 32),
    action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{1,63}$'),
    subject_type text NOT NULL CHECK (subject_type ~ '^[a-z][a-z_]{1,31}$'),
    subject_id uuid,
    -- JSON written by this program: ids, statuses and counts only, never personal data.
    details text NOT NULL DEFAULT '{}' CHECK (length(details) <= 4000),
    previous_hash bytea NOT NULL CHECK (octet_length(previous_hash) = 32),
    entry_hash bytea NOT NULL CHECK (octet_length(entry_hash) = 32),
    UNIQUE (organization_id, sequence)
);
CREATE INDEX idx_audit_entries_organization_time ON audit_entries (organization_id, occurred_at);
CREATE INDEX idx_audit_entries_subject ON audit_entries (subject_id) WHERE subject_id IS NOT NULL;

-- A field of the hashed content: its UTF-8 length as a 4-byte big-endian integer (-1 for NULL),
-- then its bytes. Length prefixes keep "ab"+"c" and "a"+"bc" apart. docs/audit.md has the format.
CREATE FUNCTION audit_field(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN value IS NULL THEN int4send(-1)
                ELSE int4send(octet_length(convert_to(value, 'UTF8'))) || convert_to(value, 'UTF8') END
$$;

CREATE FUNCTION audit_timestamp(value timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

CREATE FUNCTION audit_entry_hash(
    previous_hash bytea, organization_id uuid, sequence bigint, occurred_at timestamptz, actor_id uuid,
    actor_role text, action text, subject_type text, subject_id uuid, details text
) RETURNS bytea
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(
        previous_hash
        || audit_field('ADA1')
        || audit_field(organization_id::text)
        || audit_field(sequence::text)
        || audit_field(audit_timestamp(occurred_at))
        || audit_field(actor_id::text)
        || audit_field(actor_role)
        || audit_field(action)
        || audit_field(subject_type)
        || audit_field(subject_id::text)
        || audit_field(details))
$$;

-- Links each new entry to the organisation's previous one. The advisory lock orders concurrent
-- inserts of one organisation, so the chain never forks.
CREATE FUNCTION audit_entries_link() RETURNS trigger
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
    NEW.sequence := coalesce(last_sequence, 0) + 1;
    NEW.previous_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
    NEW.entry_hash := audit_entry_hash(NEW.previous_hash, NEW.organization_id, NEW.sequence, NEW.occurred_at,
        NEW.actor_id, NEW.actor_role, NEW.action, NEW.subject_type, NEW.subject_id, NEW.details);
    RETURN NEW;
END
$$;

CREATE TRIGGER audit_entries_link BEFORE INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_link();

CREATE FUNCTION refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP USING ERRCODE = 'AD003';
END
$$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assignment_events_append_only BEFORE UPDATE OR DELETE ON assignment_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER assignment_events_no_truncate BEFORE TRUNCATE ON assignment_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- ---------------------------------------------------------------------------------------------
-- The lifecycle, enforced whatever code path writes
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION assignments_guard() RETURNS trigger
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
        -- Cancelled and expired: the ciphertext goes now, not later.
        IF NEW.status IN ('cancelled', 'expired') THEN
            NEW.ciphertext := NULL;
            NEW.payload_destroyed_at := coalesce(NEW.payload_destroyed_at, NEW.last_state_change_at);
            NEW.next_reminder_at := NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER assignments_guard BEFORE INSERT OR UPDATE ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_guard();

-- Writes the event and the audit entry of every status change and of contact made, and destroys
-- the sealed keys of cancelled and expired assignments: in the same transaction as the change.
CREATE FUNCTION assignments_record() RETURNS trigger
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
                'assignment', NEW.id, json_build_object('from', previous, 'to', NEW.status)::text);
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

CREATE TRIGGER assignments_record AFTER INSERT OR UPDATE ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_record();

-- ---------------------------------------------------------------------------------------------
-- Notifications, feeds, honorarium
-- ---------------------------------------------------------------------------------------------

-- The outbox. There is no free-text column: a notification is a template key and a reference,
-- so it cannot carry personal data.
CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    recipient_user_id uuid NOT NULL,
    assignment_id uuid,
    kind text NOT NULL CHECK (kind ~ '^[a-z][a-z_]{1,63}$'),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'dead')),
    attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz,
    FOREIGN KEY (organization_id, recipient_user_id) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id)
);
CREATE INDEX idx_notifications_due ON notifications (next_attempt_at) WHERE status IN ('pending', 'failed');
CREATE INDEX idx_notifications_assignment ON notifications (assignment_id) WHERE assignment_id IS NOT NULL;

-- Secret calendar feed URLs; only a hash of the token is kept.
CREATE TABLE feed_tokens (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    language text NOT NULL DEFAULT 'nb' CHECK (language IN ('nb', 'en')),
    created_at timestamptz NOT NULL,
    revoked_at timestamptz,
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE UNIQUE INDEX idx_feed_tokens_one_live_per_user ON feed_tokens (user_id) WHERE revoked_at IS NULL;

CREATE TABLE honorarium_counters (
    organization_id uuid NOT NULL,
    peer_mentor_id uuid NOT NULL,
    period text NOT NULL CHECK (period ~ '^[0-9]{4}$'),
    counted integer NOT NULL DEFAULT 0 CHECK (counted >= 0),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, peer_mentor_id, period),
    FOREIGN KEY (organization_id, peer_mentor_id) REFERENCES users (organization_id, id)
);

CREATE TABLE honorarium_threshold_events (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    peer_mentor_id uuid NOT NULL,
    period text NOT NULL CHECK (period ~ '^[0-9]{4}$'),
    tier integer NOT NULL CHECK (tier > 0),
    assignment_id uuid,
    crossed_at timestamptz NOT NULL,
    reversed_at timestamptz,
    reversal_reason text CHECK (length(reversal_reason) <= 500),
    FOREIGN KEY (organization_id, peer_mentor_id) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id),
    CHECK (reversed_at IS NULL OR reversed_at >= crossed_at)
);
-- A tier is crossed once per mentor and period (until an administrative correction reverses it).
CREATE UNIQUE INDEX idx_honorarium_threshold_once ON honorarium_threshold_events (organization_id, peer_mentor_id, period, tier)
    WHERE reversed_at IS NULL;

-- ---------------------------------------------------------------------------------------------
-- Row-level security and privileges
-- ---------------------------------------------------------------------------------------------

ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
    USING (id = dispatch_current_organization()) WITH CHECK (id = dispatch_current_organization());

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY[
        'local_associations', 'users', 'device_keys', 'contacts', 'assignments', 'assignment_recipients',
        'assignment_events', 'audit_entries', 'notifications', 'feed_tokens', 'honorarium_counters',
        'honorarium_threshold_events']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = dispatch_current_organization()) '
                       'WITH CHECK (organization_id = dispatch_current_organization())', tenant_table);
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO dispatch_tenant;
GRANT SELECT, UPDATE ON organizations TO dispatch_tenant;
GRANT SELECT, INSERT, UPDATE ON local_associations, users, device_keys, contacts, assignments,
    assignment_recipients, notifications, feed_tokens, honorarium_counters, honorarium_threshold_events TO dispatch_tenant;
GRANT SELECT ON assignment_events, assignment_transitions TO dispatch_tenant;
GRANT SELECT, INSERT ON audit_entries TO dispatch_tenant;
"""#
}
