import AssignmentCore
import Envelope
import Foundation
import Postgres
import Storage

/// What the key sweep did to the erasure keys (or would, in a dry run), and what still waits.
public struct ErasureReport: Sendable, Hashable, Codable {
    /// Days whose key was destroyed now (or would be).
    public var epochsDestroyed: [ErasureEpoch]
    /// Days whose key the keyring still holds, oldest first.
    public var epochsHeld: [ErasureEpoch]
    /// Days with live sealed keys whose key the keyring lacks: those envelopes can no longer be
    /// handed out (the keyring file was lost or replaced). `dispatch up` counts them per key.
    public var epochsMissing: [ErasureEpoch]
    /// The longest assignment lifetime of any organisation, in days: the bound.
    public var longestLifetimeDays: Int
    /// When the oldest held key goes at the latest.
    public var oldestHeldGoneBy: Date?
    /// Dead row versions still waiting for `VACUUM` in the tables that held the destroyed data.
    public var waitingForVacuum: [VacuumBacklog]

    enum CodingKeys: String, CodingKey {
        case epochsDestroyed = "epochs_destroyed"
        case epochsHeld = "epochs_held"
        case epochsMissing = "epochs_missing"
        case longestLifetimeDays = "longest_lifetime_days"
        case oldestHeldGoneBy = "oldest_held_gone_by"
        case waitingForVacuum = "waiting_for_vacuum"
    }
}

/// The erasure step of the key sweep: destroys the key of every day that is over and wraps no live
/// sealed key any more (``ErasurePolicy``), so every copy of the sealed keys wrapped under it, in
/// the WAL, in archives and in backups, opens nothing from then on.
public enum ErasureKeySweep {
    public static func run(database: Database, at time: Date, dryRun: Bool) async throws -> ErasureReport {
        let store = SweepStore(database: database)
        let keyring = database.erasureKeyring
        let live = try await store.liveSealedKeys()
        let held = try keyring.epochs()
        let doomed = ErasurePolicy.destroyable(held: held, live: Set(live.map(\.epoch)), at: time)
        let missing = try ErasureKeyringStatus.missing(in: live, keyring: keyring).map(\.epoch)
        let destroyed = dryRun ? doomed : try keyring.destroy(doomed)
        let remaining = held.filter { !destroyed.contains($0) }
        let lifetime = try await store.longestAssignmentLifetime()
        return ErasureReport(
            epochsDestroyed: destroyed, epochsHeld: remaining, epochsMissing: missing,
            longestLifetimeDays: lifetime,
            oldestHeldGoneBy: remaining.first.map { ErasurePolicy.latestDestruction(of: $0, longestLifetimeDays: lifetime) },
            waitingForVacuum: try await store.vacuumBacklog())
    }
}
