import Postgres

/// Migration 0009: row-level security that a hostile statement on the application's own
/// connection cannot talk its way around.
///
/// Until now a tenant transaction was whatever `dispatch.organization_id` said, and any statement
/// may `set_config` that setting. From here on the setting counts only with a **scope proof**: an
/// HMAC-SHA-256, under a key derived from the server key, over the scope, the actor and the
/// transaction's id (`dispatch_verified_scope()`). The application computes it in
/// ``TransactionScope`` for each transaction; injected SQL can change the setting but cannot
/// compute the proof (the key never enters a table the application role can read), and a proof
/// copied from another transaction names another transaction id. A setting without a valid proof
/// is an error, not an empty answer, so a tampering attempt is loud.
///
/// The scope is an organisation id, or `*` for the scheduler's cross-organisation jobs (sweeps,
/// reminders, notification delivery), which no request handler uses.
///
/// The keys live in `dispatch_scope_keys` as HMAC pads (key XOR ipad, key XOR opad), readable only
/// by the owner; `SchemaPreparation` installs them after migrating, one per server-key version.
///
/// Every policy is re-created to evaluate the proof once per statement (an uncorrelated sub-select),
/// every tenant table gets `FORCE ROW LEVEL SECURITY`, and the tenant role gets what the
/// scheduler's jobs need now that they run as the application role too (archiving deletes hot
/// rows of closed assignments only: the delete trigger of migration 0005 still insists).
///
/// The role that migrates must bypass row-level security (a superuser, or `BYPASSRLS`): the narrow
/// `SECURITY DEFINER` look-ups run as it, and forced row-level security would otherwise hide every
/// row from them too.
///
/// Never edit this text once it has landed.
enum ProvenScopes {
    static let migration = Migration(version: 9, name: "proven scopes", sql: sql)

    static let sql = #"""
DO $$
BEGIN
    IF NOT (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) THEN
        RAISE EXCEPTION 'the role that migrates (%) must be a superuser or have BYPASSRLS', current_user
            USING ERRCODE = '42501', HINT = 'As a superuser: ALTER ROLE ' || quote_ident(current_user) || ' BYPASSRLS;';
    END IF;
END
$$;

CREATE TABLE dispatch_scope_keys (
    key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{16}$'),
    inner_pad bytea NOT NULL CHECK (octet_length(inner_pad) = 64),
    outer_pad bytea NOT NULL CHECK (octet_length(outer_pad) = 64),
    installed_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON dispatch_scope_keys FROM PUBLIC;

-- The transaction's scope if its proof holds: an organisation id as text, '*' for the scheduler,
-- NULL when no scope is set. A scope with a missing or wrong proof raises 42501.
CREATE FUNCTION dispatch_verified_scope() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    scope text := coalesce(current_setting('dispatch.organization_id', true), '');
    pads record;
    message bytea;
BEGIN
    IF scope = '' THEN
        RETURN NULL;
    END IF;
    SELECT k.inner_pad, k.outer_pad INTO pads FROM public.dispatch_scope_keys k
     WHERE k.key_id = coalesce(current_setting('dispatch.scope_key', true), '');
    IF NOT FOUND THEN
        RAISE EXCEPTION 'the transaction scope names no installed scope key' USING ERRCODE = '42501';
    END IF;
    message := convert_to(concat_ws(E'\n', 'dispatch-scope-v1', scope,
                                    coalesce(current_setting('dispatch.actor_id', true), ''),
                                    coalesce(current_setting('dispatch.actor_role', true), ''),
                                    pg_current_xact_id()::text), 'UTF8');
    IF encode(sha256(pads.outer_pad || sha256(pads.inner_pad || message)), 'hex')
       IS DISTINCT FROM current_setting('dispatch.scope_proof', true) THEN
        RAISE EXCEPTION 'the transaction scope is not proven' USING ERRCODE = '42501';
    END IF;
    RETURN scope;
END
$$;
REVOKE ALL ON FUNCTION dispatch_verified_scope() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dispatch_verified_scope() TO dispatch_tenant;

CREATE OR REPLACE FUNCTION dispatch_current_organization() RETURNS uuid
LANGUAGE sql STABLE AS $$
    SELECT nullif(nullif(dispatch_verified_scope(), '*'), '')::uuid
$$;

CREATE FUNCTION dispatch_scope_spans_organizations() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(dispatch_verified_scope() = '*', false)
$$;

DO $$
DECLARE
    policy record;
    tenant_column text;
BEGIN
    FOR policy IN SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND policyname = 'tenant_isolation' ORDER BY tablename
    LOOP
        tenant_column := CASE WHEN policy.tablename = 'organizations' THEN 'id' ELSE 'organization_id' END;
        EXECUTE format('DROP POLICY tenant_isolation ON %I', policy.tablename);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I '
                       'USING (%2$I = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations())) '
                       'WITH CHECK (%2$I = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()))',
                       policy.tablename, tenant_column);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', policy.tablename);
    END LOOP;
END
$$;

-- The organisations' names and ids, for the operator's `--org NAME` and the scheduler's rounds.
CREATE FUNCTION dispatch_organization_directory() RETURNS TABLE (id uuid, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT o.id, o.name FROM organizations o ORDER BY lower(o.name), o.id
$$;
REVOKE ALL ON FUNCTION dispatch_organization_directory() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dispatch_organization_directory() TO dispatch_tenant;

GRANT INSERT ON organizations, archived_assignments TO dispatch_tenant;
GRANT DELETE ON assignments, assignment_recipients, notifications, assignment_reminders TO dispatch_tenant;
"""#
}
