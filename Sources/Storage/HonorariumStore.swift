import AssignmentCore
import Envelope
import Foundation
import Postgres

/// One counted assignment in a peer mentor's honorarium history.
public struct HonorariumEntry: Sendable, Hashable, Codable {
    public var assignmentID: AssignmentID
    public var number: Int
    public var countedAt: Date
    public var voidedAt: Date?
    public var voidReason: String?

    enum CodingKeys: String, CodingKey {
        case number
        case assignmentID = "assignment_id"
        case countedAt = "counted_at"
        case voidedAt = "voided_at"
        case voidReason = "void_reason"
    }
}

/// A tier crossing, kept when a correction reverses it (marked, not deleted).
public struct HonorariumTierEvent: Sendable, Hashable, Codable {
    public var tier: Int
    public var assignmentID: AssignmentID?
    public var crossedAt: Date
    public var reversedAt: Date?
    public var reversalReason: String?

    enum CodingKeys: String, CodingKey {
        case tier
        case assignmentID = "assignment_id"
        case crossedAt = "crossed_at"
        case reversedAt = "reversed_at"
        case reversalReason = "reversal_reason"
    }
}

/// A peer mentor's honorarium for one period: the count, the tier reached, and the history.
public struct HonorariumStatement: Sendable, Hashable, Codable {
    public var userID: UserID
    public var handle: String
    public var period: String
    public var counted: Int
    public var tierReached: Int?
    public var nextTier: Int?
    public var tiers: [Int]
    public var entries: [HonorariumEntry]
    public var tierEvents: [HonorariumTierEvent]

    enum CodingKeys: String, CodingKey {
        case handle, period, counted, tiers, entries
        case userID = "user_id"
        case tierReached = "tier_reached"
        case nextTier = "next_tier"
        case tierEvents = "tier_events"
    }
}

/// Why an honorarium correction was refused.
/// Honorarium counting (docs/honorarium.md).
///
/// Counting happens inside the transaction that moves an assignment to the organisation's counting
/// status: the counter row is incremented with `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which
/// locks it until commit, so concurrent completions for one peer mentor take turns and each count
/// value is reached exactly once; a tier is crossed when the new count reaches it, and the partial
/// unique index on live tier events makes a second crossing impossible. `counted_for_honorarium`
/// on the assignment makes counting it twice impossible.
public struct HonorariumStore: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Counts `before` (the assignment as it was) if moving it to `status` makes it count.
    static func countIfDue(_ before: Assignment, reaching status: AssignmentStatus, at time: Date, on db: PostgresConnection) throws {
        let policy = try AccountStore.settings(of: before.organizationID, on: db).honorariumPolicy
        guard policy.counts(before, reaching: status) else { return }
        let period = policy.period(containing: time)
        let counted = try db.query(
            """
            INSERT INTO honorarium_counters (organization_id, peer_mentor_id, period, counted, updated_at) VALUES ($1, $2, $3, 1, $4)
            ON CONFLICT (organization_id, peer_mentor_id, period)
            DO UPDATE SET counted = honorarium_counters.counted + 1, updated_at = greatest(honorarium_counters.updated_at, $4)
            RETURNING counted
            """, [before.organizationID, before.peerMentorID, period, time]).first!.decode("counted", as: Int.self)
        try db.execute(
            "UPDATE assignments SET counted_for_honorarium = true, threshold_sequence_number = $2 WHERE id = $1", [before.id, counted])
        try db.execute(
            """
            INSERT INTO honorarium_entries (assignment_id, organization_id, peer_mentor_id, period, number, counted_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (assignment_id) DO UPDATE SET period = $4, number = $5, counted_at = $6, voided_at = NULL, void_reason = NULL
            """, [before.id, before.organizationID, before.peerMentorID, period, counted, time])
        try AuditLog.append(
            AuditEntry(.honorariumCounted, .assignment(before.id), details: AuditDetails.HonorariumCounted(number: counted, period: period)),
            organization: before.organizationID, at: time, on: db)
        for tier in policy.tiersCrossed(from: counted - 1, to: counted) {
            // An assignment is counted once, so (assignment, tier) names the event: its id is
            // derived from them, and the same history always gives the same audit chain.
            let digest = SHA256.hash(Array("dispatch.honorarium-tier-event:\(before.id):\(tier)".utf8))
            let eventID = UUID(bytes: digest, version: 5)
            let event = try db.query(
                """
                INSERT INTO honorarium_threshold_events (id, organization_id, peer_mentor_id, period, tier, assignment_id, crossed_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                ON CONFLICT (organization_id, peer_mentor_id, period, tier) WHERE reversed_at IS NULL DO NOTHING
                RETURNING id
                """, [eventID, before.organizationID, before.peerMentorID, period, tier, before.id, time])
            guard let id = try event.first?.decode("id", as: UUID.self) else { continue }
            try AuditLog.append(
                AuditEntry(.honorariumTierReached, .honorariumTier(id), details: AuditDetails.TierReached(period: period, tier: tier)),
                organization: before.organizationID, at: time, on: db)
            try NotificationStore.enqueue(
                try AccountStore.activeAdmins(of: before.organizationID, on: db).map { PlannedNotification(kind: .honorariumTierReached, recipient: $0) },
                about: before, at: time, on: db)
        }
    }

    // MARK: Statements

    /// A peer mentor's statement for `period` (default: the current one). Peer mentors may see only
    /// their own; coordinators and admins anyone's in their organisation.
    public func statement(of mentor: String, period: String?, as viewer: UserContext, at time: Date) async throws -> HonorariumStatement {
        try await database.transaction(.tenant(viewer.organizationID, actor: .user(viewer))) { db in
            let statement = try Self.statement(of: mentor, in: viewer.organizationID, period: period, at: time, on: db)
            guard viewer.role.dispatches || viewer.role.readsComplianceRecords || statement.userID == viewer.userID else { throw DomainError.notFound }
            return statement
        }
    }

    /// The same, for the operator on the server (`dispatch honorarium show`).
    public func statement(of mentor: String, in organization: OrganizationID, period: String?, at time: Date) async throws -> HonorariumStatement {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try Self.statement(of: mentor, in: organization, period: period, at: time, on: db)
        }
    }

    static func statement(of mentor: String, in organization: OrganizationID, period requested: String?, at time: Date, on db: PostgresConnection) throws -> HonorariumStatement {
        if let requested, requested.range(of: "^[0-9]{4}$", options: .regularExpression) == nil { throw HonorariumError.periodInvalid }
        guard let user = try db.query(
            "SELECT id, handle FROM users WHERE organization_id = $1 AND (handle = lower($2) OR id::text = lower($2))", [organization, mentor]).first
        else { throw AccountError.userNotFound(mentor) }
        let policy = try AccountStore.settings(of: organization, on: db).honorariumPolicy
        let period = requested ?? policy.period(containing: time)
        let userID: UserID = try user.decode("id")
        let counted = try db.query(
            "SELECT counted FROM honorarium_counters WHERE organization_id = $1 AND peer_mentor_id = $2 AND period = $3", [organization, userID, period]
        ).first?.decode("counted", as: Int.self) ?? 0
        let entries = try db.query(
            """
            SELECT assignment_id, number, counted_at, voided_at, void_reason FROM honorarium_entries
             WHERE organization_id = $1 AND peer_mentor_id = $2 AND period = $3 ORDER BY counted_at, number
            """, [organization, userID, period]
        ).map { row in
            HonorariumEntry(
                assignmentID: try row.decode("assignment_id"), number: try row.decode("number"), countedAt: try row.decode("counted_at"),
                voidedAt: try row.decodeIfPresent("voided_at"), voidReason: try row.decodeIfPresent("void_reason"))
        }
        let events = try db.query(
            """
            SELECT tier, assignment_id, crossed_at, reversed_at, reversal_reason FROM honorarium_threshold_events
             WHERE organization_id = $1 AND peer_mentor_id = $2 AND period = $3 ORDER BY crossed_at, tier
            """, [organization, userID, period]
        ).map { row in
            HonorariumTierEvent(
                tier: try row.decode("tier"), assignmentID: try row.decodeIfPresent("assignment_id"), crossedAt: try row.decode("crossed_at"),
                reversedAt: try row.decodeIfPresent("reversed_at"), reversalReason: try row.decodeIfPresent("reversal_reason"))
        }
        return HonorariumStatement(
            userID: userID, handle: try user.decode("handle"), period: period, counted: counted, tierReached: policy.tierReached(with: counted),
            nextTier: policy.tiers.first { $0 > counted }, tiers: policy.tiers, entries: entries, tierEvents: events)
    }

    // MARK: Corrections

    /// An organisation admin voids a counted assignment: the count goes down by one, tiers no longer
    /// reached are marked reversed (with the reason), and the correction is audited.
    public func void(_ assignment: AssignmentID, reason: String, by admin: UserContext, at time: Date) async throws -> HonorariumStatement {
        guard admin.role.administersOrganization else { throw HonorariumError.adminRequired }
        return try await database.transaction(.tenant(admin.organizationID, actor: .user(admin))) { db in
            try Self.void(assignment, in: admin.organizationID, reason: reason, at: time, on: db)
        }
    }

    /// The same, for the operator on the server (`dispatch honorarium void`).
    public func void(_ assignment: AssignmentID, in organization: OrganizationID, reason: String, at time: Date) async throws -> HonorariumStatement {
        try await database.transaction(.tenant(organization, actor: .system)) { db in
            try Self.void(assignment, in: organization, reason: reason, at: time, on: db)
        }
    }

    static func void(_ id: AssignmentID, in organization: OrganizationID, reason text: String, at time: Date, on db: PostgresConnection) throws -> HonorariumStatement {
        let reason = try FreeText.reason.validate(text)
        _ = try PersonalDataScreen().require(reason, isFreeOf: FreeText.reason.fieldName)
        guard try db.query("SELECT 1 FROM assignments WHERE id = $1 AND organization_id = $2", [id, organization]).count == 1 else {
            throw DomainError.notFound
        }
        try lockPayroll(of: organization, on: db)
        let timeZone = try AccountStore.settings(of: organization, on: db).timeZoneIdentifier
        guard let entry = try db.query(
            """
            SELECT peer_mentor_id, period, voided_at, to_char(counted_at AT TIME ZONE $3, 'YYYY-MM') AS month
              FROM honorarium_entries WHERE assignment_id = $1 AND organization_id = $2 FOR UPDATE
            """, [id, organization, timeZone]
        ).first else { throw HonorariumError.notCounted }
        guard try entry.decodeIfPresent("voided_at", as: Date.self) == nil else { throw HonorariumError.alreadyVoided }
        let mentor: UserID = try entry.decode("peer_mentor_id")
        let period: String = try entry.decode("period")
        let counted = try db.query(
            """
            UPDATE honorarium_counters SET counted = counted - 1, updated_at = greatest(updated_at, $4)
             WHERE organization_id = $1 AND peer_mentor_id = $2 AND period = $3 RETURNING counted
            """, [organization, mentor, period, time]).first!.decode("counted", as: Int.self)
        // Counted in a paid month: that month's report keeps it, and the next open month pays it back.
        let adjustedIn = try Self.adjustmentMonth(for: try entry.decode("month"), of: organization, on: db)
        try db.execute(
            "UPDATE honorarium_entries SET voided_at = $2, void_reason = $3, adjusted_in = $4 WHERE assignment_id = $1", [id, time, reason, adjustedIn])
        try db.execute("UPDATE assignments SET counted_for_honorarium = false WHERE id = $1", [id])
        let policy = try AccountStore.settings(of: organization, on: db).honorariumPolicy
        let reversed = policy.tiersReversed(from: counted + 1, to: counted)
        if !reversed.isEmpty {
            try db.execute(
                """
                UPDATE honorarium_threshold_events SET reversed_at = $5, reversal_reason = $6,
                       adjusted_in = CASE WHEN EXISTS (SELECT 1 FROM honorarium_closed_periods p
                                                        WHERE p.organization_id = $1 AND p.period = to_char(crossed_at AT TIME ZONE $7, 'YYYY-MM'))
                                          THEN $8 END
                 WHERE organization_id = $1 AND peer_mentor_id = $2 AND period = $3 AND tier = ANY(string_to_array($4, ',')::integer[])
                   AND reversed_at IS NULL
                """, [organization, mentor, period, reversed.map(String.init).joined(separator: ","), time, reason, timeZone, try Self.firstOpenMonth(of: organization, on: db)])
        }
        try AuditLog.append(
            AuditEntry(.honorariumVoided, .assignment(id), details: AuditDetails.HonorariumVoided(count: counted, period: period, tiersReversed: reversed)),
            organization: organization, at: time, on: db)
        return try statement(of: mentor.description, in: organization, period: period, at: time, on: db)
    }

    // MARK: Paid months

    /// Serialises what changes a payroll month of the organisation (corrections, closing) for the
    /// rest of the transaction.
    static func lockPayroll(of organization: OrganizationID, on db: PostgresConnection) throws {
        try db.execute("SELECT pg_advisory_xact_lock(hashtextextended('dispatch.honorarium-payroll:' || $1::text, 0))", [organization])
    }

    /// The latest closed month, if any.
    static func latestClosedMonth(of organization: OrganizationID, on db: PostgresConnection) throws -> String? {
        try db.query("SELECT max(period) AS period FROM honorarium_closed_periods WHERE organization_id = $1", [organization]).first?.decodeIfPresent("period")
    }

    /// The month after the latest closed one: where a correction of a paid month is paid back.
    /// `nil` when nothing is closed.
    static func firstOpenMonth(of organization: OrganizationID, on db: PostgresConnection) throws -> String? {
        try latestClosedMonth(of: organization, on: db).flatMap(HonorariumPeriod.month(after:))
    }

    /// Where a correction of something counted in `month` is paid back: the first open month when
    /// `month` is closed, otherwise nowhere (the month's own report simply leaves it out).
    static func adjustmentMonth(for month: String, of organization: OrganizationID, on db: PostgresConnection) throws -> String? {
        let closed = try db.query("SELECT 1 FROM honorarium_closed_periods WHERE organization_id = $1 AND period = $2", [organization, month]).count > 0
        return closed ? try firstOpenMonth(of: organization, on: db) : nil
    }

    // MARK: Rates

    /// Sets the organisation's rates from `rates.validFrom` on, replacing a set that starts the
    /// same day (audited). Checked first (`honorarium_rates_invalid`).
    public func setRates(_ rates: HonorariumRateSet, of organization: OrganizationID, by actor: Principal = .system, at time: Date) async throws {
        try rates.validate()
        try await database.transaction(.tenant(organization, actor: actor)) { db in
            try Self.lockPayroll(of: organization, on: db)
            if let closed = try Self.latestClosedMonth(of: organization, on: db), String(rates.validFrom.prefix(7)) <= closed {
                throw HonorariumError.ratesInvalid("\(closed) is closed and paid, so rates can start from the month after it at the earliest")
            }
            try db.execute("DELETE FROM honorarium_rate_sets WHERE organization_id = $1 AND valid_from = $2::date", [organization, rates.validFrom])
            try db.execute(
                "INSERT INTO honorarium_rate_sets (organization_id, valid_from, currency, created_at) VALUES ($1, $2::date, $3, $4)",
                [organization, rates.validFrom, rates.currency, time])
            for rate in rates.rates {
                try db.execute(
                    "INSERT INTO honorarium_rates (organization_id, valid_from, kind, threshold, amount_ore, pay_code) VALUES ($1, $2::date, $3, $4, $5, $6)",
                    [organization, rates.validFrom, rate.kind.rawValue, rate.threshold, rate.amountOre, rate.payCode])
            }
            try AuditLog.append(
                AuditEntry(
                    .honorariumRatesChanged, .organization(organization),
                    details: AuditDetails.RatesChanged(validFrom: rates.validFrom, currency: rates.currency, rates: rates.rates.count)),
                organization: organization, at: time, on: db)
        }
    }

    /// The organisation's rate sets, oldest first.
    public func rateSets(of organization: OrganizationID) async throws -> [HonorariumRateSet] {
        try await database.transaction(.tenant(organization, actor: .system)) { try Self.rateSets(of: organization, on: $0) }
    }

    static func rateSets(of organization: OrganizationID, on db: PostgresConnection) throws -> [HonorariumRateSet] {
        var sets = try db.query(
            "SELECT valid_from::text AS valid_from, currency FROM honorarium_rate_sets WHERE organization_id = $1 ORDER BY valid_from", [organization]
        ).map { HonorariumRateSet(validFrom: try $0.decode("valid_from"), currency: try $0.decode("currency"), rates: []) }
        for row in try db.query(
            """
            SELECT valid_from::text AS valid_from, kind, threshold, amount_ore, pay_code FROM honorarium_rates
             WHERE organization_id = $1 ORDER BY valid_from, kind, threshold
            """, [organization])
        {
            let validFrom: String = try row.decode("valid_from")
            guard let index = sets.firstIndex(where: { $0.validFrom == validFrom }) else { continue }  // the foreign key rules this out
            sets[index].rates.append(
                HonorariumRate(kind: try row.decode("kind"), threshold: try row.decode("threshold"), amountOre: try row.decode("amount_ore"), payCode: try row.decodeIfPresent("pay_code")))
        }
        return sets
    }
}
