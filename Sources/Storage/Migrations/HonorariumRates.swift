import Postgres

/// Migration 0011: an organisation's honorarium rates, so the report carries amounts payroll can
/// pay (docs/honorarium.md). A rate set applies to assignments counted from its first day (in the
/// organisation's time zone) until a later set takes over; its rates are bands ("from the Nth
/// counted assignment of the year, each pays X") and tier bonuses ("reaching tier T pays Y once"),
/// in øre, each with an optional pay code.
///
/// Never edit this text once it has landed.
enum HonorariumRates {
    static let migration = Migration(version: 11, name: "honorarium rates", sql: sql)

    static let sql = #"""
CREATE TABLE honorarium_rate_sets (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    valid_from date NOT NULL,
    currency text NOT NULL DEFAULT 'NOK' CHECK (currency ~ '^[A-Z]{3}$'),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (organization_id, valid_from)
);

CREATE TABLE honorarium_rates (
    organization_id uuid NOT NULL,
    valid_from date NOT NULL,
    kind text NOT NULL CHECK (kind IN ('band', 'tier_bonus')),
    threshold integer NOT NULL CHECK (threshold BETWEEN 1 AND 10000),
    amount_ore bigint NOT NULL CHECK (amount_ore BETWEEN 0 AND 100000000),
    pay_code text CHECK (pay_code ~ '^[A-Za-z0-9_.-]{1,20}$'),
    PRIMARY KEY (organization_id, valid_from, kind, threshold),
    FOREIGN KEY (organization_id, valid_from) REFERENCES honorarium_rate_sets (organization_id, valid_from) ON DELETE CASCADE
);

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['honorarium_rate_sets', 'honorarium_rates']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I '
                       'USING (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations())) '
                       'WITH CHECK (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()))',
                       tenant_table);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, DELETE ON honorarium_rate_sets, honorarium_rates TO dispatch_tenant;
"""#
}
