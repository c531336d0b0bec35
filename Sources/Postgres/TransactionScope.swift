import AssignmentCore
import Envelope

/// The three ways application code touches the database. Every transaction runs as the
/// `dispatch_tenant` role, so row-level security applies even when the login is more privileged,
/// and every scope but ``lookup`` carries a **scope proof** (migration 0009): an HMAC under the
/// process's ``ScopeProofKey`` over the scope, the actor and the transaction's id. The policies
/// accept the scope setting only with a valid proof, so a statement smuggled into the connection
/// that changes the setting (`set_config`), or the role (`RESET ROLE`, `SET ROLE`), reaches no other
/// organisation's rows.
///
/// - ``tenant(_:actor:)``: on behalf of a user of one organisation, or of the operator working on
///   one organisation (admin commands, reports, extracts). Row-level security hides every other
///   organisation's rows even from a query that forgets its `WHERE organization_id = …`.
/// - ``lookup``: before anyone is known (a bearer token, a feed address, an organisation's name).
///   No scope: row-level security hides every row, and only the narrow `SECURITY DEFINER` look-up
///   functions the schema grants answer.
/// - ``scheduler``: the scheduler's jobs that work through every organisation in one batch
///   (sweeps, reminders, notification delivery). No request handler uses it.
///
/// All set `dispatch.actor_id` and `dispatch.actor_role`, which the lifecycle trigger writes into
/// every assignment event and audit entry; a status change without them is refused.
public enum TransactionScope: Sendable, Hashable {
    case tenant(OrganizationID, actor: Principal)
    case lookup
    case scheduler

    var actor: Principal {
        switch self {
        case .tenant(_, let actor): actor
        case .lookup, .scheduler: .system
        }
    }

    /// What `dispatch.organization_id` holds: an organisation, `*` for the scheduler, or nothing.
    var scopeSetting: String {
        switch self {
        case .tenant(let organizationID, _): organizationID.description
        case .scheduler: "*"
        case .lookup: ""
        }
    }

    /// Applies the scope to the transaction that has just begun on `connection`, with the
    /// configuration's statement and lock timeouts (for this transaction only). A proven scope
    /// costs one more round trip, for the transaction id the proof is bound to.
    func apply(to connection: PostgresConnection, limits: DatabaseConfiguration, proofKey: ScopeProofKey?) throws {
        let scope = scopeSetting
        let actorID = actor.userID?.description ?? ""
        let actorRole = actor.roleName
        var keyID = ""
        var proof = ""
        if !scope.isEmpty {
            guard let key = proofKey else { throw PostgresError.scopeProofKeyMissing }
            let transactionID = try connection.query("SELECT pg_current_xact_id()::text AS id").first!.decode("id", as: String.self)
            keyID = key.id
            proof = key.proof(scope: scope, actorID: actorID, actorRole: actorRole, transactionID: transactionID)
        }
        try connection.execute(
            """
            SELECT set_config('dispatch.organization_id', $1, true), set_config('dispatch.actor_id', $2, true), set_config('dispatch.actor_role', $3, true),
                   set_config('dispatch.scope_key', $4, true), set_config('dispatch.scope_proof', $5, true),
                   set_config('statement_timeout', $6, true), set_config('lock_timeout', $7, true), set_config('role', $8, true)
            """,
            [scope, actorID, actorRole, keyID, proof, Self.milliseconds(limits.statementTimeout), Self.milliseconds(limits.lockTimeout), DatabaseRoles.tenant])
    }
}

extension TransactionScope {
    /// A duration as PostgreSQL's timeout settings take it (milliseconds, at least 1).
    static func milliseconds(_ duration: Duration) -> String {
        String(max(1, duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
    }
}

/// Database roles the schema's grants and the embedded cluster use.
public enum DatabaseRoles {
    /// The role every transaction switches to and every grant goes to; row-level security applies
    /// to it. It cannot log in.
    public static let tenant = "dispatch_tenant"
    /// The embedded cluster's owner of the schema, which migrates it (with an external server, the
    /// role in `DATABASE_OWNER_URL`).
    public static let owner = "dispatch_owner"
    /// The embedded cluster's login role for the application: a member of ``tenant`` and nothing
    /// more (with an external server, any role set up the same way; `docs/configuration.md`).
    public static let application = "dispatch_app"
}
