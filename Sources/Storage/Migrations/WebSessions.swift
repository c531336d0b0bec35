import Postgres

/// Migration 0018: the web pages (docs/web.md).
///
/// - The `compliance_officer` role.
/// - `web_sessions`: a signed-in browser. Only the SHA-256 of the session secret is stored (the
///   secret lives in the browser's HttpOnly cookie); a session ends at `expires_at`, when its user
///   signs out (`ended_at`) or when the user is deactivated.
/// - `sign_in_links`: one-time sign-in codes made by `dispatch users sign-in-link`, stored as their
///   SHA-256, good for one use within their lifetime.
/// - Two narrow look-ups for a request that is not yet anyone's, like `dispatch_token_principal`:
///   `dispatch_session_principal(hash, at)` and `dispatch_redeem_sign_in_link(hash, at)`, which
///   marks the code used in the same statement that reads it, so two redemptions cannot both win.
/// - `assignment_changed`: every committed change of an assignment's status or contact is
///   announced on the `dispatch_assignment_changed` channel (LISTEN/NOTIFY) with ids and the status
///   only, so every server instance can push it to the pages that show it.
///
/// Never edit this text once it has landed.
enum WebSessions {
    static let migration = Migration(version: 18, name: "web sessions", sql: sql)

    static let sql = #"""
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('peer_mentor', 'coordinator', 'org_admin', 'global_admin', 'compliance_officer'));

CREATE TABLE web_sessions (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    secret_hash bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
    language text NOT NULL CHECK (language IN ('nb', 'en')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    ended_at timestamptz,
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CHECK (expires_at > created_at),
    CHECK (ended_at IS NULL OR ended_at >= created_at)
);
CREATE INDEX idx_web_sessions_user ON web_sessions (user_id);

CREATE TABLE sign_in_links (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL UNIQUE CHECK (octet_length(code_hash) = 32),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CHECK (expires_at > created_at),
    CHECK (used_at IS NULL OR used_at >= created_at)
);
CREATE INDEX idx_sign_in_links_user ON sign_in_links (user_id);

DO $$
DECLARE
    tenant_table text;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY['web_sessions', 'sign_in_links'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('CREATE POLICY tenant_isolation ON %I '
                       'USING (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations())) '
                       'WITH CHECK (organization_id = (SELECT dispatch_current_organization()) OR (SELECT dispatch_scope_spans_organizations()))',
                       tenant_table);
    END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE ON web_sessions, sign_in_links TO dispatch_tenant;

CREATE FUNCTION dispatch_session_principal(secret_hash bytea, at timestamptz)
RETURNS TABLE (session_id uuid, language text, expires_at timestamptz,
               id uuid, organization_id uuid, local_association_id uuid, handle text, role text, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT s.id, s.language, s.expires_at, u.id, u.organization_id, u.local_association_id, u.handle, u.role, u.status
      FROM web_sessions s JOIN users u ON u.id = s.user_id AND u.organization_id = s.organization_id
     WHERE s.secret_hash = dispatch_session_principal.secret_hash AND s.ended_at IS NULL
       AND s.expires_at > dispatch_session_principal.at AND u.status <> 'deactivated'
$$;

CREATE FUNCTION dispatch_redeem_sign_in_link(code_hash bytea, at timestamptz)
RETURNS TABLE (id uuid, organization_id uuid, local_association_id uuid, handle text, role text, status text)
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    WITH redeemed AS (
        UPDATE sign_in_links l SET used_at = dispatch_redeem_sign_in_link.at
         WHERE l.code_hash = dispatch_redeem_sign_in_link.code_hash AND l.used_at IS NULL
           AND l.expires_at > dispatch_redeem_sign_in_link.at
        RETURNING l.user_id, l.organization_id)
    SELECT u.id, u.organization_id, u.local_association_id, u.handle, u.role, u.status
      FROM redeemed r JOIN users u ON u.id = r.user_id AND u.organization_id = r.organization_id
     WHERE u.status <> 'deactivated'
$$;

REVOKE ALL ON FUNCTION dispatch_session_principal(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION dispatch_redeem_sign_in_link(bytea, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dispatch_session_principal(bytea, timestamptz) TO dispatch_tenant;
GRANT EXECUTE ON FUNCTION dispatch_redeem_sign_in_link(bytea, timestamptz) TO dispatch_tenant;

CREATE FUNCTION assignment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('dispatch_assignment_changed', json_build_object(
        'organization_id', NEW.organization_id, 'assignment_id', NEW.id,
        'local_association_id', NEW.local_association_id, 'coordinator_id', NEW.coordinator_id,
        'peer_mentor_id', NEW.peer_mentor_id, 'status', NEW.status)::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER assignments_changed AFTER INSERT OR UPDATE OF status, contact_made_at ON assignments
    FOR EACH ROW EXECUTE FUNCTION assignment_changed();
"""#
}
