import Postgres

/// Migration 0005: retention (docs/sweeps.md, "Retention").
///
/// `archived_assignments` keeps what outlives an assignment's retention period: who dispatched it
/// to whom, its kind, how it ended and when, and whether it counted for the honorarium. No title,
/// region, notes, cancellation reason, envelope or keys. The retention sweep moves a closed
/// assignment there and deletes it (and its sealed keys, notifications and reminders) from the hot
/// table, in one transaction.
///
/// The assignment events, honorarium entries and tier events are history that must stay: their
/// foreign keys to `assignments` become a trigger that accepts an assignment in either table, and
/// an assignment can only be deleted once it is archived. Archived rows are never changed.
///
/// Never edit this text once it has landed.
enum Retention {
    static let migration = Migration(version: 5, name: "retention archive", sql: sql)

    static let sql = #"""
CREATE TABLE archived_assignments (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL REFERENCES organizations (id),
    local_association_id uuid,
    coordinator_id uuid NOT NULL,
    peer_mentor_id uuid NOT NULL,
    assignment_type text NOT NULL,
    status text NOT NULL CHECK (status IN ('completed', 'cancelled', 'expired')),
    dispatched_at timestamptz,
    acknowledged_at timestamptz,
    contact_made_at timestamptz,
    completed_at timestamptz,
    cancelled_at timestamptz,
    expires_at timestamptz,
    closed_at timestamptz NOT NULL,
    honorarium_eligible boolean NOT NULL,
    counted_for_honorarium boolean NOT NULL,
    created_at timestamptz NOT NULL,
    archived_at timestamptz NOT NULL CHECK (archived_at >= closed_at),
    UNIQUE (organization_id, id),
    FOREIGN KEY (organization_id, coordinator_id) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, peer_mentor_id) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, local_association_id) REFERENCES local_associations (organization_id, id)
);
CREATE INDEX idx_archived_assignments_peer_mentor ON archived_assignments (organization_id, peer_mentor_id, closed_at);
CREATE INDEX idx_archived_assignments_closed ON archived_assignments (organization_id, closed_at);
CREATE INDEX idx_assignments_retention ON assignments (last_state_change_at) WHERE status IN ('completed', 'cancelled', 'expired');

CREATE TRIGGER archived_assignments_unchanged BEFORE UPDATE OR DELETE ON archived_assignments
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- History that outlives the hot row points at an assignment in either table.
CREATE FUNCTION assignment_reference_exists() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF NEW.assignment_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.organization_id = NEW.organization_id AND a.id = NEW.assignment_id)
       AND NOT EXISTS (SELECT 1 FROM archived_assignments a WHERE a.organization_id = NEW.organization_id AND a.id = NEW.assignment_id) THEN
        RAISE EXCEPTION 'there is no such assignment in this organisation' USING ERRCODE = '23503';
    END IF;
    RETURN NEW;
END
$$;

ALTER TABLE assignment_events DROP CONSTRAINT assignment_events_organization_id_assignment_id_fkey;
ALTER TABLE honorarium_entries DROP CONSTRAINT honorarium_entries_organization_id_assignment_id_fkey;
ALTER TABLE honorarium_threshold_events DROP CONSTRAINT honorarium_threshold_events_organization_id_assignment_id_fkey;
CREATE TRIGGER assignment_events_reference BEFORE INSERT ON assignment_events
    FOR EACH ROW EXECUTE FUNCTION assignment_reference_exists();
CREATE TRIGGER honorarium_entries_reference BEFORE INSERT OR UPDATE OF assignment_id, organization_id ON honorarium_entries
    FOR EACH ROW EXECUTE FUNCTION assignment_reference_exists();
CREATE TRIGGER honorarium_threshold_events_reference BEFORE INSERT OR UPDATE OF assignment_id, organization_id ON honorarium_threshold_events
    FOR EACH ROW EXECUTE FUNCTION assignment_reference_exists();

-- Only an archived assignment may leave the hot table.
CREATE FUNCTION assignments_delete_only_archived() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM archived_assignments a WHERE a.id = OLD.id AND a.organization_id = OLD.organization_id) THEN
        RAISE EXCEPTION 'assignment % is not archived and cannot be deleted', OLD.id USING ERRCODE = 'AD006';
    END IF;
    RETURN OLD;
END
$$;
CREATE TRIGGER assignments_delete_only_archived BEFORE DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignments_delete_only_archived();

ALTER TABLE archived_assignments ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON archived_assignments
    USING (organization_id = dispatch_current_organization()) WITH CHECK (organization_id = dispatch_current_organization());
GRANT SELECT ON archived_assignments TO dispatch_tenant;
"""#
}
