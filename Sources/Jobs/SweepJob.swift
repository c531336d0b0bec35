import AssignmentCore
import Foundation
import Postgres
import Storage

/// What a sweep did, or in a dry run would do: ids and counts only, never personal data.
public struct SweepReport: Sendable, Hashable, Codable {
    public enum Sweep: String, Sendable, Hashable, Codable {
        case expiry, keys, retention
    }

    public var sweep: Sweep
    public var dryRun: Bool
    public var startedAt: Date
    public var finishedAt: Date
    /// How many assignments were due when the sweep started.
    public var due: Int
    public var expired: [AssignmentID] = []
    public var payloadsDestroyed: [AssignmentID] = []
    public var sealedKeysDestroyed = 0
    /// Assignments whose sealed keys the key sweep destroyed (or would).
    public var keysDestroyedFor: [AssignmentID] = []
    /// Closed assignments the retention sweep archived (or would).
    public var archived: [AssignmentID] = []
    public var batches = 0
    /// `false` when the sweep was stopped before it finished (run it again to continue).
    public var complete = false
    /// The key sweep's erasure keys: destroyed, held, missing, the bound, and the VACUUM backlog.
    public var erasure: ErasureReport?
    /// What the sweep did (or would do) in each organisation; not part of the report's JSON, which
    /// is the operator's and spans organisations, but each organisation's `sweep.ran` entry.
    public var byOrganization: [OrganizationID: SweepTally] = [:]

    public var done: Int {
        switch sweep {
        case .expiry: expired.count + payloadsDestroyed.count
        case .keys: keysDestroyedFor.count
        case .retention: archived.count
        }
    }

    enum CodingKeys: String, CodingKey {
        case sweep, due, expired, batches, complete, archived, erasure
        case dryRun = "dry_run"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case payloadsDestroyed = "payloads_destroyed"
        case sealedKeysDestroyed = "sealed_keys_destroyed"
        case keysDestroyedFor = "keys_destroyed_for"
    }
}

/// The GDPR sweeps as jobs (docs/sweeps.md): plain functions of the database and the time, run by
/// `dispatch sweep expiry|keys|retention` and by the scheduler.
public enum SweepJob {
    /// Destroys the ciphertext and sealed keys of every assignment past its `expires_at`, moving
    /// open ones to expired (notified and audited by the lifecycle), in batches; then vacuums, so
    /// the old row versions go too.
    public static func expiry(
        database: Database, clock: @escaping @Sendable () -> Date, batchSize: Int = 100, dryRun: Bool = false, scope: TransactionScope = .scheduler,
        progress: @Sendable (_ done: Int, _ due: Int) -> Void = { _, _ in }, shouldStop: @Sendable () -> Bool = { false }
    ) async throws -> SweepReport {
        let store = SweepStore(database: database, scope: scope)
        let now = clock()
        return try await run(
            .expiry, store: store, now: now, clock: clock, dryRun: dryRun, progress: progress, shouldStop: shouldStop, due: { try await store.expiryDue(at: now) },
            batch: { try await store.expireBatch(at: now, limit: batchSize, dryRun: dryRun, after: $0) },
            record: { report, batch in
                report.expired += batch.expired
                report.payloadsDestroyed += batch.payloadsDestroyed
            })
    }

    /// Destroys sealed keys addressed to revoked device keys, and any left of closed or destroyed
    /// assignments (key invalidation), in batches; then always vacuums (also what cancels and
    /// expiries destroyed since the last pass), and destroys the erasure key of every day that is
    /// over and wraps no live sealed key any more (``ErasureKeySweep``).
    public static func keys(
        database: Database, clock: @escaping @Sendable () -> Date, batchSize: Int = 100, dryRun: Bool = false, scope: TransactionScope = .scheduler,
        progress: @Sendable (_ done: Int, _ due: Int) -> Void = { _, _ in }, shouldStop: @Sendable () -> Bool = { false }
    ) async throws -> SweepReport {
        let store = SweepStore(database: database, scope: scope)
        let now = clock()
        var report = try await run(
            .keys, store: store, now: now, clock: clock, dryRun: dryRun, progress: progress, shouldStop: shouldStop, due: { try await store.keysDue() },
            batch: { try await store.keysBatch(at: now, limit: batchSize, dryRun: dryRun, after: $0) },
            record: { report, batch in report.keysDestroyedFor += batch.examined })
        if !dryRun && report.done == 0 { try await store.vacuum() }
        // The erasure keys are the whole server's: only a sweep of every organisation touches them.
        if report.complete && scope == .scheduler { report.erasure = try await ErasureKeySweep.run(database: database, at: now, dryRun: dryRun) }
        report.finishedAt = clock()
        return report
    }

    /// Archives closed assignments older than their organisation's retention (default 365 days):
    /// they leave the hot table with their sealed keys, notifications and reminders, while the
    /// archive row, their events, honorarium entries and audit entries stay; then vacuums.
    public static func retention(
        database: Database, clock: @escaping @Sendable () -> Date, batchSize: Int = 100, dryRun: Bool = false, scope: TransactionScope = .scheduler,
        progress: @Sendable (_ done: Int, _ due: Int) -> Void = { _, _ in }, shouldStop: @Sendable () -> Bool = { false }
    ) async throws -> SweepReport {
        let store = SweepStore(database: database, scope: scope)
        let now = clock()
        return try await run(
            .retention, store: store, now: now, clock: clock, dryRun: dryRun, progress: progress, shouldStop: shouldStop, due: { try await store.retentionDue(at: now) },
            batch: { try await store.archiveBatch(at: now, limit: batchSize, dryRun: dryRun, after: $0) },
            record: { report, batch in report.archived += batch.archived })
    }

    /// Each sweep runs in `scope`: the scheduler's (every organisation), or for a person's dry run
    /// one organisation's, where row-level security keeps the others out.
    ///
    /// Each sweep decides what is due at the clock's time when it starts, and reads the clock again
    /// when it finishes (the report's times); the scheduler passes its injected clock, the command
    /// line the wall clock.
    ///
    /// What every sweep shares: batches until none is left or a stop is asked for, each starting
    /// after the last row of the one before, progress after each batch, and a vacuum when anything
    /// was destroyed.
    ///
    /// A real run pages on too, although what it did has left the due set: until the vacuum, the
    /// due rows' index still holds an entry for every row version it changed, so starting again
    /// from the first due row would walk over all of them in every batch (quadratic: 176 s
    /// instead of seconds for 100,000 expiries, docs/performance.md). A row it skips because
    /// another sweep holds it is that sweep's; one left by a sweep that failed is due at the next
    /// run.
    static func run(
        _ sweep: SweepReport.Sweep, store: SweepStore, now: Date, clock: @Sendable () -> Date, dryRun: Bool, progress: @Sendable (_ done: Int, _ due: Int) -> Void,
        shouldStop: @Sendable () -> Bool, due: () async throws -> Int, batch next: (SweepPosition?) async throws -> SweepBatch,
        record: (inout SweepReport, SweepBatch) -> Void
    ) async throws -> SweepReport {
        var report = SweepReport(sweep: sweep, dryRun: dryRun, startedAt: now, finishedAt: now, due: try await due())
        var position: SweepPosition?
        while !shouldStop() {
            let batch = try await next(position)
            if batch.examined.isEmpty {
                report.complete = true
                break
            }
            report.batches += 1
            record(&report, batch)
            report.byOrganization.merge(batch.byOrganization, uniquingKeysWith: +)
            report.sealedKeysDestroyed += batch.sealedKeysDestroyed
            position = batch.last
            progress(report.done, report.due)
        }
        if !dryRun && report.done > 0 { try await store.vacuum() }
        report.finishedAt = clock()
        if !dryRun {
            try await store.recordRun(
                sweep.rawValue, dryRun: false, tallies: report.byOrganization, startedAt: report.startedAt, finishedAt: report.finishedAt)
        }
        return report
    }

    /// A dry run of all three sweeps for one organisation, asked for by one of its people (the
    /// compliance page): in that organisation's scope, so row-level security keeps every other
    /// organisation out; nothing changes but one `sweep.dry_run` entry per sweep in its audit.
    public static func dryRun(
        of organization: OrganizationID, by actor: UserContext, database: Database, clock: @escaping @Sendable () -> Date, batchSize: Int = 100
    ) async throws -> [SweepReport] {
        let scope = TransactionScope.tenant(organization, actor: .user(actor))
        let reports = [
            try await expiry(database: database, clock: clock, batchSize: batchSize, dryRun: true, scope: scope),
            try await keys(database: database, clock: clock, batchSize: batchSize, dryRun: true, scope: scope),
            try await retention(database: database, clock: clock, batchSize: batchSize, dryRun: true, scope: scope),
        ]
        let store = SweepStore(database: database, scope: scope)
        for report in reports {
            try await store.recordRun(
                report.sweep.rawValue, dryRun: true, tallies: [organization: report.byOrganization[organization] ?? .init()], startedAt: report.startedAt,
                finishedAt: report.finishedAt)
        }
        return reports
    }
}

extension SweepReport {
    /// Linear text, one fact a line, as `dispatch sweep` prints it.
    public var plainText: String {
        let report = self
        let verb = report.dryRun ? "would be" : "were"
        var lines = [report.dryRun ? "Dry run: nothing was changed." : "Sweep \(report.complete ? "finished" : "stopped before the end; run it again to continue")."]
        switch report.sweep {
        case .expiry:
            lines.append("Assignments past their expiry time: \(report.due).")
            lines.append("Open assignments that \(verb) expired: \(report.expired.count).")
            lines.append("Closed assignments whose case information \(verb) destroyed: \(report.payloadsDestroyed.count).")
        case .keys:
            lines.append("Assignments with sealed keys to destroy: \(report.due).")
            lines.append("Assignments whose keys \(verb) destroyed: \(report.keysDestroyedFor.count).")
            if let erasure = report.erasure { lines += erasure.lines(verb: verb) }
        case .retention:
            lines.append("Closed assignments past their retention: \(report.due).")
            lines.append("Assignments that \(verb) archived: \(report.archived.count).")
        }
        lines.append("Sealed keys that \(verb) destroyed: \(report.sealedKeysDestroyed).")
        return lines.joined(separator: "\n")
    }
}

extension ErasureReport {
    /// The erasure part of the key sweep's text, one fact a line.
    func lines(verb: String) -> [String] {
        var lines: [String] = []
        lines.append(
            epochsDestroyed.isEmpty
                ? "Erasure keys that \(verb) destroyed: none."
                : "Erasure keys that \(verb) destroyed: \(epochsDestroyed.count), for \(epochsDestroyed.map(\.description).joined(separator: ", ")).")
        if let oldest = epochsHeld.first, let goneBy = oldestHeldGoneBy {
            lines.append(
                "Erasure keys held: \(epochsHeld.count), the oldest for \(oldest); it goes once nothing sealed that day is open, at the latest by the end of \(ErasureEpoch(containing: goneBy)) (UTC).")
        } else {
            lines.append("Erasure keys held: none.")
        }
        lines.append(
            "Bound: a sealed key's copies in the WAL, archives and backups open nothing once its day's key is gone, at the latest \(longestLifetimeDays) days after that day ends (the longest assignment lifetime of any organisation).")
        if !epochsMissing.isEmpty {
            lines.append(
                "Warning: sealed keys of \(epochsMissing.map(\.description).joined(separator: ", ")) have no erasure key in the keyring (it was lost or replaced): those envelopes can no longer be handed out; the coordinators must send them again.")
        }
        let waiting = waitingForVacuum.filter { $0.deadRowVersions > 0 }
        lines.append(
            waiting.isEmpty
                ? "Waiting for VACUUM: nothing."
                : "Waiting for VACUUM: " + waiting.map { "\($0.deadRowVersions) old row versions in \($0.table)" }.joined(separator: ", ") + "; the job runner vacuums every minute.")
        return lines
    }
}
