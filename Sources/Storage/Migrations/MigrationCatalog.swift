import Postgres

/// Every migration of this version of the program, in order. Each is a file of its own in this
/// folder; a landed migration is never edited (``Migrator`` checks their checksums).
public enum MigrationCatalog {
    public static let all: [Migration] = [
        InitialSchema.migration,
        AccountTokens.migration,
        DispatchDelivery.migration,
        ScheduledWork.migration,
        Retention.migration,
        TypedAuditDetails.migration,
        ServerKeyVersions.migration,
        NarrowLookups.migration,
        ProvenScopes.migration,
        ErasureEpochs.migration,
        HonorariumRates.migration,
        HonorariumClosedPeriods.migration,
        FeedVersionLookup.migration,
        SweepOrderIndexes.migration,
        BatchedAuditChain.migration,
        OpenOverviewIndexes.migration,
        FeedVersionPlanCache.migration,
        WebSessions.migration,
        DeclineBeforeReading.migration,
        SenderCopies.migration,
        ErasureReceiptsAndReassignment.migration,
        PostQuantumEnvelopes.migration,
    ]
}

extension Migrator {
    /// The migrator of this program's schema.
    public static var schema: Migrator { Migrator(migrations: MigrationCatalog.all) }
}
