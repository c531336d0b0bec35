import Postgres

/// Migration 0016: the status overview of a local association's coordinator reads only open
/// assignments.
///
/// The overview lists the open assignments (dispatched, delivered, read, acknowledged) of the
/// coordinator's local association and those the coordinator dispatched. Its plan combined
/// `idx_assignments_local_association`, which holds every assignment of the association, closed
/// ones included, with `idx_assignments_coordinator_status`: among a million assignments it read
/// three or four rows for every open one it showed (docs/performance.md). The two partial indexes
/// hold open assignments only, so what the overview reads grows with what it shows, not with the
/// association's history. Nothing else filters assignments by local association, so the old index
/// goes.
///
/// Never edit this text once it has landed.
enum OpenOverviewIndexes {
    static let migration = Migration(version: 16, name: "open overview indexes", sql: sql)

    static let sql = #"""
CREATE INDEX idx_assignments_open_association ON assignments (local_association_id)
    WHERE status IN ('dispatched', 'delivered', 'read', 'acknowledged');
CREATE INDEX idx_assignments_open_coordinator ON assignments (coordinator_id)
    WHERE status IN ('dispatched', 'delivered', 'read', 'acknowledged');
DROP INDEX idx_assignments_local_association;
"""#
}
