import AssignmentCore
import Foundation
import Testing

@Suite("Dispatch rules")
struct DispatchRulesTests {
    let fixture = DomainFixture()
    let now = DomainFixture.epoch

    func key(_ status: DeviceKeyStatus, owner: UserID? = nil) -> DeviceKeyRecord {
        DeviceKeyRecord(
            id: DeviceKeyID(UUID()), userID: owner ?? fixture.peerMentor.id,
            fingerprint: KeyFingerprint(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })!, status: status)
    }

    @Test("only active coordinators or higher of the organisation dispatch, within their local association")
    func senderScope() throws {
        try DispatchRules.checkSender(fixture.coordinator, organizationID: fixture.organization, localAssociationID: fixture.lokallag)
        try DispatchRules.checkSender(fixture.otherCoordinator, organizationID: fixture.organization, localAssociationID: fixture.lokallag)
        try DispatchRules.checkSender(fixture.organizationAdmin, organizationID: fixture.organization, localAssociationID: LocalAssociationID(UUID()))
        #expect(throws: DomainError.outsideCoordinatorScope) {
            try DispatchRules.checkSender(fixture.coordinator, organizationID: fixture.organization, localAssociationID: LocalAssociationID(UUID()))
        }
        #expect(throws: DomainError.outsideCoordinatorScope) {
            try DispatchRules.checkSender(fixture.coordinator, organizationID: fixture.organization, localAssociationID: nil)
        }
        #expect(throws: DomainError.coordinatorRoleRequired) {
            try DispatchRules.checkSender(fixture.peerMentor, organizationID: fixture.organization, localAssociationID: fixture.lokallag)
        }
        #expect(throws: DomainError.notFound) {
            try DispatchRules.checkSender(fixture.foreignAdmin, organizationID: fixture.organization, localAssociationID: nil)
        }
        var paused = fixture.coordinator
        paused.status = .paused
        #expect(throws: DomainError.senderNotActive(.paused)) {
            try DispatchRules.checkSender(paused, organizationID: fixture.organization, localAssociationID: fixture.lokallag)
        }
    }

    @Test("the recipient is an active, certified peer mentor of the organisation")
    func recipient() throws {
        try DispatchRules.checkRecipient(fixture.peerMentor, organizationID: fixture.organization, at: now)
        #expect(throws: DomainError.recipientNotPeerMentor) {
            try DispatchRules.checkRecipient(fixture.coordinator, organizationID: fixture.organization, at: now)
        }
        #expect(throws: DomainError.notFound) {
            try DispatchRules.checkRecipient(fixture.foreignPeerMentor, organizationID: fixture.organization, at: now)
        }
        for status in [UserStatus.paused, .deactivated] {
            var mentor = fixture.peerMentor
            mentor.status = status
            #expect(throws: DomainError.recipientNotActive(status)) {
                try DispatchRules.checkRecipient(mentor, organizationID: fixture.organization, at: now)
            }
        }
        var lapsed = fixture.peerMentor
        lapsed.certificationExpiresAt = now
        #expect(throws: DomainError.recipientCertificationExpired) {
            try DispatchRules.checkRecipient(lapsed, organizationID: fixture.organization, at: now)
        }
        lapsed.certificationExpiresAt = now + 1
        try DispatchRules.checkRecipient(lapsed, organizationID: fixture.organization, at: now)
    }

    @Test("the envelope is sealed only to the recipient's active, registered keys")
    func keys() throws {
        let active = key(.active)
        let second = key(.active)
        let retired = key(.retired)
        let revoked = key(.revoked)
        let someoneElses = key(.active, owner: fixture.otherPeerMentor.id)
        let registered = [active, second, retired, revoked, someoneElses]
        let recipient = fixture.peerMentor.id
        try DispatchRules.checkRecipientKeys(envelopeFingerprints: [active.fingerprint, second.fingerprint], registered: registered, recipientID: recipient)
        #expect(throws: DomainError.keyRevoked) {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [active.fingerprint, revoked.fingerprint], registered: registered, recipientID: recipient)
        }
        #expect(throws: DomainError.keyRetired) {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [retired.fingerprint], registered: registered, recipientID: recipient)
        }
        #expect(throws: DomainError.keyFingerprintMismatch) {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [someoneElses.fingerprint], registered: registered, recipientID: recipient)
        }
        #expect(throws: DomainError.keyFingerprintMismatch) {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [], registered: registered, recipientID: recipient)
        }
        #expect(throws: DomainError.recipientHasNoKey) {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [revoked.fingerprint], registered: [revoked, retired], recipientID: recipient)
        }
        // The sender's own copy: the sender's active keys beside the recipient's, never instead of them.
        let sender = fixture.coordinator.id
        let sendersKey = key(.active, owner: sender)
        let sendersOld = key(.retired, owner: sender)
        let withSender = registered + [sendersKey, sendersOld]
        try DispatchRules.checkRecipientKeys(envelopeFingerprints: [active.fingerprint, sendersKey.fingerprint], registered: withSender, recipientID: recipient, senderID: sender)
        #expect(throws: DomainError.keyFingerprintMismatch, "the sender's key alone does not reach the peer mentor") {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [sendersKey.fingerprint], registered: withSender, recipientID: recipient, senderID: sender)
        }
        #expect(throws: DomainError.keyFingerprintMismatch, "without naming the sender, their key is anyone's") {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [active.fingerprint, sendersKey.fingerprint], registered: withSender, recipientID: recipient)
        }
        #expect(throws: DomainError.keyRetired) {
            try DispatchRules.checkRecipientKeys(envelopeFingerprints: [active.fingerprint, sendersOld.fingerprint], registered: withSender, recipientID: recipient, senderID: sender)
        }
        #expect(throws: DomainError.keyFingerprintMismatch, "a third person's key is refused also beside the sender's") {
            try DispatchRules.checkRecipientKeys(
                envelopeFingerprints: [active.fingerprint, sendersKey.fingerprint, someoneElses.fingerprint], registered: withSender, recipientID: recipient, senderID: sender)
        }
    }

    @Test("format 2 names only devices with an X-Wing key; an organisation that requires format 2 refuses format 1")
    func envelopeFormat() throws {
        let user = UserID(UUID())
        let modern = DeviceKeyRecord(id: DeviceKeyID(UUID()), userID: user, fingerprint: KeyFingerprint(bytes: [UInt8](repeating: 1, count: 32))!, status: .active, isPostQuantum: true)
        let older = DeviceKeyRecord(id: DeviceKeyID(UUID()), userID: user, fingerprint: KeyFingerprint(bytes: [UInt8](repeating: 2, count: 32))!, status: .active)
        let registered = [modern, older]
        try DispatchRules.checkEnvelopeFormat(postQuantum: true, envelopeFingerprints: [modern.fingerprint], registered: registered, requirePostQuantum: true)
        try DispatchRules.checkEnvelopeFormat(postQuantum: false, envelopeFingerprints: [modern.fingerprint, older.fingerprint], registered: registered, requirePostQuantum: false)
        #expect(throws: DomainError.recipientKeyNotPostQuantum) {
            try DispatchRules.checkEnvelopeFormat(postQuantum: true, envelopeFingerprints: [modern.fingerprint, older.fingerprint], registered: registered, requirePostQuantum: false)
        }
        #expect(throws: DomainError.postQuantumRequired) {
            try DispatchRules.checkEnvelopeFormat(postQuantum: false, envelopeFingerprints: [modern.fingerprint], registered: registered, requirePostQuantum: true)
        }
        // A fingerprint nobody registered is not taken for a post-quantum key.
        #expect(throws: DomainError.recipientKeyNotPostQuantum) {
            try DispatchRules.checkEnvelopeFormat(
                postQuantum: true, envelopeFingerprints: [KeyFingerprint(bytes: [UInt8](repeating: 3, count: 32))!], registered: registered, requirePostQuantum: false)
        }
    }

    @Test("expiry and contact deadline lie after the dispatch, the expiry within the lifetime, the deadline not after the expiry")
    func schedule() throws {
        try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: now + 86_400 * 30, contactDeadlineAt: now + 86_400 * 10, lifetimeDays: 90)
        try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: nil, contactDeadlineAt: nil, lifetimeDays: 90)
        try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: now + 86_400 * 90, contactDeadlineAt: nil, lifetimeDays: 90)
        #expect(throws: DomainError.expiryBeyondLifetime(days: 90)) {
            try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: now + 86_400 * 90 + 1, contactDeadlineAt: nil, lifetimeDays: 90)
        }
        #expect(throws: DomainError.expiryNotAfterDispatch) {
            try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: now, contactDeadlineAt: nil, lifetimeDays: 90)
        }
        #expect(throws: DomainError.contactDeadlineNotAfterDispatch) {
            try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: nil, contactDeadlineAt: now - 60, lifetimeDays: 90)
        }
        #expect(throws: DomainError.contactDeadlineAfterExpiry) {
            try DispatchRules.checkSchedule(dispatchedAt: now, expiresAt: now + 100, contactDeadlineAt: now + 200, lifetimeDays: 90)
        }
        #expect(DispatchRules.latestExpiry(dispatchedAt: now, lifetimeDays: 7) == now + 7 * 86_400)
    }

    @Test("a disabled module refuses everything")
    func module() throws {
        try DispatchRules.checkModule(enabled: true)
        #expect(throws: DomainError.moduleDisabled) { try DispatchRules.checkModule(enabled: false) }
    }

    @Test("titles and notes are checked for length, control characters and personal data")
    func texts() throws {
        let clean = try DispatchRules.checkTexts(title: "  Oppdrag 42  ", coordinatorNotes: "Ring før besøk.\nHar førerhund.")
        #expect(clean.title == "Oppdrag 42")
        #expect(clean.notes == "Ring før besøk.\nHar førerhund.")
        #expect(clean.warnings.isEmpty)
        #expect(throws: DomainError.textInvalid(field: "title", problem: "is required")) { try DispatchRules.checkTexts(title: " ", coordinatorNotes: nil) }
        #expect(throws: DomainError.textInvalid(field: "title", problem: "is longer than 120 characters")) {
            try DispatchRules.checkTexts(title: String(repeating: "a", count: 121), coordinatorNotes: nil)
        }
        #expect(throws: DomainError.textInvalid(field: "title", problem: "contains control characters")) {
            try DispatchRules.checkTexts(title: "Oppdrag\n42", coordinatorNotes: nil)
        }
        #expect(throws: DomainError.textInvalid(field: "coordinator notes", problem: "contains control characters")) {
            try DispatchRules.checkTexts(title: "Oppdrag", coordinatorNotes: "bell\u{7}")
        }
        #expect { try DispatchRules.checkTexts(title: "Oppdrag", coordinatorNotes: "Epost kari@example.no") } throws: { error in
            guard case .personalDataInText(let field, let findings) = error as? DomainError else { return false }
            return field == "coordinator notes" && findings.map(\.kind) == [.emailAddress]
        }
        let named = try DispatchRules.checkTexts(title: "Besøk hos Kari Nordmann", coordinatorNotes: nil)
        #expect(named.warnings.map(\.kind) == [.likelyName])
    }

    @Test("validateDispatch runs every rule and reports the first broken one")
    func wholeRequest() throws {
        let key = key(.active)
        var request = DispatchRules.DispatchRequest(
            sender: fixture.coordinator, recipient: fixture.peerMentor, organizationID: fixture.organization,
            localAssociationID: fixture.lokallag, moduleEnabled: true, title: "Oppdrag 7", coordinatorNotes: nil,
            envelopeFingerprints: [key.fingerprint], recipientKeys: [key], dispatchedAt: now, expiresAt: now + 86_400,
            contactDeadlineAt: nil)
        #expect(try DispatchRules.validateDispatch(request).warnings.isEmpty)
        #expect(try DispatchRules.validateDispatch(request).expiresAt == now + 86_400, "the coordinator's expiry is kept")
        request.expiresAt = nil
        request.lifetimeDays = 30
        #expect(try DispatchRules.validateDispatch(request).expiresAt == now + 30 * 86_400, "no expiry: the longest the lifetime allows")
        request.contactDeadlineAt = now + 31 * 86_400
        #expect(throws: DomainError.contactDeadlineAfterExpiry) { try DispatchRules.validateDispatch(request) }
        request.contactDeadlineAt = nil
        request.moduleEnabled = false
        #expect(throws: DomainError.moduleDisabled) { try DispatchRules.validateDispatch(request) }
        request.moduleEnabled = true
        request.title = "Ring 41234567"
        #expect { try DispatchRules.validateDispatch(request) } throws: { ($0 as? DomainError)?.code == "personal_data_in_text" }
    }

    @Test("error messages never repeat the text they found personal data in")
    func messagesCarryNoPersonalData() throws {
        let marker = "kari.marker.7391@example.no"
        do {
            _ = try DispatchRules.checkTexts(title: "Kontakt \(marker)", coordinatorNotes: nil)
            Issue.record("an e-mail address in a title must be refused")
        } catch let error as DomainError {
            #expect(!error.message.contains("marker"))
            #expect(!error.description.contains("marker"))
            #expect(error.message.contains("characters 9 to 35"))
        }
    }
}
