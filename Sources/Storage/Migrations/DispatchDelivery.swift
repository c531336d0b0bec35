import Postgres

/// Migration 0003: what dispatch needs around the assignment itself.
///
/// - `idempotency_keys`: a dispatch retried with the same `Idempotency-Key` returns the stored
///   result instead of a second assignment (docs/http.md);
/// - the notification outbox learns why the last attempt failed (a short code, never a body);
/// - an organisation may name a webhook that notifications are posted to; the signing secret is
///   derived from the server's key and a version number, so the database holds no secret.
///
/// Never edit this text once it has landed.
enum DispatchDelivery {
    static let migration = Migration(version: 3, name: "idempotency keys and notification delivery", sql: sql)

    static let sql = #"""
CREATE TABLE idempotency_keys (
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    idempotency_key text NOT NULL CHECK (idempotency_key ~ '^[!-~]{1,255}$'),
    -- SHA-256 of the request's method, path and body: the same key with another request is refused.
    request_hash bytea NOT NULL CHECK (octet_length(request_hash) = 32),
    state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
    response_status integer CHECK (response_status BETWEEN 200 AND 299),
    response_body bytea CHECK (octet_length(response_body) <= 65536),
    created_at timestamptz NOT NULL,
    -- An in-progress claim older than this was abandoned (a crashed server) and may be taken over.
    claimed_until timestamptz NOT NULL,
    completed_at timestamptz,
    PRIMARY KEY (user_id, idempotency_key),
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CHECK ((state = 'completed') = (response_status IS NOT NULL AND response_body IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at);

ALTER TABLE notifications ADD COLUMN last_error text CHECK (last_error ~ '^[a-z0-9_]{1,64}$');
ALTER TABLE notifications ADD COLUMN last_attempt_at timestamptz;

ALTER TABLE organizations ADD COLUMN webhook_url text
    CHECK (length(webhook_url) BETWEEN 10 AND 500 AND webhook_url ~ '^https?://[^[:space:]]+$');
ALTER TABLE organizations ADD COLUMN webhook_secret_version integer NOT NULL DEFAULT 1 CHECK (webhook_secret_version > 0);

ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (organization_id = dispatch_current_organization()) WITH CHECK (organization_id = dispatch_current_organization());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO dispatch_tenant;
"""#
}
