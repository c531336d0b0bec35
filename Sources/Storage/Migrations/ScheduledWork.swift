import Postgres

/// Migration 0004: what the scheduled work needs.
///
/// - `assignment_reminders`: one row per (assignment, step) that was sent: reminders 1…M and the
///   escalation to the organisation admins (number M + 1). The primary key is what makes a reminder
///   exactly-once: it is written in the same transaction as its notifications, so a retry or a
///   second runner cannot send it again.
/// - `honorarium_entries`: which assignment counted, in which period, as which number, and whether
///   an admin voided it (with a reason), so that counts can be explained and corrected.
///
/// Never edit this text once it has landed.
enum ScheduledWork {
    static let migration = Migration(version: 4, name: "reminders and honorarium entries", sql: sql)

    static let sql = #"""
CREATE TABLE assignment_reminders (
    assignment_id uuid NOT NULL,
    organization_id uuid NOT NULL,
    number integer NOT NULL CHECK (number BETWEEN 1 AND 21),
    kind text NOT NULL CHECK (kind IN ('reminder', 'escalation')),
    due_at timestamptz NOT NULL,
    sent_at timestamptz NOT NULL CHECK (sent_at >= due_at),
    PRIMARY KEY (assignment_id, number),
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id)
);
CREATE INDEX idx_assignment_reminders_organization ON assignment_reminders (organization_id, sent_at);

CREATE TABLE honorarium_entries (
    assignment_id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    peer_mentor_id uuid NOT NULL,
    period text NOT NULL CHECK (period ~ '^[0-9]{4}$'),
    -- The count this assignment brought the peer mentor to when it was counted.
    number integer NOT NULL CHECK (number > 0),
    counted_at timestamptz NOT NULL,
    voided_at timestamptz,
    void_reason text CHECK (length(void_reason) BETWEEN 1 AND 500),
    FOREIGN KEY (organization_id, assignment_id) REFERENCES assignments (organization_id, id),
    FOREIGN KEY (organization_id, peer_mentor_id) REFERENCES users (organization_id, id),
    CHECK ((voided_at IS NULL) = (void_reason IS NULL)),
    CHECK (voided_at IS NULL OR voided_at >= counted_at)
);
CREATE INDEX idx_honorarium_entries_mentor ON honorarium_entries (organization_id, peer_mentor_id, period);

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['assignment_reminders', 'honorarium_entries']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (organization_id = dispatch_current_organization()) '
                       'WITH CHECK (organization_id = dispatch_current_organization())', tenant_table);
    END LOOP;
END
$$;
GRANT SELECT, INSERT ON assignment_reminders TO dispatch_tenant;
GRANT SELECT, INSERT, UPDATE ON honorarium_entries TO dispatch_tenant;
"""#
}
