import Foundation

/// The rules a dispatch must pass before the server stores it (DESIGN.md §4). Each is a separate
/// function so that the server, the device client and the tests can call exactly the one they need;
/// ``validateDispatch(_:)`` runs them all in the order a person would want to hear about problems.
public enum DispatchRules {
    /// The sender is an active coordinator (or higher) of the organisation, and a coordinator bound
    /// to a local association dispatches only within it.
    public static func checkSender(_ sender: UserProfile, organizationID: OrganizationID, localAssociationID: LocalAssociationID?) throws {
        guard sender.organizationID == organizationID else { throw DomainError.notFound }
        guard sender.role.dispatches else { throw DomainError.coordinatorRoleRequired }
        guard sender.status == .active else { throw DomainError.senderNotActive(sender.status) }
        if sender.role == .coordinator, let own = sender.localAssociationID, own != localAssociationID {
            throw DomainError.outsideCoordinatorScope
        }
    }

    /// The recipient is a peer mentor of the organisation, active, and certified at `time`.
    public static func checkRecipient(_ recipient: UserProfile, organizationID: OrganizationID, at time: Date) throws {
        guard recipient.organizationID == organizationID else { throw DomainError.notFound }
        guard recipient.role == .peerMentor else { throw DomainError.recipientNotPeerMentor }
        guard recipient.status == .active else { throw DomainError.recipientNotActive(recipient.status) }
        if let expiry = recipient.certificationExpiresAt, expiry <= time { throw DomainError.recipientCertificationExpired }
    }

    /// Every fingerprint the envelope is sealed to is an active device key of the recipient or, for
    /// the sender's own copy, of the sender; at least one is the recipient's. `registered` holds
    /// the keys of both.
    public static func checkRecipientKeys(
        envelopeFingerprints: [KeyFingerprint], registered: [DeviceKeyRecord], recipientID: UserID, senderID: UserID? = nil
    ) throws {
        let own = registered.filter { $0.userID == recipientID }
        guard own.contains(where: { $0.status == .active }) else { throw DomainError.recipientHasNoKey }
        guard envelopeFingerprints.contains(where: { fingerprint in own.contains { $0.fingerprint == fingerprint } }) else {
            throw DomainError.keyFingerprintMismatch
        }
        let allowed = registered.filter { $0.userID == recipientID || ($0.userID == senderID && senderID != nil) }
        for fingerprint in envelopeFingerprints {
            guard let key = allowed.first(where: { $0.fingerprint == fingerprint }) else { throw DomainError.keyFingerprintMismatch }
            switch key.status {
            case .active: continue
            case .retired: throw DomainError.keyRetired
            case .revoked: throw DomainError.keyRevoked
            }
        }
    }

    /// The envelope's format against the devices it names and the organisation's setting: a
    /// format 2 envelope names only devices with an X-Wing key (`recipient_key_not_post_quantum`),
    /// and an organisation that requires format 2 refuses format 1 (`post_quantum_required`), so
    /// that nobody can downgrade a dispatch to the classical key wrap.
    public static func checkEnvelopeFormat(
        postQuantum: Bool, envelopeFingerprints: [KeyFingerprint], registered: [DeviceKeyRecord], requirePostQuantum: Bool
    ) throws {
        if requirePostQuantum, !postQuantum { throw DomainError.postQuantumRequired }
        if postQuantum,
            envelopeFingerprints.contains(where: { fingerprint in registered.first { $0.fingerprint == fingerprint }?.isPostQuantum != true })
        {
            throw DomainError.recipientKeyNotPostQuantum
        }
    }

    /// The encrypted-assignments module is switched on for the organisation.
    public static func checkModule(enabled: Bool) throws {
        guard enabled else { throw DomainError.moduleDisabled }
    }

    /// Expiry and contact deadline lie after the dispatch, the expiry within the organisation's
    /// longest assignment lifetime, and the deadline not after the expiry.
    public static func checkSchedule(dispatchedAt: Date, expiresAt: Date?, contactDeadlineAt: Date?, lifetimeDays: Int) throws {
        if let expiresAt, expiresAt <= dispatchedAt { throw DomainError.expiryNotAfterDispatch }
        if let expiresAt, expiresAt > latestExpiry(dispatchedAt: dispatchedAt, lifetimeDays: lifetimeDays) {
            throw DomainError.expiryBeyondLifetime(days: lifetimeDays)
        }
        if let contactDeadlineAt {
            guard contactDeadlineAt > dispatchedAt else { throw DomainError.contactDeadlineNotAfterDispatch }
            if let expiresAt, contactDeadlineAt > expiresAt { throw DomainError.contactDeadlineAfterExpiry }
        }
    }

    /// The latest expiry an assignment dispatched at `dispatchedAt` may have, and the one it gets when
    /// the coordinator names none: `lifetimeDays` whole days (of 24 hours) later.
    public static func latestExpiry(dispatchedAt: Date, lifetimeDays: Int) -> Date {
        dispatchedAt.addingTimeInterval(Double(lifetimeDays) * 86_400)
    }

    /// Title and notes: valid text, free of blocking personal data. Returns the cleaned texts and
    /// the warnings (likely names) for the sender to look at.
    public static func checkTexts(
        title: String,
        coordinatorNotes: String?,
        screen: PersonalDataScreen = PersonalDataScreen()
    ) throws -> (title: String, notes: String?, warnings: [PersonalDataFinding]) {
        let cleanTitle = try FreeText.title.validate(title)
        var warnings = try screen.require(cleanTitle, isFreeOf: FreeText.title.fieldName)
        var cleanNotes: String?
        if let coordinatorNotes {
            let notes = try FreeText.coordinatorNotes.validate(coordinatorNotes)
            warnings += try screen.require(notes, isFreeOf: FreeText.coordinatorNotes.fieldName)
            cleanNotes = notes.isEmpty ? nil : notes
        }
        return (cleanTitle, cleanNotes, warnings)
    }

    /// The assignment type is a short code (`peer_support`), and the region a short plain text
    /// free of personal data; both are stored unencrypted.
    public static func checkClassification(assignmentType: String, geographicRegion: String?, screen: PersonalDataScreen = PersonalDataScreen()) throws -> String? {
        guard assignmentType.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil else {
            throw DomainError.textInvalid(field: "assignment type", problem: "must be 1 to 40 lower-case letters, digits or underscores, starting with a letter")
        }
        guard let geographicRegion else { return nil }
        let region = try FreeText.geographicRegion.validate(geographicRegion)
        _ = try screen.require(region, isFreeOf: FreeText.geographicRegion.fieldName)
        return region.isEmpty ? nil : region
    }

    /// Everything a dispatch request must satisfy, checked in one go.
    public struct DispatchRequest: Sendable {
        public var sender: UserProfile
        public var recipient: UserProfile
        public var organizationID: OrganizationID
        public var localAssociationID: LocalAssociationID?
        public var moduleEnabled: Bool
        public var title: String
        public var coordinatorNotes: String?
        public var envelopeFingerprints: [KeyFingerprint]
        /// The recipient's device keys, and the sender's (for the sender's own copy).
        public var recipientKeys: [DeviceKeyRecord]
        public var dispatchedAt: Date
        public var expiresAt: Date?
        public var contactDeadlineAt: Date?
        public var lifetimeDays: Int

        public init(
            sender: UserProfile, recipient: UserProfile, organizationID: OrganizationID, localAssociationID: LocalAssociationID?,
            moduleEnabled: Bool, title: String, coordinatorNotes: String?, envelopeFingerprints: [KeyFingerprint],
            recipientKeys: [DeviceKeyRecord], dispatchedAt: Date, expiresAt: Date?, contactDeadlineAt: Date?,
            lifetimeDays: Int = OrganizationSettings.defaultAssignmentLifetimeDays
        ) {
            self.sender = sender
            self.recipient = recipient
            self.organizationID = organizationID
            self.localAssociationID = localAssociationID
            self.moduleEnabled = moduleEnabled
            self.title = title
            self.coordinatorNotes = coordinatorNotes
            self.envelopeFingerprints = envelopeFingerprints
            self.recipientKeys = recipientKeys
            self.dispatchedAt = dispatchedAt
            self.expiresAt = expiresAt
            self.contactDeadlineAt = contactDeadlineAt
            self.lifetimeDays = lifetimeDays
        }
    }

    /// What passed: the cleaned title and notes to store, the expiry (the coordinator's, or the
    /// latest the lifetime allows), and the personal-data warnings to show.
    public struct ValidatedDispatch: Sendable, Hashable {
        public var title: String
        public var coordinatorNotes: String?
        public var expiresAt: Date
        public var warnings: [PersonalDataFinding]
    }

    /// Runs every dispatch rule.
    public static func validateDispatch(_ request: DispatchRequest, screen: PersonalDataScreen = PersonalDataScreen()) throws -> ValidatedDispatch {
        try checkModule(enabled: request.moduleEnabled)
        try checkSender(request.sender, organizationID: request.organizationID, localAssociationID: request.localAssociationID)
        try checkRecipient(request.recipient, organizationID: request.organizationID, at: request.dispatchedAt)
        try checkRecipientKeys(
            envelopeFingerprints: request.envelopeFingerprints, registered: request.recipientKeys, recipientID: request.recipient.id, senderID: request.sender.id)
        let texts = try checkTexts(title: request.title, coordinatorNotes: request.coordinatorNotes, screen: screen)
        try checkSchedule(
            dispatchedAt: request.dispatchedAt, expiresAt: request.expiresAt, contactDeadlineAt: request.contactDeadlineAt, lifetimeDays: request.lifetimeDays)
        let expiresAt = request.expiresAt ?? latestExpiry(dispatchedAt: request.dispatchedAt, lifetimeDays: request.lifetimeDays)
        if let deadline = request.contactDeadlineAt, deadline > expiresAt { throw DomainError.contactDeadlineAfterExpiry }
        return ValidatedDispatch(title: texts.title, coordinatorNotes: texts.notes, expiresAt: expiresAt, warnings: texts.warnings)
    }
}
