import Postgres

/// Migration 0002: bearer tokens, and organisation names unique (the admin CLI names
/// organisations by name). Never edit this text once it has landed.
enum AccountTokens {
    static let migration = Migration(version: 2, name: "api tokens", sql: sql)

    static let sql = #"""
CREATE UNIQUE INDEX idx_organizations_name ON organizations (lower(name));

-- Bearer tokens: only the SHA-256 of the token is stored; the token itself is shown once.
CREATE TABLE api_tokens (
    id uuid PRIMARY KEY,
    organization_id uuid NOT NULL,
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    label text CHECK (length(label) <= 100),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id),
    CHECK (expires_at > created_at),
    CHECK (revoked_at IS NULL OR revoked_at >= created_at)
);
CREATE INDEX idx_api_tokens_user ON api_tokens (user_id);

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_tokens
    USING (organization_id = dispatch_current_organization()) WITH CHECK (organization_id = dispatch_current_organization());
GRANT SELECT, INSERT, UPDATE ON api_tokens TO dispatch_tenant;
"""#
}
