import Postgres

/// Migration 0013: a calendar app's poll answered in one statement.
///
/// `dispatch_feed_version(hash)` is `dispatch_feed_subject` (migration 0008) with the feed's version
/// (`FeedVersion`: how many assignments the feed's user has, and when any of them, the
/// organisation's settings or the feed last changed) in the same row, so that the conditional
/// request a calendar app repeats all day (`If-None-Match`, answered `304`) costs one round trip
/// without a transaction instead of two transactions (docs/performance.md, "Calendar feeds").
/// It reads only what the token's own feed needs: counts and times of its user's assignments,
/// never their contents. Only the tenant role (and so the application's login, its member) may
/// call it.
///
/// Never edit this text once it has landed.
enum FeedVersionLookup {
    static let migration = Migration(version: 13, name: "feed version look-up", sql: sql)

    static let sql = #"""
CREATE FUNCTION dispatch_feed_version(token_hash bytea)
RETURNS TABLE (id uuid, organization_id uuid, user_id uuid, handle text, language text, created_at timestamptz,
               server_key_version integer, time_zone text, assignments bigint, last_change timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
    SELECT f.id, f.organization_id, f.user_id, u.handle, f.language, f.created_at, f.server_key_version, o.time_zone,
           a.assignments, greatest(a.changed, o.updated_at, f.created_at)
      FROM feed_tokens f
      JOIN users u ON u.id = f.user_id AND u.organization_id = f.organization_id
      JOIN organizations o ON o.id = f.organization_id
      CROSS JOIN LATERAL (SELECT count(*) AS assignments, max(x.updated_at) AS changed FROM assignments x
                           WHERE x.organization_id = f.organization_id AND (x.peer_mentor_id = f.user_id OR x.coordinator_id = f.user_id)) a
     WHERE f.token_hash = dispatch_feed_version.token_hash AND f.revoked_at IS NULL AND u.status <> 'deactivated'
       AND o.encrypted_assignments_enabled
$$;

REVOKE ALL ON FUNCTION dispatch_feed_version(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dispatch_feed_version(bytea) TO dispatch_tenant;
"""#
}
