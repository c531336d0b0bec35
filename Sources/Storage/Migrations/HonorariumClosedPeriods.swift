import Postgres

/// Migration 0012: paid months (docs/honorarium.md, "Closing a period"). A closed month's report
/// never changes again: `honorarium_closed_periods` records it with the SHA-256 of the file that was
/// closed (append-only), and a later correction of an assignment counted, or a tier crossed, in a
/// closed month keeps its row in that month's report and is paid back in `adjusted_in`: the first
/// open month at the time of the correction.
///
/// Never edit this text once it has landed.
enum HonorariumClosedPeriods {
    static let migration = Migration(version: 12, name: "honorarium closed periods", sql: sql)

    static let sql = #"""
CREATE TABLE honorarium_closed_periods (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    period text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    closed_at timestamptz NOT NULL,
    file_sha256 bytea NOT NULL CHECK (octet_length(file_sha256) = 32),
    PRIMARY KEY (organization_id, period)
);
CREATE TRIGGER honorarium_closed_periods_unchanged BEFORE UPDATE OR DELETE ON honorarium_closed_periods
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

ALTER TABLE honorarium_entries ADD COLUMN adjusted_in text CHECK (adjusted_in ~ '^[0-9]{4}-(0[1-9]|1[0-2])$');
ALTER TABLE honorarium_entries ADD CHECK (adjusted_in IS NULL OR voided_at IS NOT NULL);
ALTER TABLE honorarium_threshold_events ADD COLUMN adjusted_in text CHECK (adjusted_in ~ '^[0-9]{4}-(0[1-9]|1[0-2])$');
ALTER TABLE honorarium_threshold_events ADD CHECK (adjusted_in IS NULL OR reversed_at IS NOT NULL);

ALTER TABLE honorarium_closed_periods ENABLE ROW LEVEL SECURITY;
ALTER TABLE honorarium_closed_periods FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON honorarium_closed_periods
    USING (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()))
    WITH CHECK (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()));
GRANT SELECT, INSERT ON honorarium_closed_periods TO dispatch_tenant;
"""#
}
