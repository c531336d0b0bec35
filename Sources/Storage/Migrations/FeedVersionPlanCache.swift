import Postgres

/// Migration 0017: the calendar poll's look-up keeps its plan, and reads only what the feed shows.
///
/// `dispatch_feed_version` (migration 0013) was a `SECURITY DEFINER` SQL function. PostgreSQL never
/// inlines such a function, and plans its statement again on every call: at a few thousand polls a
/// second the planning was a large part of the poll's cost in the database (docs/performance.md,
/// "Calendar feeds"). In PL/pgSQL each statement is planned once per connection and its plan reused.
///
/// A kept plan is made without the caller's values, so it must be good for every feed. The old
/// statement counted the user's assignments as peer mentor *or* coordinator in one condition;
/// where one coordinator had dispatched most of an organisation's assignments, the planner took
/// any coordinator to match most rows and read the whole table for every poll (a million rows:
/// 28 polls a second). Now the feed is looked up first, the assignments the user receives are
/// counted through their own index, and those the user dispatched only when the user is not a
/// peer mentor. What the version means is unchanged: every assignment of the user, open or not, so
/// that one closing or leaving by retention changes it and `Last-Modified` never goes back.
///
/// Never edit this text once it has landed.
enum FeedVersionPlanCache {
    static let migration = Migration(version: 17, name: "feed version plan cache", sql: sql)

    static let sql = #"""
CREATE OR REPLACE FUNCTION dispatch_feed_version(token_hash bytea)
RETURNS TABLE (id uuid, organization_id uuid, user_id uuid, handle text, language text, created_at timestamptz,
               server_key_version integer, time_zone text, assignments bigint, last_change timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    feed record;
    received bigint;
    received_change timestamptz;
    sent bigint := 0;
    sent_change timestamptz;
BEGIN
    SELECT f.id AS feed_id, f.organization_id AS feed_organization, f.user_id AS feed_user, u.handle AS user_handle, u.role AS user_role,
           f.language AS feed_language, f.created_at AS feed_created, f.server_key_version AS key_version, o.time_zone AS zone,
           o.updated_at AS organization_changed
      INTO feed
      FROM feed_tokens f
      JOIN users u ON u.id = f.user_id AND u.organization_id = f.organization_id
      JOIN organizations o ON o.id = f.organization_id
     WHERE f.token_hash = dispatch_feed_version.token_hash AND f.revoked_at IS NULL AND u.status <> 'deactivated'
       AND o.encrypted_assignments_enabled;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT count(*), max(x.updated_at) INTO received, received_change
      FROM assignments x
     WHERE x.organization_id = feed.feed_organization AND x.peer_mentor_id = feed.feed_user;
    IF feed.user_role <> 'peer_mentor' THEN
        SELECT count(*), max(x.updated_at) INTO sent, sent_change
          FROM assignments x
         WHERE x.coordinator_id = feed.feed_user AND x.organization_id = feed.feed_organization AND x.peer_mentor_id <> feed.feed_user;
    END IF;
    id := feed.feed_id;
    organization_id := feed.feed_organization;
    user_id := feed.feed_user;
    handle := feed.user_handle;
    language := feed.feed_language;
    created_at := feed.feed_created;
    server_key_version := feed.key_version;
    time_zone := feed.zone;
    assignments := received + sent;
    last_change := greatest(received_change, sent_change, feed.organization_changed, feed.feed_created);
    RETURN NEXT;
END
$$;
"""#
}
