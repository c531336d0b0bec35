import AssignmentCore
import AsyncHTTPClient
import Contract
import Envelope
import Foundation
import NIOCore
import OpenAPIRuntime

/// What a coordinator fills in besides the case information: the metadata the server sees. It must
/// hold no personal data (the server screens title and notes, and refuses what it finds).
public struct AssignmentDraft: Sendable, Hashable {
    public var recipient: String
    public var title: String
    public var coordinatorNotes: String?
    public var priority: Priority?
    public var isUrgent: Bool?
    public var requiresConsent: Bool?
    public var geographicRegion: String?
    public var expiresAt: Date?
    public var contactDeadlineAt: Date?

    public init(
        recipient: String, title: String, coordinatorNotes: String? = nil, priority: Priority? = nil, isUrgent: Bool? = nil,
        requiresConsent: Bool? = nil, geographicRegion: String? = nil, expiresAt: Date? = nil, contactDeadlineAt: Date? = nil
    ) {
        self.recipient = recipient
        self.title = title
        self.coordinatorNotes = coordinatorNotes
        self.priority = priority
        self.isUrgent = isUrgent
        self.requiresConsent = requiresConsent
        self.geographicRegion = geographicRegion
        self.expiresAt = expiresAt
        self.contactDeadlineAt = contactDeadlineAt
    }
}

/// An assignment opened on this device: the case information (plaintext, for the screen only) and
/// what happened to the read receipt.
public struct OpenedAssignment: Sendable {
    public var info: AssignmentInfo
    public var payload: CasePayload
    public var receipt: ReceiptOutcome?
    /// The coordinator's own copy of what they sent: no receipt, nothing told to anyone.
    public var isSenderCopy = false
}

/// A subject access report: the assignments that concern the person, with their history, and
/// how many open assignments could not be searched from this device.
public struct SubjectReport: Sendable {
    public var entries: [SubjectReportEntry] = []
    public var unsearchable = 0
}

/// One assignment of a subject access report and its history.
public struct SubjectReportEntry: Sendable {
    public var assignment: AssignmentInfo
    public var history: [HistoryEntry]
}

/// A receipt was either sent, or kept for the next sync because the server could not be reached.
public enum ReceiptOutcome: Sendable, Hashable {
    case sent(AssignmentInfo)
    case queued
}

/// What a sync did: receipts sent or refused (each with the server's code), envelopes downloaded
/// (delivery receipts), and assignments wiped from this device because they were closed.
public struct SyncReport: Sendable, Hashable, Codable {
    public var receiptsSent: Int = 0
    public var receiptsRefused: [String] = []
    public var receiptsWaiting: Int = 0
    public var downloaded: [AssignmentID] = []
    public var wiped: [AssignmentID] = []
    /// Erasure receipts signed and accepted by the server.
    public var erasureReceiptsSent: Int = 0
    /// Erasures made on this device whose receipts wait: for the passphrase (they are signed with
    /// the device's key), or for the network.
    public var erasureReceiptsWaiting: Int = 0
    /// This coordinator device's copies of what it sent, removed because the assignments closed.
    public var sentCopiesWiped: [AssignmentID] = []

    enum CodingKeys: String, CodingKey {
        case downloaded, wiped
        case erasureReceiptsSent = "erasure_receipts_sent"
        case erasureReceiptsWaiting = "erasure_receipts_waiting"
        case sentCopiesWiped = "sent_copies_wiped"
        case receiptsSent = "receipts_sent"
        case receiptsRefused = "receipts_refused"
        case receiptsWaiting = "receipts_waiting"
    }
}

/// What `dispatch reassign` did: the new assignment, and whether this run cancelled the old one
/// (it may have been declined already, or cancelled by an earlier run that stopped halfway).
public struct ReassignmentOutcome: Sendable {
    /// The new assignment; `nil` when an earlier run had made it already (this run only finished).
    public var assignment: AssignmentInfo?
    public var warnings: [Components.Schemas.Finding] = []
    public var cancelledOld: Bool
}

/// The device side of Assignment Dispatch, as a library: what the `dispatch` commands for
/// coordinators and peer mentors call, and what the end-to-end tests drive.
///
/// Plaintext case information exists only in ``send(_:payload:from:)``'s argument and
/// ``open(_:with:)``'s answer; what is stored or sent is the envelope. Everything else (session,
/// pins, cache, receipt queue) lives in the ``DeviceFolder``.
public struct DeviceClient: Sendable {
    public let folder: DeviceFolder
    let httpClient: HTTPClient
    let now: @Sendable () -> Date

    public init(folder: DeviceFolder, httpClient: HTTPClient, now: @escaping @Sendable () -> Date = { Date() }) {
        self.folder = folder
        self.httpClient = httpClient
        self.now = now
    }

    /// The HTTP client a device uses: no redirects followed (a bearer token must not travel to
    /// another host), and a short connect timeout, because "the server cannot be reached" is
    /// something a device must notice quickly to queue its receipts. Shut it down after use.
    public static func makeHTTPClient(connectTimeout: TimeAmount = .seconds(5)) -> HTTPClient {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.timeout.connect = connectTimeout
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func api() throws -> (DispatchAPI, DeviceSession) {
        let session = try folder.session()
        return (try DispatchAPI(serverAddress: session.serverAddress, token: session.token, httpClient: httpClient), session)
    }

    // MARK: Signing in and keys

    /// Checks the token with the server and remembers the session on this device.
    @discardableResult
    public func login(server: String, token: String) async throws -> DeviceSession {
        let api = try DispatchAPI(serverAddress: server, token: token.trimmingCharacters(in: .whitespacesAndNewlines), httpClient: httpClient)
        let user = try await api.me()
        let previous = try? folder.session()
        let session = DeviceSession(
            serverAddress: api.serverAddress, token: api.token, user: user,
            deviceFingerprint: previous?.user.id == user.id ? previous?.deviceFingerprint : nil)
        try folder.save(session)
        return session
    }

    /// Registers this device's public keys (from the keystore; no passphrase needed).
    public func registerKeys(_ keys: DevicePublicKeys, label: String? = nil) async throws -> KeyInfo {
        let (api, session) = try api()
        let registered: KeyInfo
        do {
            registered = try await api.registerKey(keys, label: label)
        } catch DeviceClientError.server(_, "key_already_registered", _) {
            // Registered before (a repeated command): find it among the user's keys.
            guard let existing = try await api.keys(of: session.user.id.description).keys.first(where: { $0.fingerprint == keys.fingerprint.hex }) else {
                throw DeviceClientError.server(status: 409, code: "key_already_registered", detail: "This key is registered, but not as an active key of yours.")
            }
            registered = existing
        }
        // The same device with a new X-Wing key (`dispatch keys upgrade`): its old registration is
        // retired, so that coordinators seal new assignments to the new key only (and so in
        // format 2), while what was sealed to the old one still opens.
        if keys.isPostQuantum, session.deviceFingerprint == keys.classical.fingerprint.hex, registered.fingerprint != session.deviceFingerprint,
            let old = try await api.keys(of: session.user.id.description).keys.first(where: { $0.fingerprint == keys.classical.fingerprint.hex })
        {
            _ = try await api.retireKey(old.id)
        }
        var updated = session
        updated.deviceFingerprint = registered.fingerprint
        try folder.save(updated)
        return registered
    }

    /// Downloads this device's copy of an envelope under the first of `fingerprints` it was sealed
    /// to: a device that gained an X-Wing key received older assignments under its old fingerprint.
    func download(_ id: AssignmentID, as fingerprints: [KeyFingerprint], api: DispatchAPI) async throws -> [UInt8] {
        for (index, fingerprint) in fingerprints.enumerated() {
            do {
                return try await api.envelope(id, device: fingerprint)
            } catch DeviceClientError.server(422, "not_a_recipient", _) where index < fingerprints.count - 1 {
                continue
            }
        }
        throw DeviceClientError.server(status: 422, code: "not_a_recipient", detail: EnvelopeError.notARecipient.description)
    }

    /// The user's keys, and whether this device trusts each (for `dispatch keys show --user`).
    public func keys(of user: String) async throws -> (keys: UserKeys, pinned: Set<String>) {
        let (api, _) = try api()
        let keys = try await api.keys(of: user)
        let pins = try folder.pins()
        return (keys, Set(pins.users[keys.userId.lowercased()]?.keys.map(\.fingerprint) ?? []))
    }

    /// Pins the user's key whose fingerprint (read aloud or hex) is `fingerprint`, after a person
    /// compared it with the key's owner.
    public func verifyKey(of user: String, fingerprint: String) async throws -> KeyInfo {
        let (api, _) = try api()
        let keys = try await api.keys(of: user)
        var pins = try folder.pins()
        let verified = try pins.verify(keys, fingerprint: fingerprint, at: now())
        try folder.save(pins)
        return verified
    }

    // MARK: Coordinator

    /// Seals `payload` to every active key of the recipient (all pinned, or ``DeviceClientError/keyChanged(handle:unverified:)``),
    /// signs it with this device's keys, and dispatches it. A network failure is retried with the
    /// same idempotency key, so a retry can never make a second assignment.
    public func send(_ draft: AssignmentDraft, payload: CasePayload, from device: DeviceKeyPair) async throws -> Components.Schemas.Dispatched {
        let (api, session) = try api()
        guard session.deviceFingerprint == device.fingerprint.hex else { throw DeviceClientError.deviceNotRegistered }
        let recipient = try await api.keys(of: draft.recipient)
        let request = Components.Schemas.DispatchRequest(
            id: "", recipientId: recipient.userId, title: draft.title, coordinatorNotes: draft.coordinatorNotes,
            priority: draft.priority.flatMap { Components.Schemas.Priority(rawValue: $0.rawValue) }, isUrgent: draft.isUrgent,
            requiresConsent: draft.requiresConsent, geographicRegion: draft.geographicRegion, expiresAt: draft.expiresAt,
            contactDeadlineAt: draft.contactDeadlineAt, envelope: Base64EncodedData([]))
        return try await sealAndDispatch(try Self.encode(payload), to: recipient, request: request, from: device, api: api, session: session)
    }

    /// Seals `payload` to the recipient's trusted keys and to this device (the sender's copy),
    /// keeps this device's copy in `sent/`, and dispatches `request` with the envelope under a new
    /// id. The copy is written before the dispatch, so that no assignment exists that this device
    /// cannot reassign; a dispatch the server refuses removes it again.
    func sealAndDispatch(
        _ bytes: [UInt8], to recipient: UserKeys, request: Components.Schemas.DispatchRequest, from device: DeviceKeyPair, api: DispatchAPI,
        session: DeviceSession
    ) async throws -> Components.Schemas.Dispatched {
        var pins = try folder.pins()
        let keys = try pins.trusted(recipient, at: now())
        guard !keys.isEmpty else { throw DeviceClientError.recipientHasNoKey(handle: recipient.handle) }
        try folder.save(pins)

        let id = AssignmentID(UUID())
        // The sender's copy: sealed to this device too, so that the coordinator can reopen what
        // they sent while it is open (docs/envelope.md, "Who receives which sealed key"). Only
        // this device's own key, which the keystore vouches for: a key the server lists as the
        // coordinator's could be anyone's.
        let envelope = try EnvelopeSealer().seal(
            payload: bytes, assignmentID: id.uuid, organizationID: (try answerID(session.user.organizationId) as OrganizationID).uuid, sender: device,
            recipients: keys + [device.publicKeys])
        var request = request
        request.id = id.description
        request.envelope = Base64EncodedData(envelope.serialized)
        try folder.keepSent(envelope: envelope.serialized, id: id)
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await api.dispatch(request, idempotencyKey: id.description)
            } catch DeviceClientError.unreachable where attempt < 3 {
                try await Task.sleep(for: .milliseconds(500 * attempt))
            } catch DeviceClientError.server(409, "idempotency_key_in_progress", _) where attempt < 3 {
                try await Task.sleep(for: .milliseconds(500 * attempt))
            } catch DeviceClientError.server(let status, let code, let detail) {
                folder.wipeSent(id)
                throw DeviceClientError.server(status: status, code: code, detail: detail)
            }
        }
    }

    /// Sends an assignment again, to another peer mentor (`docs/domain.md`, "Reassignment"), in
    /// this order, so that a failure halfway leaves the old one open:
    ///
    /// 1. reopens this device's copy of what it sent (kept in `sent/`, or the server's sender copy);
    /// 2. seals it for `recipient` as a new assignment that names the old one (`reassigned_from`);
    /// 3. cancels the old one, if it is still open, and removes this device's copy of it.
    ///
    /// Run again after a failure, it finishes what is left: the server refuses a second new
    /// assignment (`already_reassigned`), and the old one is cancelled.
    public func reassign(_ oldID: AssignmentID, to recipientHandle: String, with device: DeviceKeyPair) async throws -> ReassignmentOutcome {
        let (api, session) = try api()
        guard session.deviceFingerprint == device.fingerprint.hex else { throw DeviceClientError.deviceNotRegistered }
        let old = try await api.assignment(oldID)
        var dispatched: Components.Schemas.Dispatched?
        do {
            let bytes: [UInt8]
            if let kept = try folder.sentEnvelope(oldID) {
                bytes = kept
            } else {
                do {
                    bytes = try await download(oldID, as: device.fingerprints, api: api)
                } catch DeviceClientError.server(let status, _, _) where [403, 404, 409, 410, 422].contains(status) {
                    throw DeviceClientError.noSenderCopy(oldID)
                }
            }
            let envelope = try AssignmentEnvelope.parse(bytes)
            guard envelope.sealedKeys.contains(where: { device.fingerprints.contains($0.fingerprint) }) else {
                throw DeviceClientError.noSenderCopy(oldID)
            }
            let organization: OrganizationID = try answerID(session.user.organizationId)
            // Signed by this device, under the fingerprint it had then (before an X-Wing key, perhaps).
            guard let signer = device.publicKeys(as: envelope.senderFingerprint) else { throw DeviceClientError.noSenderCopy(oldID) }
            let plaintext = try EnvelopeOpener.open(
                envelope, recipient: device, sender: signer, assignmentID: oldID.uuid, organizationID: organization.uuid)
            let recipient = try await api.keys(of: recipientHandle)
            let deadline = old.contactDeadlineAt.flatMap { $0 > now() ? $0 : nil }
            let request = Components.Schemas.DispatchRequest(
                id: "", recipientId: recipient.userId, localAssociationId: old.localAssociationId, title: old.title,
                coordinatorNotes: old.coordinatorNotes, assignmentType: old.assignmentType, priority: old.priority, isUrgent: old.isUrgent,
                requiresConsent: old.requiresConsent, honorariumEligible: old.honorariumEligible, geographicRegion: old.geographicRegion,
                contactDeadlineAt: deadline, envelope: Base64EncodedData([]), reassignedFrom: oldID.description)
            dispatched = try await sealAndDispatch(plaintext, to: recipient, request: request, from: device, api: api, session: session)
        } catch DeviceClientError.server(409, "already_reassigned", _) {
            // An earlier run made the new assignment and stopped before cancelling: finish it.
        }
        var cancelledOld = false
        if let status = AssignmentStatus(rawValue: old.status.rawValue), status.isOpen {
            // A fixed sentence: the cancellation reason is stored as text and screened for personal
            // data, and an id's digits could pass for a phone number. The link itself is the new
            // assignment's reassigned_from and the old one's assignment.reassigned audit entry.
            _ = try await api.cancel(oldID, reason: "Reassigned to another peer mentor")
            cancelledOld = true
        }
        folder.wipeSent(oldID)
        return ReassignmentOutcome(assignment: dispatched?.assignment, warnings: dispatched?.warnings ?? [], cancelledOld: cancelledOld)
    }

    /// The data-subject access report (GDPR article 15), made here on the coordinator's device:
    /// every open assignment this user sent is opened from its sender's copy, those whose contact
    /// is the person (`name`, compared without case and extra spaces, or `phone`, by its last eight
    /// digits) are kept, and the server is asked for their history by id only. The name never
    /// leaves the device; each history look-up is audited on the server.
    public func subjectReport(name: String?, phone: String?, with device: DeviceKeyPair) async throws -> SubjectReport {
        let (api, session) = try api()
        let wantedName = name.map(Self.normalizedName).flatMap { $0.isEmpty ? nil : $0 }
        let wantedPhone = phone.map(Self.phoneDigits).flatMap { $0.count == 8 ? $0 : nil }
        guard wantedName != nil || wantedPhone != nil else {
            throw DeviceClientError.payloadInvalid("give the person's name, or a phone number of eight digits or more, to search for")
        }
        var report = SubjectReport()
        var cursor: String?
        repeat {
            let page = try await api.overview(OverviewFilter(limit: 200, cursor: cursor))
            for item in page.assignments where item.coordinatorId.lowercased() == session.user.id.lowercased() {
                let id: AssignmentID = try answerID(item.id)
                let opened: OpenedAssignment
                do {
                    opened = try await open(id, with: device)
                } catch DeviceClientError.server(let status, _, _) where status == 403 || status == 410 {
                    // No sender's copy for this device (sent from another device, or before copies
                    // were made), or destroyed meanwhile: it cannot be searched, and the report says so.
                    report.unsearchable += 1
                    continue
                }
                let matchesName = wantedName.map { $0 == Self.normalizedName(opened.payload.contactName) } ?? false
                let matchesPhone = wantedPhone.map { wanted in opened.payload.phone.map { Self.phoneDigits($0) == wanted } ?? false } ?? false
                guard matchesName || matchesPhone else { continue }
                report.entries.append(SubjectReportEntry(assignment: opened.info, history: try await api.history(id)))
            }
            cursor = page.nextCursor
        } while cursor != nil
        return report
    }

    static func normalizedName(_ name: String) -> String {
        name.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// The last eight digits of a phone number (Norwegian numbers without the country code).
    static func phoneDigits(_ phone: String) -> String {
        String(phone.filter(\.isNumber).suffix(8))
    }

    /// Who could take an assignment over (coordinators): ranked by the server, best first.
    public func suggestions(_ id: AssignmentID) async throws -> [Suggestion] {
        try await api().0.suggestions(id)
    }

    /// Declines on the teaser (peer mentors), before the case is read: the server destroys the
    /// ciphertext and the sealed keys at once and tells the coordinator; this device forgets its
    /// cached copy now rather than at the next sync.
    public func decline(_ id: AssignmentID, reason: DeclineReason) async throws -> AssignmentInfo {
        let (api, session) = try api()
        let info = try await api.decline(id, reason: reason)
        try erase(id, reason: .declined, session: session)
        return info
    }

    /// Cancels (coordinators): the server destroys the ciphertext and sealed keys at once.
    public func cancel(_ id: AssignmentID, reason: String) async throws -> AssignmentInfo {
        let (api, _) = try api()
        return try await api.cancel(id, reason: reason)
    }

    /// The signed-in user's calendar feed (`user` is `me`, or someone else's handle for an
    /// organisation admin): made or rotated (the address is in the answer, once), shown, revoked.
    public func issueFeed(for user: String = "me", language: String? = nil) async throws -> FeedAddressInfo {
        try await api().0.issueFeed(for: user, language: language)
    }

    public func feed(of user: String = "me") async throws -> FeedInfo {
        try await api().0.feed(of: user)
    }

    public func revokeFeed(of user: String = "me") async throws {
        try await api().0.revokeFeed(of: user)
    }

    /// The status overview (coordinators) or the inbox (peer mentors): one page.
    public func overview(_ query: OverviewFilter = OverviewFilter()) async throws -> OverviewPage {
        let (api, _) = try api()
        return try await api.overview(query)
    }

    // MARK: Peer mentor

    /// Opens an assignment: from the cache, or downloaded (the delivery receipt) and cached; checks
    /// the coordinator's signature against a pinned key; decrypts; and sends the decryption receipt
    /// (or queues it when offline), which the server audits each time and which marks it read.
    public func open(_ id: AssignmentID, with device: DeviceKeyPair) async throws -> OpenedAssignment {
        let (api, session) = try api()
        var bytes = try folder.cachedEnvelope(id)
        var info = try folder.cachedInfo(id)
        if bytes == nil || info == nil {
            do {
                let downloaded = try await download(id, as: device.fingerprints, api: api)
                let fetched = try await api.assignment(id)
                try folder.cache(envelope: downloaded, info: fetched)
                (bytes, info) = (downloaded, fetched)
            } catch DeviceClientError.unreachable {
                throw DeviceClientError.notCached(id)
            }
        }
        guard let bytes, var info else { throw DeviceClientError.notCached(id) }
        // The sender's own copy: opened, but it is not the peer mentor's reading, so no receipt,
        // and not kept on this device.
        let isSenderCopy = info.coordinatorId.lowercased() == session.user.id.lowercased() && info.peerMentorId.lowercased() != session.user.id.lowercased()
        if isSenderCopy { folder.wipe(id) }
        if let expiresAt = info.expiresAt, expiresAt <= now() {
            if isSenderCopy { folder.wipe(id) } else { try erase(id, reason: .expired, session: session) }
            throw DeviceClientError.server(
                status: 410, code: "payload_expired", detail: "This assignment has expired; its case information is no longer available on this device.")
        }
        let envelope = try AssignmentEnvelope.parse(bytes)
        // This device's own keys when it sent it (the sender's copy), else the coordinator's pinned ones.
        let sender: DevicePublicKeys
        if let own = device.publicKeys(as: envelope.senderFingerprint) {
            sender = own
        } else {
            sender = try await senderKeys(envelope.senderFingerprint, of: try answerID(info.coordinatorId), api: api)
        }
        let organization: OrganizationID = try answerID(session.user.organizationId)
        let plaintext = try EnvelopeOpener.open(envelope, recipient: device, sender: sender, assignmentID: id.uuid, organizationID: organization.uuid)
        let payload = try Self.decode(plaintext)
        guard !isSenderCopy else { return OpenedAssignment(info: info, payload: payload, receipt: nil, isSenderCopy: true) }
        // The receipt names the device key the copy was sealed to (the old one, for what a device
        // received before it gained an X-Wing key).
        let openedBy = envelope.sealedKeys.first { device.fingerprints.contains($0.fingerprint) }?.fingerprint ?? device.fingerprint
        let receipt = try await submit(QueuedReceipt(assignmentID: id, action: .opened, madeAt: now(), device: openedBy))
        if case .sent(let updated) = receipt { info = updated }
        // The keystore is unlocked now: sign and send the erasure receipts that were waiting for it.
        if case .sent = receipt { _ = try? await confirmErasures(signingWith: device) }
        return OpenedAssignment(info: info, payload: payload, receipt: receipt)
    }

    /// Sends a receipt (`read`, `acknowledge`, `contact`, `complete`, `consent`), or queues it when
    /// the server cannot be reached. Receipts already waiting go first, so the order is kept.
    @discardableResult
    public func report(_ action: ReceiptAction, on id: AssignmentID) async throws -> ReceiptOutcome {
        try await submit(QueuedReceipt(assignmentID: id, action: action, madeAt: now()))
    }

    /// Sends `receipt`, or queues it (with the time it was made) when the server cannot be reached.
    func submit(_ receipt: QueuedReceipt) async throws -> ReceiptOutcome {
        var queue = try folder.receipts()
        if !queue.isEmpty {
            _ = try await flushReceipts()
            queue = try folder.receipts()
        }
        if queue.isEmpty {
            do {
                let (api, _) = try api()
                let info = try await api.send(receipt)
                try folder.update(info)
                return .sent(info)
            } catch DeviceClientError.unreachable {}
        }
        queue.append(receipt)
        try folder.save(queue)
        return .queued
    }

    /// Sends queued receipts in order, downloads envelopes of new assignments (the delivery
    /// receipt), and wipes assignments that were cancelled, expired or completed from this device.
    /// `device` is this device's key fingerprint (public: no passphrase needed to sync).
    /// `formerly` is the fingerprint this device had before it gained an X-Wing key, if it did.
    public func sync(device: KeyFingerprint?, formerly: KeyFingerprint? = nil, signingWith signer: DeviceKeyPair? = nil) async throws -> SyncReport {
        var report = try await flushReceipts()
        guard report.receiptsWaiting == 0 else { return report }
        let (api, session) = try api()
        if let device, session.user.role == .peerMentor {
            var cursor: String?
            repeat {
                let page = try await api.overview(OverviewFilter(limit: 200, cursor: cursor))
                for item in page.assignments {
                    let itemID: AssignmentID = try answerID(item.id)
                    guard try folder.cachedEnvelope(itemID) == nil else { continue }
                    if item.requiresConsent && item.consentGivenAt == nil { continue }
                    let bytes = try await download(itemID, as: [device] + (formerly.map { [$0] } ?? []), api: api)
                    let info = try await api.assignment(itemID)
                    try folder.cache(envelope: bytes, info: info)
                    report.downloaded.append(itemID)
                    // Learn (pin) the signing key now, so the assignment opens offline later. A key
                    // that needs verifying is reported when the assignment is opened.
                    let envelope = try AssignmentEnvelope.parse(bytes)
                    _ = try? await senderKeys(envelope.senderFingerprint, of: try answerID(info.coordinatorId), api: api)
                }
                cursor = page.nextCursor
            } while cursor != nil
        }
        for id in folder.cachedIDs() {
            do {
                let info = try await api.assignment(id)
                if let status = AssignmentStatus(rawValue: info.status.rawValue),
                    let reason = ErasureReason.due(status: status, payloadDestroyed: info.payloadDestroyed, expiresAt: info.expiresAt, at: now())
                {
                    try erase(id, reason: reason, session: session)
                    report.wiped.append(id)
                } else {
                    try folder.update(info)
                }
            } catch DeviceClientError.server(404, _, _) {
                // Gone from the server (archived): there is nobody to send a receipt to.
                folder.wipe(id)
                report.wiped.append(id)
            }
        }
        for id in folder.sentIDs() {
            do {
                let info = try await api.assignment(id)
                guard let status = AssignmentStatus(rawValue: info.status.rawValue),
                    !Reassignment.keepsSenderCopy(
                        status: status, payloadDestroyed: info.payloadDestroyed, declinedAt: info.declinedAt, expiresAt: info.expiresAt, at: now())
                else { continue }
            } catch DeviceClientError.server(404, _, _) {}
            folder.wipeSent(id)
            report.sentCopiesWiped.append(id)
        }
        if let signer {
            let confirmed = try await confirmErasures(signingWith: signer)
            report.erasureReceiptsSent = confirmed.sent
            report.receiptsRefused += confirmed.refused
        }
        report.erasureReceiptsWaiting = try folder.pendingErasures().count
        return report
    }

    /// Removes this recipient device's copy of an assignment and remembers the erasure, to be
    /// signed and sent as an erasure receipt when the keystore is next unlocked.
    func erase(_ id: AssignmentID, reason: ErasureReason, session: DeviceSession) throws {
        // The device key the copy was sealed to is the one that confirms (a device that gained an
        // X-Wing key since received it under its old fingerprint).
        let sealedTo = (try? folder.cachedEnvelope(id)).flatMap { $0 }.flatMap { try? AssignmentEnvelope.parse($0) }?.sealedKeys.first?.fingerprint
        folder.wipe(id)
        guard let fingerprint = sealedTo ?? session.deviceFingerprint.flatMap(KeyFingerprint.init(hex:)) else { return }
        var pending = try folder.pendingErasures()
        guard !pending.contains(where: { $0.assignmentID == id }) else { return }
        let erasedAt = Date(timeIntervalSince1970: now().timeIntervalSince1970.rounded(.down))
        pending.append(PendingErasure(assignmentID: id, device: fingerprint, erasedAt: erasedAt, reason: reason))
        try folder.save(pending)
    }

    /// Signs the waiting erasures with this device's key and sends them, in the order made. Stops
    /// at the first network failure (keeping the rest); drops one the server refuses (reported
    /// with its code). Erasures of another device's keys (a keystore replaced since) wait for it.
    @discardableResult
    public func confirmErasures(signingWith device: DeviceKeyPair) async throws -> (sent: Int, refused: [String]) {
        var pending = try folder.pendingErasures()
        guard !pending.isEmpty else { return (0, []) }
        let (api, session) = try api()
        let organization: OrganizationID = try answerID(session.user.organizationId)
        var sent = 0
        var refused: [String] = []
        var index = 0
        while index < pending.count {
            let erasure = pending[index]
            guard device.fingerprints.contains(erasure.device) else {
                index += 1
                continue
            }
            let receipt = ErasureReceipt(
                assignmentID: erasure.assignmentID.uuid, organizationID: organization.uuid, device: erasure.device, erasedAt: erasure.erasedAt,
                reason: erasure.reason)
            do {
                _ = try await api.confirmErasure(receipt, signature: try receipt.signature(by: device))
                sent += 1
            } catch DeviceClientError.unreachable {
                break
            } catch DeviceClientError.server(_, let code, _) {
                refused.append("erasure \(erasure.assignmentID): \(code)")
            }
            pending.remove(at: index)
            try folder.save(pending)
        }
        return (sent, refused)
    }

    /// Sends the queued receipts in the order they were made; stops at the first network failure
    /// (keeping the rest), and drops a receipt the server refuses (reported with its code).
    func flushReceipts() async throws -> SyncReport {
        var report = SyncReport()
        var queue = try folder.receipts()
        guard !queue.isEmpty else { return report }
        let (api, _) = try api()
        while let next = queue.first {
            do {
                let info = try await api.send(next)
                try folder.update(info)
                report.receiptsSent += 1
            } catch DeviceClientError.unreachable {
                break
            } catch DeviceClientError.server(_, let code, _) {
                report.receiptsRefused.append("\(next.action.rawValue) \(next.assignmentID): \(code)")
            } catch DeviceClientError.storage {
                report.receiptsRefused.append("\(next.action.rawValue) \(next.assignmentID): receipt_incomplete")
            }
            queue.removeFirst()
            try folder.save(queue)
        }
        report.receiptsWaiting = queue.count
        return report
    }

    /// The coordinator's key that signed an envelope: pinned, or fetched and pinned on first use of
    /// that coordinator; a key the device has not pinned for a known coordinator is refused.
    func senderKeys(_ fingerprint: KeyFingerprint, of coordinator: UserID, api: DispatchAPI) async throws -> DevicePublicKeys {
        var pins = try folder.pins()
        if let pinned = pins.pinnedKey(fingerprint, of: coordinator) { return try pinned.publicKeys() }
        let keys = try await api.keys(of: coordinator.description, includeInactive: true)
        guard let key = keys.keys.first(where: { $0.fingerprint == fingerprint.hex }) else { throw EnvelopeError.senderMismatch }
        let checked = try KeyPins.checked(key)
        if pins.knows(coordinator) {
            throw DeviceClientError.keyChanged(handle: keys.handle, unverified: [checked.keys.fingerprint.readAloud.joined(separator: " ")])
        }
        // First use of this coordinator: pin the key that signed (active or not).
        pins.users[coordinator.description] = KeyPins.PinnedUser(handle: keys.handle, keys: [KeyPins.pin(checked, at: now())])
        try folder.save(pins)
        return checked.keys
    }

    // MARK: Payload

    static func encode(_ payload: CasePayload) throws -> [UInt8] {
        guard !payload.contactName.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw DeviceClientError.payloadInvalid("the contact's name is empty")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = [UInt8](try encoder.encode(payload))
        guard bytes.count < AssignmentEnvelope.maximumPaddedPayload else {
            throw DeviceClientError.payloadInvalid("it is larger than \(AssignmentEnvelope.maximumPaddedPayload / 1024) KiB")
        }
        return bytes
    }

    static func decode(_ bytes: [UInt8]) throws -> CasePayload {
        guard let payload = try? JSONDecoder().decode(CasePayload.self, from: Data(bytes)) else {
            throw DeviceClientError.payloadInvalid("the case information inside the envelope is not in a form this program reads")
        }
        guard payload.version == CasePayload.currentVersion else {
            throw DeviceClientError.payloadInvalid("the case information is version \(payload.version); update this program to read it")
        }
        return payload
    }
}
