import AssignmentCore
import Foundation
import Postgres

/// How much of an organisation's audit trail is not yet linked into its chain.
public struct AuditLinkBacklog: Sendable, Hashable {
    /// Entries written and committed but not yet given a sequence number and hashes.
    public var unlinked: Int
    /// When the oldest of them occurred; `nil` when there are none.
    public var oldestOccurredAt: Date?

    public init(unlinked: Int, oldestOccurredAt: Date?) {
        self.unlinked = unlinked
        self.oldestOccurredAt = oldestOccurredAt
    }
}

/// Links audit entries into their organisations' hash chains (migration 0015, docs/audit.md).
///
/// Writers append entries unlinked, without waiting for each other; a link pass gives the committed
/// unlinked entries of each organisation, oldest first, their sequence numbers and hashes, in one
/// short transaction per batch. Any number of processes may run passes at once: an organisation
/// that another pass is linking is skipped by this one, and the database itself refuses a link that
/// does not continue the chain. The ``AuditChainer`` service runs passes every fraction of a second
/// inside `dispatch serve` and `dispatch jobs run`; an audit extract runs one for its organisation
/// first, so that it ends with what was just written.
public struct AuditChainStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Links up to `batchSize` entries of every organisation with unlinked entries (one batch
    /// each), across organisations. Returns how many it linked.
    public func linkPending(batchSize: Int = 5_000) async throws -> Int {
        try await database.transaction(.scheduler) { db in try Self.linkPending(batchSize: batchSize, on: db) }
    }

    /// Links passes until one finds less than a full batch: everything committed before the first
    /// started, of one organisation or (without one) of all. Returns how many it linked; stops
    /// early where another process is linking the same organisation (that process links the rest).
    public func linkBacklog(of organization: OrganizationID? = nil, batchSize: Int = 5_000) async throws -> Int {
        let scope: TransactionScope = organization.map { .tenant($0, actor: .system) } ?? .scheduler
        var total = 0
        while true {
            let linked = try await database.transaction(scope) { db in try Self.linkPending(batchSize: batchSize, on: db) }
            total += linked
            if linked < batchSize { return total }
        }
    }

    /// How many entries of an organisation wait to be linked, and since when.
    public func backlog(of organization: OrganizationID) async throws -> AuditLinkBacklog {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            let row = try db.query(
                "SELECT count(*) AS unlinked, min(occurred_at) AS oldest FROM audit_entries WHERE organization_id = $1 AND sequence IS NULL",
                [organization]
            ).first
            return AuditLinkBacklog(unlinked: try row?.decode("unlinked") ?? 0, oldestOccurredAt: try row?.decodeIfPresent("oldest"))
        }
    }

    /// One link pass in the caller's transaction, over the organisations its scope sees.
    static func linkPending(batchSize: Int, on db: PostgresConnection) throws -> Int {
        try db.query("SELECT audit_link_pending($1) AS linked", [batchSize]).first?.decode("linked") ?? 0
    }
}
