import AssignmentCore
import Envelope
import Foundation
import Hummingbird
import HTTPTypes
import Storage

extension HTTPField.Name {
    public static let idempotencyKey = Self("Idempotency-Key")!
    public static let idempotentReplayed = Self("Idempotent-Replayed")!
}

/// The assignment lifecycle over HTTP (`docs/http.md`):
///
/// - `POST /v1/assignments`: the coordinator's device dispatches an envelope it sealed, under an id
///   it chose (201, with personal-data warnings for title and notes); with an `Idempotency-Key`, a
///   retry gets the stored answer (and `Idempotent-Replayed: true`);
/// - `GET /v1/assignments`: the status overview (filters `status`, `peer_mentor`, `region`,
///   `overdue`; `limit` and `cursor` for pages), most urgent first; a peer mentor's own inbox;
/// - `GET /v1/assignments/{id}`: the metadata, for its peer mentor and the organisation's coordinators;
/// - `GET /v1/assignments/{id}/envelope?device=FINGERPRINT`: the recipient's device downloads its copy
///   (the first download is the delivery receipt); 410 once cancelled or expired;
/// - `POST /v1/assignments/{id}/consent`, `/read`, `/acknowledge`, `/contact`, `/complete`, `/cancel` (`{"reason": …}`).
struct AssignmentsController {
    let assignments: AssignmentStore
    let idempotency: IdempotencyStore
    let now: @Sendable () -> Date

    struct Dispatch: StrictRequestBody {
        static let members: Set<String> = [
            "id", "recipient_id", "local_association_id", "title", "coordinator_notes", "assignment_type", "priority", "is_urgent",
            "requires_consent", "honorarium_eligible", "geographic_region", "expires_at", "contact_deadline_at", "envelope",
        ]
        var id: UUID
        var recipientID: UUID
        var localAssociationID: UUID?
        var title: String
        var coordinatorNotes: String?
        var assignmentType: String?
        var priority: Priority?
        var isUrgent: Bool?
        var requiresConsent: Bool?
        var honorariumEligible: Bool?
        var geographicRegion: String?
        var expiresAt: Date?
        var contactDeadlineAt: Date?
        var envelope: String

        enum CodingKeys: String, CodingKey {
            case id, title, priority, envelope
            case recipientID = "recipient_id"
            case localAssociationID = "local_association_id"
            case coordinatorNotes = "coordinator_notes"
            case assignmentType = "assignment_type"
            case isUrgent = "is_urgent"
            case requiresConsent = "requires_consent"
            case honorariumEligible = "honorarium_eligible"
            case geographicRegion = "geographic_region"
            case expiresAt = "expires_at"
            case contactDeadlineAt = "contact_deadline_at"
        }
    }

    struct Cancellation: StrictRequestBody {
        static let members: Set<String> = ["reason"]
        var reason: String
    }

    struct Dispatched: ResponseEncodable {
        var assignment: AssignmentResponse
        var warnings: [PersonalDataFinding]
    }

    static let overviewParameters: Set<String> = ["status", "peer_mentor", "region", "overdue", "limit", "cursor"]

    /// The overview's query string, strictly: unknown parameters and malformed values are refused.
    static func overviewQuery(_ parameters: Parameters) throws -> OverviewQuery {
        let unknown = Set(parameters.map { String($0.key) }).subtracting(overviewParameters)
        guard unknown.isEmpty else { throw RequestError.unknownMembers(unknown.sorted()) }
        var query = OverviewQuery()
        if let text = parameters.get("status") {
            guard let status = AssignmentStatus(rawValue: text), status.isOpen else {
                throw RequestError.invalidValue(member: "status", problem: "must be one of dispatched, delivered, read, acknowledged")
            }
            query.status = status
        }
        if let text = parameters.get("peer_mentor") {
            guard (1...64).contains(text.count) else { throw RequestError.invalidValue(member: "peer_mentor", problem: "must be a user id or handle") }
            query.peerMentor = text
        }
        if let text = parameters.get("region") {
            guard (1...100).contains(text.count) else { throw RequestError.invalidValue(member: "region", problem: "must be 1 to 100 characters") }
            query.region = text
        }
        if let text = parameters.get("overdue") {
            guard let value = Bool(text) else { throw RequestError.invalidValue(member: "overdue", problem: "must be true or false") }
            query.overdue = value
        }
        if let text = parameters.get("limit") {
            guard let value = Int(text), (1...200).contains(value) else { throw RequestError.invalidValue(member: "limit", problem: "must be a whole number from 1 to 200") }
            query.limit = value
        }
        if let text = parameters.get("cursor") {
            guard let cursor = OverviewCursorText.decode(text) else { throw RequestError.invalidValue(member: "cursor", problem: "is not a cursor this server gave out") }
            query.cursor = cursor
        }
        return query
    }

    static func json(_ stored: StoredResponse) -> Response {
        Response(
            status: HTTPResponse.Status(code: stored.status), headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: stored.body)))
    }

    func addRoutes(to group: RouterGroup<DispatchRequestContext>) {
        group.post("/assignments") { request, context -> Response in
            let user = try context.requireUser()
            let (body, bytes) = try await request.decodeStrictlyKeepingBytes(as: Dispatch.self, context: context)
            guard let envelope = Data(base64Encoded: body.envelope) else {
                throw RequestError.invalidValue(member: "envelope", problem: "must be the envelope's bytes in base64")
            }
            let submission = DispatchSubmission(
                id: AssignmentID(body.id), recipientID: UserID(body.recipientID), localAssociationID: body.localAssociationID.map(LocalAssociationID.init),
                title: body.title, coordinatorNotes: body.coordinatorNotes, assignmentType: body.assignmentType ?? "peer_support",
                priority: body.priority ?? .normal, isUrgent: body.isUrgent ?? false, requiresConsent: body.requiresConsent ?? false,
                honorariumEligible: body.honorariumEligible ?? true, geographicRegion: body.geographicRegion, expiresAt: body.expiresAt,
                contactDeadlineAt: body.contactDeadlineAt, envelope: [UInt8](envelope))
            let encoder = context.responseEncoder
            let render: @Sendable (DispatchedAssignment) throws -> StoredResponse = { result in
                let dispatched = Dispatched(assignment: AssignmentResponse(result.assignment, for: user), warnings: result.warnings)
                return StoredResponse(status: 201, body: [UInt8](try encoder.encode(dispatched)))
            }
            guard let key = request.headers[.idempotencyKey] else {
                return Self.json(try render(try await assignments.dispatch(submission, by: user.context, at: now())))
            }
            // The hash covers the body as sent: a retry must resend the same bytes.
            let idempotent = try IdempotentRequest(key: key, requestHash: SHA256.hash(Array("POST /v1/assignments\n".utf8) + [UInt8](bytes)))
            switch try await idempotency.claim(idempotent, by: user.context, at: now()) {
            case .replay(let stored):
                var response = Self.json(stored)
                response.headers[.idempotentReplayed] = "true"
                return response
            case .claimed:
                do {
                    let result = try await assignments.dispatch(
                        submission, by: user.context, at: now(), idempotency: IdempotencyCompletion(request: idempotent, render: render))
                    return Self.json(try render(result))
                } catch {
                    try? await idempotency.release(idempotent, by: user.context)
                    throw error
                }
            }
        }
        group.get("/assignments") { request, context -> OverviewPage in
            let user = try context.requireUser()
            return OverviewPage(try await assignments.overview(try Self.overviewQuery(request.uri.queryParameters), as: user.context, at: now()))
        }
        group.get("/assignments/{id}") { _, context -> AssignmentResponse in
            let user = try context.requireUser()
            let id = AssignmentID(try context.parameters.requireID("id"))
            return AssignmentResponse(try await assignments.assignment(id, as: user.context), for: user)
        }
        group.get("/assignments/{id}/envelope") { request, context -> Response in
            let user = try context.requireUser()
            let id = AssignmentID(try context.parameters.requireID("id"))
            guard let device = request.uri.queryParameters.get("device"), let fingerprint = KeyFingerprint(hex: device) else {
                throw RequestError.invalidValue(member: "device", problem: "must be this device's key fingerprint (64 hex digits)")
            }
            let bytes = try await assignments.downloadEnvelope(id, forDevice: fingerprint, by: user.context, at: now())
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        for (path, status) in [("read", AssignmentStatus.read), ("acknowledge", .acknowledged), ("complete", .completed)] {
            group.post("/assignments/{id}/\(path)") { _, context -> AssignmentResponse in
                let user = try context.requireUser()
                let id = AssignmentID(try context.parameters.requireID("id"))
                return AssignmentResponse(try await assignments.transition(id, to: status, by: user.context, at: now()), for: user)
            }
        }
        group.post("/assignments/{id}/cancel") { request, context -> AssignmentResponse in
            let user = try context.requireUser()
            let id = AssignmentID(try context.parameters.requireID("id"))
            let body = try await request.decodeStrictly(as: Cancellation.self, context: context)
            return AssignmentResponse(try await assignments.transition(id, to: .cancelled, by: user.context, at: now(), reason: body.reason), for: user)
        }
        group.post("/assignments/{id}/consent") { _, context -> AssignmentResponse in
            let user = try context.requireUser()
            let id = AssignmentID(try context.parameters.requireID("id"))
            return AssignmentResponse(try await assignments.giveConsent(id, by: user.context, at: now()), for: user)
        }
        group.post("/assignments/{id}/contact") { _, context -> AssignmentResponse in
            let user = try context.requireUser()
            let id = AssignmentID(try context.parameters.requireID("id"))
            return AssignmentResponse(try await assignments.recordContact(id, by: user.context, at: now()), for: user)
        }
    }
}

/// An assignment's metadata as the API shows it (snake_case). Coordinator notes only to
/// coordinators and admins, as the seeds ask.
struct AssignmentResponse: ResponseEncodable, Codable {
    var id: AssignmentID
    var organizationID: OrganizationID
    var coordinatorID: UserID
    var peerMentorID: UserID
    var title: String
    var coordinatorNotes: String?
    var status: AssignmentStatus
    var priority: Priority
    var isUrgent: Bool
    var requiresConsent: Bool
    var consentGivenAt: Date?
    var dispatchedAt: Date?
    var deliveredAt: Date?
    var readAt: Date?
    var acknowledgedAt: Date?
    var contactMadeAt: Date?
    var completedAt: Date?
    var cancelledAt: Date?
    var cancellationReason: String?
    var expiresAt: Date?
    var contactDeadlineAt: Date?
    var payloadDestroyed: Bool
    var reminderCount: Int
    var nextReminderAt: Date?

    init(_ assignment: Assignment, for viewer: UserRecord) {
        id = assignment.id
        organizationID = assignment.organizationID
        coordinatorID = assignment.coordinatorID
        peerMentorID = assignment.peerMentorID
        title = assignment.title
        coordinatorNotes = viewer.role >= .coordinator ? assignment.coordinatorNotes : nil
        status = assignment.status
        priority = assignment.priority
        isUrgent = assignment.isUrgent
        requiresConsent = assignment.requiresConsent
        consentGivenAt = assignment.consentGivenAt
        dispatchedAt = assignment.dispatchedAt
        deliveredAt = assignment.deliveredAt
        readAt = assignment.readAt
        acknowledgedAt = assignment.acknowledgedAt
        contactMadeAt = assignment.contactMadeAt
        completedAt = assignment.completedAt
        cancelledAt = assignment.cancelledAt
        cancellationReason = assignment.cancellationReason
        expiresAt = assignment.expiresAt
        contactDeadlineAt = assignment.contactDeadlineAt
        payloadDestroyed = assignment.payloadDestroyedAt != nil
        reminderCount = assignment.reminderCount
        nextReminderAt = assignment.nextReminderAt
    }

    enum CodingKeys: String, CodingKey {
        case id, title, status, priority
        case organizationID = "organization_id"
        case coordinatorID = "coordinator_id"
        case peerMentorID = "peer_mentor_id"
        case coordinatorNotes = "coordinator_notes"
        case isUrgent = "is_urgent"
        case requiresConsent = "requires_consent"
        case consentGivenAt = "consent_given_at"
        case dispatchedAt = "dispatched_at"
        case deliveredAt = "delivered_at"
        case readAt = "read_at"
        case acknowledgedAt = "acknowledged_at"
        case contactMadeAt = "contact_made_at"
        case completedAt = "completed_at"
        case cancelledAt = "cancelled_at"
        case cancellationReason = "cancellation_reason"
        case expiresAt = "expires_at"
        case contactDeadlineAt = "contact_deadline_at"
        case payloadDestroyed = "payload_destroyed"
        case reminderCount = "reminder_count"
        case nextReminderAt = "next_reminder_at"
    }
}
