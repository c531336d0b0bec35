import Postgres

/// Migration 0014: the expiry and retention sweeps read their due rows in the order of their
/// keyset pages, `(expires_at, id)` and `(last_state_change_at, id)`, straight from an index.
///
/// The indexes of migrations 0001 and 0005 held only the time, so when many assignments share one
/// (a bulk import with a common expiry, or a day's cancellations at midnight) every batch read and
/// sorted all of them to find the first hundred: the expiry benchmark spent most of its time there
/// (docs/performance.md). The new indexes carry the id as well, and replace the old ones, which
/// nothing else reads.
///
/// Never edit this text once it has landed.
enum SweepOrderIndexes {
    static let migration = Migration(version: 14, name: "sweep order indexes", sql: sql)

    static let sql = #"""
CREATE INDEX idx_assignments_expiry_order ON assignments (expires_at, id)
    WHERE expires_at IS NOT NULL AND payload_destroyed_at IS NULL;
DROP INDEX idx_assignments_expires_at;
CREATE INDEX idx_assignments_retention_order ON assignments (last_state_change_at, id)
    WHERE status IN ('completed', 'cancelled', 'expired');
DROP INDEX idx_assignments_retention;
"""#
}
