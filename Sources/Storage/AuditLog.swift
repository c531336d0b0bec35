import AssignmentCore
import Foundation
import Postgres

/// The one writer of the audit table. Every entry the program writes (besides the lifecycle
/// trigger's own `assignment.created`, `assignment.status_changed` and `assignment.contact_made`)
/// goes through ``append(_:organization:at:on:)``, in the transaction of the change it records.
///
/// The actor comes from the transaction's scope (`dispatch.actor_id`, `dispatch.actor_role`), the
/// sequence and hashes from the database's link trigger (`docs/audit.md`).
public enum AuditLog {
    public static func append(_ entry: AuditEntry, organization: OrganizationID, at time: Date, on db: PostgresConnection) throws {
        try db.execute(
            """
            INSERT INTO audit_entries (organization_id, occurred_at, actor_id, actor_role, action, subject_type, subject_id, details)
            VALUES ($1, $2, nullif(current_setting('dispatch.actor_id', true), '')::uuid, current_setting('dispatch.actor_role', true),
                    $3, $4, $5, $6::jsonb)
            """, [organization, time, entry.action.rawValue, entry.subject.type, entry.subject.id, try entry.detailsJSON()])
    }
}

/// What happened, to what, with which details: one audit entry before the database numbers and
/// links it. Details are typed values that hold ids, statuses and counts, never personal data.
public struct AuditEntry: Sendable {
    public var action: AuditAction
    public var subject: AuditSubject
    public var details: any Encodable & Sendable

    public init(_ action: AuditAction, _ subject: AuditSubject, details: any Encodable & Sendable = AuditDetails.None()) {
        self.action = action
        self.subject = subject
        self.details = details
    }

    /// The details as a JSON object (snake_case keys), as stored in the `jsonb` column.
    func detailsJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(details), as: UTF8.self)
    }
}

/// Every action the audit table records. The raw value is what an entry stores and an extract shows.
public enum AuditAction: String, Sendable, CaseIterable {
    case organizationCreated = "organization.created"
    case organizationSettingsChanged = "organization.settings_changed"
    case organizationWebhookChanged = "organization.webhook_changed"
    case localAssociationCreated = "local_association.created"
    case userCreated = "user.created"
    case userStatusChanged = "user.status_changed"
    case tokenIssued = "token.issued"
    case tokenRevoked = "token.revoked"
    case deviceKeyRegistered = "device_key.registered"
    case deviceKeyRetired = "device_key.retired"
    case deviceKeyRevoked = "device_key.revoked"
    /// Written by the lifecycle trigger.
    case assignmentCreated = "assignment.created"
    /// Written by the lifecycle trigger.
    case assignmentStatusChanged = "assignment.status_changed"
    /// Written by the lifecycle trigger.
    case assignmentContactMade = "assignment.contact_made"
    case assignmentPayloadDownloaded = "assignment.payload_downloaded"
    /// A recipient's device decrypted the case (the decryption receipt), once per opening.
    case assignmentPayloadOpened = "assignment.payload_opened"
    case assignmentConsentGiven = "assignment.consent_given"
    case assignmentReminderSent = "assignment.reminder_sent"
    case assignmentEscalationSent = "assignment.escalation_sent"
    case assignmentPayloadDestroyed = "assignment.payload_destroyed"
    case assignmentSealedKeysDestroyed = "assignment.sealed_keys_destroyed"
    case assignmentArchived = "assignment.archived"
    case honorariumCounted = "honorarium.counted"
    case honorariumTierReached = "honorarium.tier_reached"
    case honorariumVoided = "honorarium.voided"
    /// An organisation's honorarium rates from a day on were set (or replaced).
    case honorariumRatesChanged = "honorarium.rates_changed"
    /// A month's honorarium report was closed as paid.
    case honorariumPeriodClosed = "honorarium.period_closed"
    case notificationDeadLettered = "notification.dead_lettered"
    case notificationRequeued = "notification.requeued"
    case feedCreated = "feed.created"
    case feedRotated = "feed.rotated"
    case feedRevoked = "feed.revoked"
    /// Someone pulled an audit extract (HTTP or command line).
    case auditExtractPulled = "audit.extract_pulled"
    /// Someone pulled a honorarium report (HTTP or command line).
    case honorariumReportPulled = "honorarium.report_pulled"
    /// Someone looked at an assignment's history (its timeline): the API, a page, a subject report.
    case assignmentHistoryViewed = "assignment.history_viewed"
    /// A recipient's device confirmed, with a signed erasure receipt, that it removed its copy.
    case assignmentErasureConfirmed = "assignment.erasure_confirmed"
    /// The assignment was sent again to another peer mentor, as the assignment in the details.
    case assignmentReassigned = "assignment.reassigned"
    /// A browser signed in to the web pages (with a token or a one-time link).
    case sessionStarted = "session.started"
    /// A browser signed out.
    case sessionEnded = "session.ended"
    /// `dispatch users sign-in-link` made a one-time sign-in link.
    case signInLinkCreated = "sign_in_link.created"
    /// A sweep ran and changed something in this organisation (one entry per organisation).
    case sweepRan = "sweep.ran"
    /// A person ran a dry run of the sweeps for their organisation (nothing changed).
    case sweepDryRun = "sweep.dry_run"
}

/// What an audit entry is about: a kind of thing and its id.
public struct AuditSubject: Sendable, Hashable {
    public var type: String
    public var id: UUID

    public static func organization(_ id: OrganizationID) -> Self { Self(type: "organization", id: id.uuid) }
    public static func localAssociation(_ id: LocalAssociationID) -> Self { Self(type: "local_association", id: id.uuid) }
    public static func user(_ id: UserID) -> Self { Self(type: "user", id: id.uuid) }
    public static func token(_ id: UUID) -> Self { Self(type: "token", id: id) }
    public static func deviceKey(_ id: DeviceKeyID) -> Self { Self(type: "device_key", id: id.uuid) }
    public static func assignment(_ id: AssignmentID) -> Self { Self(type: "assignment", id: id.uuid) }
    public static func honorariumTier(_ id: UUID) -> Self { Self(type: "honorarium_tier", id: id) }
    public static func notification(_ id: UUID) -> Self { Self(type: "notification", id: id) }
    public static func session(_ id: UUID) -> Self { Self(type: "session", id: id) }
}

/// The details each action records (keys are written in snake_case). `docs/audit.md` lists them.
public enum AuditDetails {
    /// `{}`
    public struct None: Encodable, Sendable {
        public init() {}
    }

    public struct WebhookChanged: Encodable, Sendable {
        public var enabled: Bool
        public var secretVersion: Int

        public init(enabled: Bool, secretVersion: Int) {
            self.enabled = enabled
            self.secretVersion = secretVersion
        }
    }

    public struct UserCreated: Encodable, Sendable {
        public var role: Role

        public init(role: Role) {
            self.role = role
        }
    }

    public struct StatusChange<Status: Encodable & Sendable>: Encodable, Sendable {
        public var from: Status
        public var to: Status

        public init(from: Status, to: Status) {
            self.from = from
            self.to = to
        }
    }

    public struct TokenIssued: Encodable, Sendable {
        public var tokenID: AuditID

        public init(tokenID: AuditID) {
            self.tokenID = tokenID
        }
    }

    public struct PayloadDownloaded: Encodable, Sendable {
        public var deviceKeyID: AuditID

        public init(deviceKeyID: AuditID) {
            self.deviceKeyID = deviceKeyID
        }
    }

    public struct PayloadOpened: Encodable, Sendable {
        public var deviceKeyID: AuditID
        /// When the device says it decrypted the case (UTC); the entry's own time is when the
        /// server heard of it, later when the device was offline.
        public var openedAt: String

        public init(deviceKeyID: AuditID, openedAt: String) {
            self.deviceKeyID = deviceKeyID
            self.openedAt = openedAt
        }
    }

    public struct ErasureConfirmed: Encodable, Sendable {
        public var deviceKeyID: AuditID
        /// When the device says it erased its copy (UTC, whole seconds, as signed).
        public var erasedAt: String
        public var reason: String

        public init(deviceKeyID: AuditID, erasedAt: String, reason: String) {
            self.deviceKeyID = deviceKeyID
            self.erasedAt = erasedAt
            self.reason = reason
        }
    }

    public struct Reassigned: Encodable, Sendable {
        /// The new assignment.
        public var to: AuditID

        public init(to: AuditID) {
            self.to = to
        }
    }

    public struct ReminderSent: Encodable, Sendable {
        public var number: Int

        public init(number: Int) {
            self.number = number
        }
    }

    public struct PayloadDestroyed: Encodable, Sendable {
        public var reason: String
        public var sealedKeys: Int

        public init(reason: String, sealedKeys: Int) {
            self.reason = reason
            self.sealedKeys = sealedKeys
        }
    }

    public struct SealedKeysDestroyed: Encodable, Sendable {
        public var sealedKeys: Int

        public init(sealedKeys: Int) {
            self.sealedKeys = sealedKeys
        }
    }

    public struct Archived: Encodable, Sendable {
        public var status: AssignmentStatus

        public init(status: AssignmentStatus) {
            self.status = status
        }
    }

    public struct HonorariumCounted: Encodable, Sendable {
        public var number: Int
        public var period: String

        public init(number: Int, period: String) {
            self.number = number
            self.period = period
        }
    }

    public struct TierReached: Encodable, Sendable {
        public var period: String
        public var tier: Int

        public init(period: String, tier: Int) {
            self.period = period
            self.tier = tier
        }
    }

    public struct HonorariumVoided: Encodable, Sendable {
        public var count: Int
        public var period: String
        public var tiersReversed: [Int]

        public init(count: Int, period: String, tiersReversed: [Int]) {
            self.count = count
            self.period = period
            self.tiersReversed = tiersReversed
        }
    }

    public struct RatesChanged: Encodable, Sendable {
        public var validFrom: String
        public var currency: String
        public var rates: Int

        public init(validFrom: String, currency: String, rates: Int) {
            self.validFrom = validFrom
            self.currency = currency
            self.rates = rates
        }
    }

    public struct PeriodClosed: Encodable, Sendable {
        public var period: String
        /// The SHA-256 of the file that was closed, as hex.
        public var fileSHA256: String

        public init(period: String, fileSHA256: String) {
            self.period = period
            self.fileSHA256 = fileSHA256
        }

        enum CodingKeys: String, CodingKey {
            case period
            case fileSHA256 = "file_sha256"
        }
    }

    public struct DeadLettered: Encodable, Sendable {
        public var attempts: Int
        /// A short code such as `http_503` or `timeout`, never a response body.
        public var error: String

        public init(attempts: Int, error: String) {
            self.attempts = attempts
            self.error = error
        }
    }

    public struct Count: Encodable, Sendable {
        public var count: Int

        public init(count: Int) {
            self.count = count
        }
    }

    public struct ExtractPulled: Encodable, Sendable {
        /// The range asked for, as UTC times.
        public var from: String
        public var to: String
        public var format: String
        /// How it was pulled: `http` or `cli`.
        public var via: String

        public init(from: String, to: String, format: String, via: String) {
            self.from = from
            self.to = to
            self.format = format
            self.via = via
        }
    }

    public struct ReportPulled: Encodable, Sendable {
        public var period: String
        public var format: String
        public var language: String
        public var via: String

        public init(period: String, format: String, language: String, via: String) {
            self.period = period
            self.format = format
            self.language = language
            self.via = via
        }
    }

    public struct SessionStarted: Encodable, Sendable {
        /// `token` or `link`.
        public var method: String

        public init(method: String) { self.method = method }
    }

    public struct SweepRan: Encodable, Sendable {
        /// `expiry`, `keys` or `retention`.
        public var sweep: String
        /// The assignments of this organisation the sweep changed (or in a dry run, would).
        public var assignments: Int
        public var sealedKeysDestroyed: Int
        public var startedAt: String
        public var finishedAt: String

        public init(sweep: String, assignments: Int, sealedKeysDestroyed: Int, startedAt: String, finishedAt: String) {
            self.sweep = sweep
            self.assignments = assignments
            self.sealedKeysDestroyed = sealedKeysDestroyed
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }
    }

    public struct Feed: Encodable, Sendable {
        public var feedID: AuditID
        public var replacedFeedID: AuditID?

        public init(feedID: AuditID, replacedFeedID: AuditID? = nil) {
            self.feedID = feedID
            self.replacedFeedID = replacedFeedID
        }
    }
}

/// An id in audit details: lowercase, as ids are written everywhere else in the audit table.
public struct AuditID: Encodable, Sendable {
    public var uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(uuid.uuidString.lowercased())
    }
}
