import Postgres

/// Migration 0015: audit entries are appended unlinked and linked into their organisation's chain
/// afterwards, in batches, by one chainer at a time (``AuditChainStore``).
///
/// Until now the insert trigger took the organisation's advisory lock and held it until commit, so
/// every transaction that wrote an audit entry (every dispatch, every receipt) waited for the one
/// before it in its organisation: dispatches into one organisation committed one at a time
/// (docs/performance.md). Now an entry is inserted with no sequence and no hashes, and
/// `audit_link_pending()` gives the committed unlinked entries of each organisation, in the order
/// of their ids, the next sequence numbers and hashes, under the same lock, which it only *tries*
/// (a second chainer skips an organisation being linked). This is how Certificate Transparency logs
/// work: entries are accepted at once and merged into the tree within a maximum delay.
///
/// Linking is the one change an entry may ever undergo, and the database checks it itself: the
/// update trigger refuses anything but setting the link of an unlinked entry to the end of its
/// organisation's chain, and computes the entry's hash from its content (the same
/// `audit_entry_hash()`), so no caller can link an entry with a hash of its own choosing. DELETE
/// and TRUNCATE stay refused. An unlinked entry is no less append-only; it is only not yet covered
/// by the chain's tamper evidence, and `audit verify --live` says how many there are.
///
/// Never edit this text once it has landed.
enum BatchedAuditChain {
    static let migration = Migration(version: 15, name: "batched audit chain", sql: sql)

    static let sql = #"""
ALTER TABLE audit_entries
    ALTER COLUMN sequence DROP NOT NULL,
    ALTER COLUMN previous_hash DROP NOT NULL,
    ALTER COLUMN entry_hash DROP NOT NULL,
    ADD CONSTRAINT audit_entries_link_whole
        CHECK ((sequence IS NULL) = (previous_hash IS NULL) AND (sequence IS NULL) = (entry_hash IS NULL));
CREATE INDEX idx_audit_entries_unlinked ON audit_entries (organization_id, id) WHERE sequence IS NULL;

-- An entry arrives unlinked, whatever the writer put in the link columns.
CREATE FUNCTION audit_entries_append() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.legacy_details := NULL;
    NEW.sequence := NULL;
    NEW.previous_hash := NULL;
    NEW.entry_hash := NULL;
    RETURN NEW;
END
$$;
DROP TRIGGER audit_entries_link ON audit_entries;
DROP FUNCTION audit_entries_link();
CREATE TRIGGER audit_entries_append BEFORE INSERT ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_append();

-- The only update an entry may undergo: an unlinked entry gets the next sequence number of its
-- organisation and the last linked entry's hash; its own hash is computed here from its content.
CREATE FUNCTION audit_entries_link_once() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    last_sequence bigint;
    last_hash bytea;
BEGIN
    IF OLD.sequence IS NOT NULL OR NEW.sequence IS NULL
       OR ROW(NEW.id, NEW.organization_id, NEW.occurred_at, NEW.actor_id, NEW.actor_role, NEW.action,
              NEW.subject_type, NEW.subject_id, NEW.details, NEW.legacy_details)
          IS DISTINCT FROM ROW(OLD.id, OLD.organization_id, OLD.occurred_at, OLD.actor_id, OLD.actor_role, OLD.action,
              OLD.subject_type, OLD.subject_id, OLD.details, OLD.legacy_details) THEN
        RAISE EXCEPTION 'audit_entries is append-only: an entry is never changed, only linked into its chain once'
            USING ERRCODE = 'AD003';
    END IF;
    SELECT a.sequence, a.entry_hash INTO last_sequence, last_hash
      FROM audit_entries a
     WHERE a.organization_id = NEW.organization_id AND a.sequence IS NOT NULL
     ORDER BY a.sequence DESC
     LIMIT 1;
    IF NEW.sequence IS DISTINCT FROM coalesce(last_sequence, 0) + 1
       OR NEW.previous_hash IS DISTINCT FROM coalesce(last_hash, decode(repeat('00', 32), 'hex')) THEN
        RAISE EXCEPTION 'an audit entry is linked only to the end of its organisation''s chain'
            USING ERRCODE = 'AD003';
    END IF;
    NEW.entry_hash := audit_entry_hash(NEW.previous_hash, NEW.organization_id, NEW.sequence, NEW.occurred_at,
        NEW.actor_id, NEW.actor_role, NEW.action, NEW.subject_type, NEW.subject_id,
        audit_hashed_details(NEW.details, NEW.legacy_details));
    RETURN NEW;
END
$$;
DROP TRIGGER audit_entries_append_only ON audit_entries;
CREATE TRIGGER audit_entries_append_only BEFORE DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER audit_entries_link_once BEFORE UPDATE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_entries_link_once();

-- Links up to `batch` committed unlinked entries of every organisation the transaction's scope
-- sees, oldest id first, and returns how many it linked. An organisation another chainer is
-- linking right now is skipped (its lock is only tried), so chainers never wait for each other.
CREATE FUNCTION audit_link_pending(batch integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    organization uuid;
    pending bigint;
    last_sequence bigint;
    last_hash bytea;
    linked integer := 0;
BEGIN
    FOR organization IN SELECT DISTINCT a.organization_id FROM audit_entries a WHERE a.sequence IS NULL LOOP
        CONTINUE WHEN NOT pg_try_advisory_xact_lock(hashtextextended('dispatch.audit:' || organization::text, 0));
        SELECT a.sequence, a.entry_hash INTO last_sequence, last_hash
          FROM audit_entries a
         WHERE a.organization_id = organization AND a.sequence IS NOT NULL
         ORDER BY a.sequence DESC
         LIMIT 1;
        last_sequence := coalesce(last_sequence, 0);
        last_hash := coalesce(last_hash, decode(repeat('00', 32), 'hex'));
        FOR pending IN
            SELECT a.id FROM audit_entries a
             WHERE a.organization_id = organization AND a.sequence IS NULL
             ORDER BY a.id
             LIMIT batch
        LOOP
            last_sequence := last_sequence + 1;
            UPDATE audit_entries SET sequence = last_sequence, previous_hash = last_hash
             WHERE id = pending
            RETURNING entry_hash INTO last_hash;
            linked := linked + 1;
        END LOOP;
    END LOOP;
    RETURN linked;
END
$$;
REVOKE ALL ON FUNCTION audit_link_pending(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_link_pending(integer) TO dispatch_tenant;
"""#
}
