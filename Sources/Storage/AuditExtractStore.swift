import AssignmentCore
import Foundation
import Postgres

/// Where an audit extract starts and ends in an organisation's chain.
public struct AuditExtractRange: Sendable, Hashable {
    public var firstSequence: Int
    public var lastSequence: Int
    /// The hash the first entry links to: the entry before it, or 32 zero bytes at the chain's start.
    public var previousHash: String

    public var count: Int { lastSequence - firstSequence + 1 }
}

/// Reads the audit entries of an extract (docs/audit.md).
///
/// An extract is a *contiguous run* of one organisation's chain: from the earliest entry that
/// occurred at or after `from` to the latest that occurred before `to`, with every entry between
/// them by sequence (an entry written late with a slightly earlier time stays in its place), so
/// the run verifies on its own. The entries are append-only, so once the range is fixed the pages
/// can be read in separate short transactions and still be exactly the entries of the range;
/// memory holds one page at a time whatever the size of the range.
public struct AuditExtractStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// The range of the extract, or `nil` when no entry falls in the time range. The organisation's
    /// unlinked entries are linked first, so the extract ends with what was written before it
    /// started (its own pull included); only linked entries are part of an extract.
    public func range(of organization: OrganizationID, from: Date, to: Date) async throws -> AuditExtractRange? {
        _ = try await AuditChainStore(database: database).linkBacklog(of: organization)
        return try await database.transaction(.tenant(organization, actor: .system)) { db in
            guard
                let first = try db.query(
                    """
                    SELECT sequence, encode(previous_hash, 'hex') AS previous_hash FROM audit_entries
                     WHERE organization_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND sequence IS NOT NULL
                     ORDER BY occurred_at, sequence LIMIT 1
                    """, [organization, from, to]
                ).first,
                let last = try db.query(
                    """
                    SELECT sequence FROM audit_entries
                     WHERE organization_id = $1 AND occurred_at >= $2 AND occurred_at < $3 AND sequence IS NOT NULL
                     ORDER BY occurred_at DESC, sequence DESC LIMIT 1
                    """, [organization, from, to]
                ).first
            else { return nil }
            let firstSequence: Int = try first.decode("sequence")
            let lastSequence: Int = try last.decode("sequence")
            return AuditExtractRange(
                firstSequence: min(firstSequence, lastSequence), lastSequence: max(firstSequence, lastSequence),
                previousHash: try first.decode("previous_hash"))
        }
    }

    /// The whole linked chain of an organisation, as a range (for `audit verify --live`, which
    /// reports the unlinked tail separately: ``AuditChainStore/backlog(of:)``).
    public func wholeChain(of organization: OrganizationID) async throws -> AuditExtractRange? {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            guard let row = try db.query("SELECT min(sequence) AS first, max(sequence) AS last FROM audit_entries WHERE organization_id = $1", [organization]).first,
                let first: Int = try row.decodeIfPresent("first"), let last: Int = try row.decodeIfPresent("last")
            else { return nil }
            return AuditExtractRange(firstSequence: first, lastSequence: last, previousHash: Hex.encode(AuditChain.genesisHash))
        }
    }

    /// The entries of a range as one SQL text for `psql` (the benchmark's baseline), with the
    /// values (an id and two numbers) inlined.
    public static func baselineSQL(organization: OrganizationID, in range: AuditExtractRange) -> String {
        "SELECT \(AuditChain.columns) FROM audit_entries WHERE organization_id = '\(organization)' "
            + "AND sequence BETWEEN \(range.firstSequence) AND \(range.lastSequence) ORDER BY sequence"
    }

    /// Records that `actor` pulled an extract, before it is written: the audit trail shows who
    /// looked at it, also when the download breaks off. An extract whose range reaches the present
    /// holds its own pull as its last entry.
    public func recordPull(
        of organization: OrganizationID, from: Date, to: Date, format: String, via: String, by actor: Principal, at time: Date
    ) async throws {
        try await database.transaction(.tenant(organization, actor: actor)) { db in
            try AuditLog.append(
                AuditEntry(
                    .auditExtractPulled, .organization(organization),
                    details: AuditDetails.ExtractPulled(from: PostgresTimestamp.format(from), to: PostgresTimestamp.format(to), format: format, via: via)),
                organization: organization, at: time, on: db)
        }
    }

    /// Up to `limit` entries of `range` after the sequence number `after`, in chain order.
    public func page(of organization: OrganizationID, in range: AuditExtractRange, after: Int, limit: Int) async throws -> [AuditChain.Entry] {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try AuditChain.entries(of: organization, after: after, through: range.lastSequence, limit: limit, on: db)
        }
    }

    /// Calls `body` with the entries of `range`, `pageSize` at a time, in chain order. The entries
    /// are as stored: a gap or a changed row shows in what is returned, for the verifier to find.
    public func entries(
        of organization: OrganizationID, in range: AuditExtractRange, pageSize: Int = 1_000, _ body: ([AuditChain.Entry]) async throws -> Void
    ) async throws {
        var after = range.firstSequence - 1
        while after < range.lastSequence {
            let page = try await self.page(of: organization, in: range, after: after, limit: pageSize)
            guard let last = page.last else { break }
            try await body(page)
            after = last.sequence
        }
    }
}
