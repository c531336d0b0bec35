import AssignmentCore
import Contract
import Foundation
import Storage

// How the domain's values look on the wire: the one place where they become the contract's
// generated types (Sources/Contract/openapi.yaml). Stores return domain values; nothing else in
// the server knows a JSON member name.

extension Components.Schemas.User {
    init(_ user: UserRecord) {
        self.init(
            id: user.id.description, organizationId: user.organizationID.description, localAssociationId: user.localAssociationID?.description,
            handle: user.handle, role: .init(user.role), status: .init(user.status))
    }
}

extension Components.Schemas.Role {
    init(_ role: Role) { self = Self(rawValue: role.rawValue)! }
}

extension Components.Schemas.UserStatus {
    init(_ status: UserStatus) { self = Self(rawValue: status.rawValue)! }
}

extension Components.Schemas.AssignmentStatus {
    init(_ status: AssignmentStatus) { self = Self(rawValue: status.rawValue)! }
}

extension Components.Schemas.Priority {
    init(_ priority: Priority) { self = Self(rawValue: priority.rawValue)! }
}

extension Priority {
    init(_ priority: Components.Schemas.Priority) { self = Self(rawValue: priority.rawValue)! }
}

extension AssignmentStatus {
    init(_ status: Components.Schemas.OpenStatus) { self = Self(rawValue: status.rawValue)! }
}

extension Components.Schemas.DeviceKey {
    init(_ key: RegisteredDeviceKey) {
        self.init(
            id: key.id.description, userId: key.userID.description, label: key.label, encryptionPublicKey: key.encryptionPublicKey,
            signingPublicKey: key.signingPublicKey, kemPublicKey: key.kemPublicKey, fingerprint: key.fingerprint, fingerprintReadAloud: key.fingerprintReadAloud,
            status: Components.Schemas.DeviceKeyStatus(rawValue: key.status.rawValue)!, createdAt: key.createdAt)
    }
}

extension Components.Schemas.Assignment {
    /// Coordinator notes only for coordinators and admins, as the seeds ask.
    init(_ assignment: Assignment, for viewer: UserRecord) {
        self.init(
            id: assignment.id.description, organizationId: assignment.organizationID.description, coordinatorId: assignment.coordinatorID.description,
            peerMentorId: assignment.peerMentorID.description, title: assignment.title,
            coordinatorNotes: viewer.role.dispatches ? assignment.coordinatorNotes : nil, status: .init(assignment.status),
            priority: .init(assignment.priority), isUrgent: assignment.isUrgent, requiresConsent: assignment.requiresConsent,
            consentGivenAt: assignment.consentGivenAt, dispatchedAt: assignment.dispatchedAt, deliveredAt: assignment.deliveredAt,
            readAt: assignment.readAt, acknowledgedAt: assignment.acknowledgedAt, contactMadeAt: assignment.contactMadeAt,
            completedAt: assignment.completedAt, cancelledAt: assignment.cancelledAt, cancellationReason: assignment.cancellationReason,
            declinedAt: assignment.declinedAt, declineReason: assignment.declineReason?.rawValue,
            expiresAt: assignment.expiresAt, contactDeadlineAt: assignment.contactDeadlineAt, payloadDestroyed: assignment.payloadDestroyedAt != nil,
            reminderCount: assignment.reminderCount, nextReminderAt: assignment.nextReminderAt,
            reassignedFrom: assignment.reassignedFrom?.description, localAssociationId: assignment.localAssociationID?.description,
            assignmentType: assignment.assignmentType, geographicRegion: assignment.geographicRegion, honorariumEligible: assignment.honorariumEligible)
    }
}

extension Components.Schemas.ErasureConfirmation {
    init(_ record: ErasureConfirmationRecord) {
        self.init(
            assignmentId: record.assignmentID.description, device: record.device.hex, erasedAt: record.erasedAt,
            reason: .init(rawValue: record.reason.rawValue)!, receivedAt: record.receivedAt)
    }
}

extension Components.Schemas.ClosedAssignmentErasure {
    init(_ closed: ClosedAssignmentErasure) {
        self.init(
            assignmentId: closed.assignmentID.description, status: .init(closed.status), closedAt: closed.closedAt,
            devices: closed.holders.map {
                .init(
                    device: $0.device.hex, handle: $0.handle, confirmedAt: $0.confirmation?.erasedAt, reason: $0.confirmation?.reason.rawValue,
                    overdue: $0.overdue)
            })
    }
}

extension Components.Schemas.Dispatched {
    init(_ dispatched: DispatchedAssignment, for viewer: UserRecord) {
        self.init(
            assignment: .init(dispatched.assignment, for: viewer),
            warnings: dispatched.warnings.map {
                .init(kind: .init(rawValue: $0.kind.rawValue)!, start: $0.start, length: $0.length)
            })
    }
}

extension Components.Schemas.Overview {
    init(_ overview: StatusOverview) {
        self.init(
            asOf: overview.asOf, counts: .init(additionalProperties: overview.counts), overdueCount: overview.overdueCount,
            assignments: overview.assignments.map(Components.Schemas.OverviewEntry.init),
            nextCursor: overview.nextCursor.map(OverviewCursorText.encode),
            recentlyDeclined: overview.recentlyDeclined.map { entry in
                .init(
                    id: entry.id.description, title: entry.title, peerMentorId: entry.peerMentorID.description, peerMentorHandle: entry.peerMentorHandle,
                    geographicRegion: entry.geographicRegion, declinedAt: entry.declinedAt, declineReason: .init(entry.reason))
            })
    }
}

extension Components.Schemas.Suggestion {
    init(_ suggestion: ReassignmentSuggestion) {
        self.init(
            peerMentorId: suggestion.peerMentorID.description, handle: suggestion.handle, sameLocalAssociation: suggestion.sameLocalAssociation,
            knowsRegion: suggestion.knowsRegion, openAssignments: suggestion.openAssignments)
    }
}

extension Components.Schemas.DeclineReason {
    init(_ reason: DeclineReason) { self = Self(rawValue: reason.rawValue)! }
}

extension Components.Schemas.OverviewEntry {
    init(_ entry: OverviewEntry) {
        self.init(
            id: entry.id.description, title: entry.title, status: .init(entry.status), coordinatorId: entry.coordinatorID.description,
            peerMentorId: entry.peerMentorID.description, peerMentorHandle: entry.peerMentorHandle, geographicRegion: entry.geographicRegion,
            priority: .init(entry.priority), isUrgent: entry.isUrgent, requiresConsent: entry.requiresConsent, consentGivenAt: entry.consentGivenAt,
            dispatchedAt: entry.dispatchedAt, deliveredAt: entry.deliveredAt, readAt: entry.readAt, acknowledgedAt: entry.acknowledgedAt,
            contactMadeAt: entry.contactMadeAt, contactDeadline: entry.contactDeadline, overdue: entry.overdue, reminderCount: entry.reminderCount,
            reminderSentAt: entry.reminderSentAt, nextReminderAt: entry.nextReminderAt, expiresAt: entry.expiresAt)
    }
}

extension Components.Schemas.HonorariumRateSet {
    init(_ set: HonorariumRateSet) {
        self.init(
            validFrom: set.validFrom, currency: set.currency,
            rates: set.rates.map {
                .init(kind: $0.kind == .band ? .band : .tierBonus, threshold: $0.threshold, amountOre: $0.amountOre, payCode: $0.payCode)
            })
    }
}

extension Components.Schemas.HonorariumStatement {
    init(_ statement: HonorariumStatement) {
        self.init(
            userId: statement.userID.description, handle: statement.handle, period: statement.period, counted: statement.counted,
            tierReached: statement.tierReached, nextTier: statement.nextTier, tiers: statement.tiers,
            entries: statement.entries.map {
                .init(assignmentId: $0.assignmentID.description, number: $0.number, countedAt: $0.countedAt, voidedAt: $0.voidedAt, voidReason: $0.voidReason)
            },
            tierEvents: statement.tierEvents.map {
                .init(tier: $0.tier, assignmentId: $0.assignmentID?.description, crossedAt: $0.crossedAt, reversedAt: $0.reversedAt, reversalReason: $0.reversalReason)
            })
    }
}

extension Components.Schemas.Feed {
    /// Throws for a language the contract does not know (the database allows only nb and en).
    init(_ feed: FeedRecord) throws {
        guard let language = Components.Schemas.Language(rawValue: feed.language) else { throw FeedError.languageInvalid }
        self.init(
            id: feed.id.uuidString.lowercased(), organizationId: feed.organizationID.description, userId: feed.userID.description,
            handle: feed.handle, language: language, createdAt: feed.createdAt)
    }
}

extension Components.Schemas.IssuedFeed {
    init(_ address: FeedAddress) throws {
        self.init(feed: try .init(address.feed), url: address.url, webcalUrl: address.webcalURL, replaced: address.replaced)
    }
}
