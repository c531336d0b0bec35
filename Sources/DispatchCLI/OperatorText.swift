import Foundation
import Postgres
import Storage

// The sentences that operator commands print for the values the Postgres and Storage layers
// return: linear text, one fact a line, that reads well aloud (`--json` prints the values).

extension DatabaseStatusReport {
    /// Linear text, one fact a line, that reads well aloud.
    var plainText: String {
        var lines: [String] = []
        if mode == "embedded" {
            lines.append("Database: embedded PostgreSQL \(serverVersion), data folder \(location).")
            switch lease {
            case "started": lines.append("It was started by this command and is stopped when the command ends.")
            case "already running": lines.append("It was already running; this command leaves it running.")
            default: lines.append("It runs in the background until: dispatch db stop")
            }
            if let connectionURI { lines.append("To look inside with psql: psql '\(connectionURI)'") }
        } else {
            lines.append("Database: PostgreSQL \(serverVersion) at \(location).")
        }
        if !appliedNow.isEmpty { lines.append("Applied now: \(appliedNow.joined(separator: ", ")).") }
        lines.append(MigrationState.summary(migrations))
        lines.append("Contents: \(organizations) \(organizations == 1 ? "organisation" : "organisations"), \(users) \(users == 1 ? "user" : "users"), \(assignments) \(assignments == 1 ? "assignment" : "assignments").")
        if let erasureKeyring {
            lines.append("Erasure keyring: \(erasureKeyring.path), \(erasureKeyring.epochsHeld == 1 ? "1 day's key" : "\(erasureKeyring.epochsHeld) days' keys") held.")
            if !erasureKeyring.missing.isEmpty {
                let days = erasureKeyring.missing.map { "\($0.epoch) (\($0.sealedKeys) sealed \($0.sealedKeys == 1 ? "key" : "keys"))" }.joined(separator: ", ")
                lines.append(
                    "Warning: the erasure keyring has no key for \(days). Those envelopes can no longer be handed out; ask the coordinators to send them again. If the keyring file was replaced, put the original back (DISPATCH_ERASURE_KEYRING_FILE).")
            }
        }
        if let servingRole {
            if servingRole.problems.isEmpty {
                lines.append("Serving role: \(servingRole.name), no superuser, bound by row-level security, owns nothing.")
            } else {
                lines += servingRole.problems.map { "Warning: " + servingRole.explanation(of: $0) }
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension MigrationState {
    /// "Migrations: 1 applied, none pending. Newest applied: 0001 initial schema."
    static func summary(_ states: [MigrationState]) -> String {
        let applied = states.filter { $0.status == .applied }
        let pending = states.filter { $0.status == .pending }.count
        let changed = states.filter { $0.status == .changed }.count
        let unknown = states.filter { $0.status == .unknown }.count
        var text = "Migrations: \(applied.count) applied, \(pending == 0 ? "none" : String(pending)) pending."
        if changed > 0 { text += " \(changed) changed after being applied: run dispatch migrate for details." }
        if unknown > 0 { text += " \(unknown) unknown to this version." }
        if let newest = applied.last { text += " Newest applied: \(newest.label)." }
        return text
    }

    var label: String {
        Migration.label(version: version, name: name)
    }

    /// "0001 initial schema: applied 2026-11-23 08:40 UTC."
    var line: String {
        switch status {
        case .applied: "\(label): applied \(appliedAt.map(Self.minuteText) ?? "")."
        case .pending: "\(label): pending."
        case .changed: "\(label): changed after it was applied. This must be fixed before migrating."
        case .unknown: "\(label): applied by a newer version of dispatch."
        }
    }

    static func minuteText(_ date: Date) -> String {
        String(PostgresTimestamp.format(date).prefix(16)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }
}

extension EmbeddedDatabaseReport {
    var plainText: String {
        var lines: [String] = []
        switch action {
        case "started": lines.append("Embedded database started. It keeps running until: dispatch db stop")
        case "was already running": lines.append("Embedded database was already running.")
        case "stopped": lines.append("Embedded database stopped.")
        case "was not running": lines.append("Embedded database was not running.")
        default: break
        }
        lines.append("Data folder: \(dataFolder).")
        switch state {
        case "running": lines.append("State: running, server process \(processID.map(String.init) ?? "unknown").")
        case "stopped": lines.append("State: stopped. Start it with: dispatch db start")
        default: lines.append("State: not created yet. Create and start it with: dispatch db start")
        }
        if state == "running" { lines.append("To look inside with psql: psql '\(connectionURI)'") }
        return lines.joined(separator: "\n")
    }
}

extension MigrationReport {
    var plainText: String {
        var lines: [String] = []
        lines.append(applied.isEmpty ? "No migration to apply." : "Applied: \(applied.joined(separator: ", ")).")
        lines.append(MigrationState.summary(migrations))
        return lines.joined(separator: "\n")
    }

    var statusText: String {
        ([MigrationState.summary(migrations)] + migrations.map(\.line)).joined(separator: "\n")
    }
}

extension OrganizationRecord {
    /// Linear text, one fact a line.
    var plainText: String {
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
            "Assignments expire at the latest \(settings.assignmentLifetimeDays) days after dispatch.",
            "A device that has not confirmed erasing a closed assignment is overdue after \(settings.erasureConfirmationDays) days.",
            settings.requirePostQuantum
                ? "Every dispatch must be a post-quantum envelope (format 2)."
                : "Dispatches are post-quantum (format 2) when every device has a post-quantum key, and format 1 otherwise.",
        ].joined(separator: "\n")
    }
}

extension UserRecord {
    var plainText: String {
        [
            "User: \(handle).",
            "Role: \(role.rawValue.replacingOccurrences(of: "_", with: " ")).",
            "Status: \(status.rawValue).",
            "Id: \(id).",
        ].joined(separator: "\n")
    }
}

extension IssuedToken {
    func plainText(for handle: String) -> String {
        [
            "Token for \(handle). It is shown only this once: store it now.",
            token,
            "It expires \(String(PostgresTimestamp.format(expiresAt).prefix(16)).replacingOccurrences(of: "T", with: " ")) UTC.",
            "Token id, to revoke it: \(id.uuidString.lowercased()).",
        ].joined(separator: "\n")
    }
}

enum OperatorText {
    /// `dispatch sweep keys --report`: one sentence per device, most overdue first.
    static func overdueErasures(_ devices: [OverdueErasureDevice]) -> String {
        guard !devices.isEmpty else { return "No device is overdue: every device that held a closed assignment has confirmed erasing it, or still has time." }
        var lines = ["\(devices.count) \(devices.count == 1 ? "device has" : "devices have") not confirmed erasing closed assignments in time, most overdue first:"]
        for device in devices {
            lines.append(
                "\(device.organization): the device of \(device.handle), fingerprint \(device.device.readAloud.joined(separator: " ")): "
                    + "\(device.assignments) \(device.assignments == 1 ? "assignment" : "assignments"), the oldest closed \(MigrationState.minuteText(device.oldestClosedAt)).")
        }
        lines.append("Ask each peer mentor to open the app and run dispatch sync --sign; a lost device should have its key revoked.")
        return lines.joined(separator: "\n")
    }
}
