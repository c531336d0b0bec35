import Postgres

/// Migration 0007: what was made with the server key records which version of it (``ServerKey``):
/// a calendar feed (its event UIDs) and an organisation's webhook secret. Everything made before
/// rotation existed used version 1. A rotation leaves these as they are, so feeds and webhook
/// receivers keep working; rotating a feed or a webhook secret moves it to the newest version.
///
/// Never edit this text once it has landed.
enum ServerKeyVersions {
    static let migration = Migration(version: 7, name: "server key versions", sql: sql)

    static let sql = #"""
ALTER TABLE feed_tokens
    ADD COLUMN server_key_version integer NOT NULL DEFAULT 1 CHECK (server_key_version BETWEEN 1 AND 64);
ALTER TABLE organizations
    ADD COLUMN webhook_server_key_version integer NOT NULL DEFAULT 1 CHECK (webhook_server_key_version BETWEEN 1 AND 64);
"""#
}
