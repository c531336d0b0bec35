import AssignmentCore
import Foundation
import Logging

extension Database {
    /// Opens the database and applies pending migrations: what admin commands and the server
    /// need before they touch any table.
    public static func openMigrated(_ configuration: DatabaseConfiguration, logger: Logger, now: Date) async throws -> Database {
        let database = try await open(configuration, logger: logger)
        do {
            _ = try await database.withConnection { try Migrator().migrate(on: $0, now: now) }
        } catch {
            try? await database.close()
            throw error
        }
        return database
    }
}

extension OrganizationRecord {
    /// Linear text, one fact a line.
    public var plainText: String {
        let tiers = settings.honorariumTiers.map(String.init)
        let tierText = tiers.count > 1 ? tiers.dropLast().joined(separator: ", ") + " and " + tiers.last! : tiers.joined()
        return [
            "Organisation: \(name).",
            "Id: \(id).",
            "Encrypted assignments: \(settings.encryptedAssignmentsEnabled ? "on" : "off").",
            "Time zone: \(settings.timeZoneIdentifier).",
            "Reminders: after \(settings.reminderAfterDays) days without contact, then every \(settings.reminderRepeatDays) days, at most \(settings.reminderMaximumCount) times.",
            "Honorarium tiers: \(tierText) assignments, counted when \(settings.honorariumCountingStatus.rawValue).",
            "Closed assignments are archived after \(settings.retentionDays) days.",
        ].joined(separator: "\n")
    }
}

extension UserRecord {
    public var plainText: String {
        [
            "User: \(handle).",
            "Role: \(role.rawValue.replacingOccurrences(of: "_", with: " ")).",
            "Status: \(status.rawValue).",
            "Id: \(id).",
        ].joined(separator: "\n")
    }
}

extension IssuedToken {
    public func plainText(for handle: String) -> String {
        [
            "Token for \(handle). It is shown only this once: store it now.",
            token,
            "It expires \(String(PostgresTimestamp.format(expiresAt).prefix(16)).replacingOccurrences(of: "T", with: " ")) UTC.",
            "Token id, to revoke it: \(id.uuidString.lowercased()).",
        ].joined(separator: "\n")
    }
}

