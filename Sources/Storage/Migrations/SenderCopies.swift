import Postgres

/// Migration 0020: the coordinator's own sealed copy (docs/envelope.md, "Who receives which
/// sealed key").
///
/// An envelope may seal its content key also to the dispatching coordinator's own active devices,
/// so that the coordinator can reopen what they sent while the assignment is open. Those sealed
/// keys are rows of `assignment_recipients` like the peer mentor's, marked `party = 'sender'`: they
/// are wrapped under the day's erasure key, handed out only to the coordinator who dispatched the
/// assignment, never record delivery, and are destroyed with the others by a cancellation, an
/// expiry, a decline and the sweeps.
///
/// Never edit this text once it has landed.
enum SenderCopies {
    static let migration = Migration(version: 20, name: "sender copies", sql: sql)

    static let sql = #"""
ALTER TABLE assignment_recipients ADD COLUMN party text NOT NULL DEFAULT 'recipient' CHECK (party IN ('recipient', 'sender'));
"""#
}
