import Postgres

/// Migration 0017: the calendar poll's look-up keeps its plan.
///
/// `dispatch_feed_version` (migration 0013) was a `SECURITY DEFINER` SQL function. PostgreSQL never
/// inlines such a function, and plans its statement again on every call: at a few thousand polls a
/// second the planning was a large part of the poll's cost in the database (docs/performance.md,
/// "Calendar feeds"). The same statement in PL/pgSQL is planned once per connection and its plan
/// reused. What it returns, and who may call it, are unchanged.
///
/// Never edit this text once it has landed.
enum FeedVersionPlanCache {
    static let migration = Migration(version: 17, name: "feed version plan cache", sql: sql)

    static let sql = #"""
CREATE OR REPLACE FUNCTION dispatch_feed_version(token_hash bytea)
RETURNS TABLE (id uuid, organization_id uuid, user_id uuid, handle text, language text, created_at timestamptz,
               server_key_version integer, time_zone text, assignments bigint, last_change timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    RETURN QUERY
    SELECT f.id, f.organization_id, f.user_id, u.handle, f.language, f.created_at, f.server_key_version, o.time_zone,
           a.assignments, greatest(a.changed, o.updated_at, f.created_at)
      FROM feed_tokens f
      JOIN users u ON u.id = f.user_id AND u.organization_id = f.organization_id
      JOIN organizations o ON o.id = f.organization_id
      CROSS JOIN LATERAL (SELECT count(*) AS assignments, max(x.updated_at) AS changed FROM assignments x
                           WHERE x.organization_id = f.organization_id AND (x.peer_mentor_id = f.user_id OR x.coordinator_id = f.user_id)) a
     WHERE f.token_hash = dispatch_feed_version.token_hash AND f.revoked_at IS NULL AND u.status <> 'deactivated'
       AND o.encrypted_assignments_enabled;
END
$$;
"""#
}
