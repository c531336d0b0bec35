import AssignmentCore

/// The two ways application code touches the database.
///
/// - ``tenant(_:actor:)``: on behalf of a user of one organisation. The transaction runs as the
///   `dispatch_tenant` role with `dispatch.organization_id` set, so row-level security hides every
///   other organisation's rows even from a query that forgets its `WHERE organization_id = …`.
/// - ``lookup``: before anyone is known (a bearer token, a feed address). The tenant role with no
///   organisation: row-level security hides every row, and only the narrow `SECURITY DEFINER`
///   look-up functions the schema grants it answer.
/// - ``system(actor:)``: the scheduler's sweeps and admin commands that span organisations. It
///   runs as the schema owner, which row-level security does not restrict.
///
/// Both set `dispatch.actor_id` and `dispatch.actor_role`, which the lifecycle trigger writes into
/// every assignment event and audit entry; a status change without them is refused.
public enum TransactionScope: Sendable, Hashable {
    case tenant(OrganizationID, actor: Principal)
    case lookup
    case system(actor: Principal)

    var actor: Principal {
        switch self {
        case .tenant(_, let actor), .system(let actor): actor
        case .lookup: .system
        }
    }

    /// Applies the scope to the transaction that has just begun on `connection`, with the
    /// configuration's statement and lock timeouts (for this transaction only).
    func apply(to connection: PostgresConnection, limits: DatabaseConfiguration) throws {
        let organization: String
        switch self {
        case .tenant(let organizationID, _): organization = organizationID.description
        case .system, .lookup: organization = ""
        }
        try connection.execute(
            """
            SELECT set_config('dispatch.organization_id', $1, true), set_config('dispatch.actor_id', $2, true), set_config('dispatch.actor_role', $3, true),
                   set_config('statement_timeout', $4, true), set_config('lock_timeout', $5, true)
            """,
            [organization, actor.userID?.description ?? "", actor.roleName, Self.milliseconds(limits.statementTimeout), Self.milliseconds(limits.lockTimeout)])
        switch self {
        case .tenant, .lookup: try connection.execute("SET LOCAL ROLE \(DatabaseRoles.tenant)")
        case .system: break
        }
    }
}

extension TransactionScope {
    /// A duration as PostgreSQL's timeout settings take it (milliseconds, at least 1).
    static func milliseconds(_ duration: Duration) -> String {
        String(max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }
}

/// Database roles the schema creates.
public enum DatabaseRoles {
    /// The role tenant-scoped transactions switch to; row-level security applies to it.
    public static let tenant = "dispatch_tenant"
}
