import AssignmentCore
import Contract
import Envelope
import Foundation
import OpenAPIRuntime
import Storage

/// The assignment lifecycle (`docs/http.md`):
///
/// - `POST /v1/assignments`: the coordinator's device dispatches an envelope it sealed, under an id
///   it chose (201, with personal-data warnings for title and notes); `Idempotency-Key` is handled
///   around it by ``IdempotencyMiddleware``;
/// - `GET /v1/assignments`: the status overview, most urgent first; a peer mentor's own inbox;
/// - `GET /v1/assignments/{id}`: the metadata, for its peer mentor and the organisation's coordinators;
/// - `GET /v1/assignments/{id}/envelope?device=FINGERPRINT`: the recipient's device downloads its copy
///   (the first download is the delivery receipt); 410 once cancelled or expired;
/// - `POST /v1/assignments/{id}/consent`, `/read`, `/acknowledge`, `/contact`, `/complete`, `/cancel`,
///   `/decline`; `GET …/history` and `…/suggestions`;
/// - `POST /v1/assignments/{id}/erasure-receipts`: a recipient's device's signed erasure receipt;
///   `GET /v1/erasure-confirmations`: which devices confirmed erasing closed assignments.
extension APIHandler {
    func dispatch(_ input: Operations.Dispatch.Input) async throws -> Operations.Dispatch.Output {
        let user = try RequestScope.requireUser()
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        let submission = DispatchSubmission(
            id: AssignmentID(try Self.uuid(body.id, "id")), recipientID: UserID(try Self.uuid(body.recipientId, "recipient_id")),
            localAssociationID: try body.localAssociationId.map { LocalAssociationID(try Self.uuid($0, "local_association_id")) },
            title: body.title, coordinatorNotes: body.coordinatorNotes, assignmentType: body.assignmentType ?? "peer_support",
            priority: body.priority.map(Priority.init) ?? .normal, isUrgent: body.isUrgent ?? false, requiresConsent: body.requiresConsent ?? false,
            honorariumEligible: body.honorariumEligible ?? true, geographicRegion: body.geographicRegion, expiresAt: body.expiresAt,
            contactDeadlineAt: body.contactDeadlineAt, envelope: [UInt8](body.envelope.data),
            reassignedFrom: try body.reassignedFrom.map { AssignmentID(try Self.uuid($0, "reassigned_from")) })
        let result: DispatchedAssignment
        if let idempotent = RequestScope.idempotency {
            // The answer is stored in the dispatch's own transaction, exactly as it is sent.
            let completion = idempotent.completion { try ContractJSON.encode(Components.Schemas.Dispatched($0, for: user)) }
            result = try await assignments.dispatch(submission, by: user.context, at: now(), idempotency: completion)
        } else {
            result = try await assignments.dispatch(submission, by: user.context, at: now())
        }
        return .created(.init(body: .json(.init(result, for: user))))
    }

    func overview(_ input: Operations.Overview.Input) async throws -> Operations.Overview.Output {
        let user = try RequestScope.requireUser()
        let limit = input.query.limit ?? 50
        guard (1...200).contains(limit) else { throw RequestError.invalidValue(member: "limit", problem: "must be a whole number from 1 to 200") }
        var query = OverviewQuery(limit: limit)
        query.status = input.query.status.map(AssignmentStatus.init)
        query.peerMentor = try input.query.peerMentor.map { try Self.userReference($0, allowingMe: false, user: user) }
        if let region = input.query.region {
            guard (1...100).contains(region.unicodeScalars.count) else { throw RequestError.invalidValue(member: "region", problem: "must be 1 to 100 characters") }
            query.region = region
        }
        query.overdue = input.query.overdue
        if let text = input.query.cursor {
            guard let cursor = OverviewCursorText.decode(text) else {
                throw RequestError.invalidValue(member: "cursor", problem: "is not a cursor this server gave out")
            }
            query.cursor = cursor
        }
        return .ok(.init(body: .json(.init(try await assignments.overview(query, as: user.context, at: now())))))
    }

    func assignment(_ input: Operations.Assignment.Input) async throws -> Operations.Assignment.Output {
        let user = try RequestScope.requireUser()
        let assignment = try await assignments.assignment(AssignmentID(try Self.uuid(input.path.id, "id")), as: user.context)
        return .ok(.init(body: .json(.init(assignment, for: user))))
    }

    func history(_ input: Operations.History.Input) async throws -> Operations.History.Output {
        let user = try RequestScope.requireUser()
        let (_, events) = try await assignments.timeline(AssignmentID(try Self.uuid(input.path.id, "id")), as: user.context, at: now())
        return .ok(.init(body: .json(events.map {
            Components.Schemas.HistoryEntry(at: $0.at, action: $0.action, actorRole: $0.actorRole, actorHandle: $0.actorHandle, details: $0.details)
        })))
    }

    func envelope(_ input: Operations.Envelope.Input) async throws -> Operations.Envelope.Output {
        let user = try RequestScope.requireUser()
        let id = AssignmentID(try Self.uuid(input.path.id, "id"))
        guard let fingerprint = KeyFingerprint(hex: input.query.device) else {
            throw RequestError.invalidValue(member: "device", problem: "must be this device's key fingerprint (64 hex digits)")
        }
        let bytes = try await assignments.downloadEnvelope(id, forDevice: fingerprint, by: user.context, at: now())
        return .ok(.init(headers: .init(cacheControl: "no-store"), body: .binary(HTTPBody(bytes))))
    }

    func consent(_ input: Operations.Consent.Input) async throws -> Operations.Consent.Output {
        let user = try RequestScope.requireUser()
        let assignment = try await assignments.giveConsent(AssignmentID(try Self.uuid(input.path.id, "id")), by: user.context, at: now())
        return .ok(.init(body: .json(.init(assignment, for: user))))
    }

    func read(_ input: Operations.Read.Input) async throws -> Operations.Read.Output {
        .ok(.init(body: .json(try await move(input.path.id, to: .read))))
    }

    func opened(_ input: Operations.Opened.Input) async throws -> Operations.Opened.Output {
        let user = try RequestScope.requireUser()
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        guard let fingerprint = KeyFingerprint(hex: body.device) else {
            throw RequestError.invalidValue(member: "device", problem: "must be this device's key fingerprint (64 hex digits)")
        }
        let assignment = try await assignments.recordOpening(
            AssignmentID(try Self.uuid(input.path.id, "id")), device: fingerprint, openedAt: body.openedAt, by: user.context, at: now())
        return .ok(.init(body: .json(.init(assignment, for: user))))
    }

    func acknowledge(_ input: Operations.Acknowledge.Input) async throws -> Operations.Acknowledge.Output {
        .ok(.init(body: .json(try await move(input.path.id, to: .acknowledged))))
    }

    func complete(_ input: Operations.Complete.Input) async throws -> Operations.Complete.Output {
        .ok(.init(body: .json(try await move(input.path.id, to: .completed))))
    }

    func cancel(_ input: Operations.Cancel.Input) async throws -> Operations.Cancel.Output {
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        return .ok(.init(body: .json(try await move(input.path.id, to: .cancelled, reason: body.reason))))
    }

    func suggestions(_ input: Operations.Suggestions.Input) async throws -> Operations.Suggestions.Output {
        let user = try RequestScope.requireUser()
        let suggestions = try await assignments.suggestions(for: AssignmentID(try Self.uuid(input.path.id, "id")), as: user.context, at: now())
        return .ok(.init(body: .json(suggestions.map(Components.Schemas.Suggestion.init))))
    }

    func decline(_ input: Operations.Decline.Input) async throws -> Operations.Decline.Output {
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        return .ok(.init(body: .json(try await move(input.path.id, to: .declined, reason: body.reason.rawValue))))
    }

    func confirmErasure(_ input: Operations.ConfirmErasure.Input) async throws -> Operations.ConfirmErasure.Output {
        let user = try RequestScope.requireUser()
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        guard let device = KeyFingerprint(hex: body.device) else {
            throw RequestError.invalidValue(member: "device", problem: "must be this device's key fingerprint (64 hex digits)")
        }
        let erasedAt = body.erasedAt.timeIntervalSince1970
        guard erasedAt.rounded(.down) == erasedAt else {
            throw RequestError.invalidValue(member: "erased_at", problem: "must be in whole seconds, exactly as signed")
        }
        let signature = [UInt8](body.signature.data)
        guard signature.count == 64 else { throw RequestError.invalidValue(member: "signature", problem: "must be an Ed25519 signature (64 bytes)") }
        let receipt = ErasureReceipt(
            assignmentID: try Self.uuid(input.path.id, "id"), organizationID: user.organizationID.uuid, device: device, erasedAt: body.erasedAt,
            reason: ErasureReason(rawValue: body.reason.rawValue)!)
        let record = try await ErasureReceiptStore(database: database).record(receipt, signature: signature, by: user.context, at: now())
        return .ok(.init(body: .json(.init(record))))
    }

    func erasureConfirmations(_ input: Operations.ErasureConfirmations.Input) async throws -> Operations.ErasureConfirmations.Output {
        let user = try RequestScope.requireUser()
        let limit = input.query.limit ?? 100
        guard (1...500).contains(limit) else { throw RequestError.invalidValue(member: "limit", problem: "must be a whole number from 1 to 500") }
        let closed = try await ErasureReceiptStore(database: database).closedAssignments(as: user.context, at: now(), limit: limit)
        return .ok(.init(body: .json(closed.map(Components.Schemas.ClosedAssignmentErasure.init))))
    }

    func contact(_ input: Operations.Contact.Input) async throws -> Operations.Contact.Output {
        let user = try RequestScope.requireUser()
        let assignment = try await assignments.recordContact(AssignmentID(try Self.uuid(input.path.id, "id")), by: user.context, at: now())
        return .ok(.init(body: .json(.init(assignment, for: user))))
    }

    private func move(_ id: String, to status: AssignmentStatus, reason: String? = nil) async throws -> Components.Schemas.Assignment {
        let user = try RequestScope.requireUser()
        let assignment = try await assignments.transition(AssignmentID(try Self.uuid(id, "id")), to: status, by: user.context, at: now(), reason: reason)
        return .init(assignment, for: user)
    }
}
