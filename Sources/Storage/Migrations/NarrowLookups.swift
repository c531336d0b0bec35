import Postgres

/// Migration 0008: the two look-ups a request makes before anyone is known, each a narrow
/// `SECURITY DEFINER` function that returns what the look-up needs and nothing else:
///
/// - `dispatch_token_principal(hash, at)`: the user a live bearer token belongs to (id,
///   organisation, local association, handle, role, status);
/// - `dispatch_feed_subject(hash)`: the live feed a calendar address opens, with its owner's
///   handle and the organisation's time zone.
///
/// They run in a ``TransactionScope/lookup`` transaction: the tenant role with no organisation
/// set, under which row-level security hides every row, so the token and feed tables themselves
/// are out of reach there. Only the tenant role may call them.
///
/// Never edit this text once it has landed.
enum NarrowLookups {
    static let migration = Migration(version: 8, name: "narrow look-ups", sql: sql)

    static let sql = #"""
CREATE FUNCTION dispatch_token_principal(token_hash bytea, at timestamptz)
RETURNS TABLE (id uuid, organization_id uuid, local_association_id uuid, handle text, role text, status text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT u.id, u.organization_id, u.local_association_id, u.handle, u.role, u.status
      FROM api_tokens t JOIN users u ON u.id = t.user_id AND u.organization_id = t.organization_id
     WHERE t.token_hash = dispatch_token_principal.token_hash AND t.revoked_at IS NULL
       AND t.expires_at > dispatch_token_principal.at AND u.status <> 'deactivated'
$$;

CREATE FUNCTION dispatch_feed_subject(token_hash bytea)
RETURNS TABLE (id uuid, organization_id uuid, user_id uuid, handle text, language text, created_at timestamptz,
               server_key_version integer, time_zone text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT f.id, f.organization_id, f.user_id, u.handle, f.language, f.created_at, f.server_key_version, o.time_zone
      FROM feed_tokens f
      JOIN users u ON u.id = f.user_id AND u.organization_id = f.organization_id
      JOIN organizations o ON o.id = f.organization_id
     WHERE f.token_hash = dispatch_feed_subject.token_hash AND f.revoked_at IS NULL AND u.status <> 'deactivated'
       AND o.encrypted_assignments_enabled
$$;

REVOKE ALL ON FUNCTION dispatch_token_principal(bytea, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION dispatch_feed_subject(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dispatch_token_principal(bytea, timestamptz) TO dispatch_tenant;
GRANT EXECUTE ON FUNCTION dispatch_feed_subject(bytea) TO dispatch_tenant;
"""#
}
