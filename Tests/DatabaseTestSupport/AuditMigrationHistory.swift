import AssignmentCore
import Foundation
import Postgres
import Storage

/// An audit chain written the way versions before migration 0006 wrote it (details as text, the
/// lifecycle trigger's `json_build_object(...)::text` with its spaces), then continued after it.
public enum AuditMigrationHistory {
    /// Migrates an empty database to 0005, then writes three entries as the old code did.
    public static func writeBeforeMigration6(in database: Database) async throws -> OrganizationID {
        let organization = OrganizationID(UUID())
        try await database.withOwnerConnection { db in
            _ = try Migrator(migrations: Array(MigrationCatalog.all.prefix(5))).migrate(on: db, now: Date())
            try db.execute("INSERT INTO organizations (id, name, created_at, updated_at) VALUES ($1, 'Before 0006', now(), now())", [organization])
            for (index, (action, details)) in [
                ("organization.created", #"{}"#),
                ("assignment.created", #"{"from" : null, "to" : "dispatched"}"#),
                ("user.created", #"{"role":"coordinator"}"#),
            ].enumerated() {
                try db.execute(
                    """
                    INSERT INTO audit_entries (organization_id, occurred_at, actor_role, action, subject_type, subject_id, details)
                    VALUES ($1, $2, 'system', $3, 'organization', $1, $4)
                    """, [organization, Date(timeIntervalSince1970: 1_790_000_000 + Double(index)), action, details])
            }
        }
        return organization
    }

    /// One entry through today's writer.
    public static func appendAfterMigration6(in database: Database, organization: OrganizationID) async throws {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try AuditLog.append(
                AuditEntry(.userCreated, .organization(organization), details: AuditDetails.UserCreated(role: .peerMentor)),
                organization: organization, at: Date(timeIntervalSince1970: 1_790_000_100), on: db)
        }
    }
}
