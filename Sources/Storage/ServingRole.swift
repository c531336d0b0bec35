import Postgres

/// What the role the application logs in as may do, read through the application's own pool:
/// `dispatch up` prints it and `serve` logs it, each problem with the statement that fixes it. With
/// the embedded default the role is `dispatch_app` and has none of these problems; with
/// `DATABASE_URL` it is whatever the operator configured (`docs/configuration.md`).
public struct ServingRole: Sendable, Codable, Hashable {
    public enum Problem: String, Sendable, Codable, Hashable, CaseIterable {
        case superuser = "superuser"
        case bypassesRowLevelSecurity = "bypasses_row_level_security"
        case ownsTables = "owns_tables"
        case notTenantMember = "not_tenant_member"
    }

    public var name: String
    public var problems: [Problem]

    /// Reads the facts for the current login of the application's pool.
    public static func inspect(_ database: Database) async throws -> ServingRole {
        try await database.withConnection { db in
            let row = try db.query(
                """
                SELECT current_user AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypass,
                       EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid AND c.relnamespace = 'public'::regnamespace) AS owns,
                       CASE WHEN EXISTS (SELECT 1 FROM pg_roles t WHERE t.rolname = $1) THEN pg_has_role(current_user, $1, 'MEMBER') ELSE false END AS member
                  FROM pg_roles r WHERE r.rolname = current_user
                """, [DatabaseRoles.tenant]
            ).first!
            var problems: [Problem] = []
            if try row.decode("superuser", as: Bool.self) { problems.append(.superuser) }
            if try row.decode("bypass", as: Bool.self) { problems.append(.bypassesRowLevelSecurity) }
            if try row.decode("owns", as: Bool.self) { problems.append(.ownsTables) }
            if try !row.decode("member", as: Bool.self) { problems.append(.notTenantMember) }
            return ServingRole(name: try row.decode("name"), problems: problems)
        }
    }

    /// One problem, what it exposes and how to fix it, in a sentence that reads well aloud.
    public func explanation(of problem: Problem) -> String {
        let role = "\"\(name.replacingOccurrences(of: "\"", with: "\"\""))\""
        return switch problem {
        case .superuser:
            "The serving role \(name) is a superuser: an injected statement could leave its organisation. Serve as a role of its own: CREATE ROLE dispatch_app LOGIN; GRANT dispatch_tenant TO dispatch_app; then point DATABASE_URL at it and DATABASE_OWNER_URL at \(name)."
        case .bypassesRowLevelSecurity:
            "The serving role \(name) bypasses row-level security. As a superuser: ALTER ROLE \(role) NOBYPASSRLS; or serve as a role of its own and keep this one in DATABASE_OWNER_URL."
        case .ownsTables:
            "The serving role \(name) owns the tables, so it can switch row-level security off. Serve as a role that owns nothing (CREATE ROLE dispatch_app LOGIN; GRANT dispatch_tenant TO dispatch_app), with DATABASE_URL for it and DATABASE_OWNER_URL for \(name)."
        case .notTenantMember:
            "The serving role \(name) is not a member of dispatch_tenant, so it has none of the grants. As the owner: GRANT dispatch_tenant TO \(role);"
        }
    }
}
