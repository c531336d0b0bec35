import AssignmentCore
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle
import Storage

/// The status overview, one assignment's page with its timeline and cancel form, and the event
/// stream that keeps them live.
extension WebPages {
    func overview(_ page: Page) async throws -> Response {
        let role = page.user.role
        guard role.seesAssignments, role != .peerMentor else {
            if role == .peerMentor {
                return render("message", language: page.language, page: page, ["heading": text("mentor_title", page.language), "text": text("mentor_text", page.language)])
            }
            throw PageRefusal()
        }
        let parameters = page.request.uri.queryParameters
        let status = parameters.get("status").flatMap { $0.isEmpty ? nil : AssignmentStatus(rawValue: $0) }.flatMap { $0.isOpen ? $0 : nil }
        let region = parameters.get("region").map { String($0.prefix(100)).trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
        let overdue = parameters.get("overdue") == "true" ? true : nil
        let cursor = parameters.get("cursor").flatMap(OverviewCursorText.decode)
        let organization = try await AccountStore(database: database).organization(page.user.organizationID.description)
        let timeZone = organization.settings.calendar.timeZone
        let result = try await AssignmentStore(database: database).overview(
            OverviewQuery(status: status, region: region, overdue: overdue, limit: 50, cursor: cursor), as: page.user.context, at: now())
        let language = page.language
        let rows: [[String: Any]] = result.assignments.map { entry in
            [
                "id": entry.id.description, "title": entry.title, "urgent": entry.isUrgent, "status": entry.status.rawValue,
                "statusLabel": text("status_\(entry.status.rawValue)", language), "peerMentor": entry.peerMentorHandle,
                "dispatched": Self.display(entry.dispatchedAt, in: timeZone), "deadline": Self.display(entry.contactDeadline, in: timeZone),
                "overdue": entry.overdue, "reminders": entry.reminderCount, "region": entry.geographicRegion ?? "",
            ]
        }
        let openStatuses = AssignmentStatus.allCases.filter(\.isOpen)
        var next: String?
        if let nextCursor = result.nextCursor {
            var components = URLComponents()
            components.path = "/overview"
            components.queryItems = [
                status.map { URLQueryItem(name: "status", value: $0.rawValue) }, region.map { URLQueryItem(name: "region", value: $0) },
                overdue.map { _ in URLQueryItem(name: "overdue", value: "true") }, URLQueryItem(name: "cursor", value: OverviewCursorText.encode(nextCursor)),
            ].compactMap { $0 }
            next = components.string
        }
        return render(
            "overview", language: language, page: page,
            [
                "rows": rows, "hasRows": !rows.isEmpty, "statusLabels": statusLabels(language), "liveChanged": texts.source(.page("live_changed"), language),
                "counts": openStatuses.map { ["status": $0.rawValue, "label": text("status_\($0.rawValue)", language), "count": result.counts[$0.rawValue] ?? 0] as [String: Any] },
                "overdueCount": result.overdueCount,
                "statusOptions": openStatuses.map { ["value": $0.rawValue, "label": text("status_\($0.rawValue)", language), "selected": $0 == status] as [String: Any] },
                "region": region ?? "", "overdue": overdue == true, "nextPage": next as Any,
                "hasDeclined": !result.recentlyDeclined.isEmpty,
                "declined": result.recentlyDeclined.map { entry in
                    [
                        "id": entry.id.description, "title": entry.title, "peerMentor": entry.peerMentorHandle, "at": Self.display(entry.declinedAt, in: timeZone),
                        "reason": text("reason_\(entry.reason.rawValue)", language), "region": entry.geographicRegion ?? "",
                    ] as [String: Any]
                },
            ])
    }

    func assignment(_ page: Page, id text: String, notice: String?, error: String?) async throws -> Response {
        guard page.user.role.seesAssignments else { throw PageRefusal() }
        guard let uuid = UUID(uuidString: text) else { throw DomainError.notFound }
        let (assignment, events) = try await AssignmentStore(database: database).timeline(AssignmentID(uuid), as: page.user.context, at: now())
        let organization = try await AccountStore(database: database).organization(page.user.organizationID.description)
        let timeZone = organization.settings.calendar.timeZone
        let language = page.language
        let mentor = try await AccountStore(database: database).user(assignment.peerMentorID.description, in: page.user.organizationID)
        let parties = LifecycleParty.parties(of: .user(page.user.context), in: assignment) ?? []
        let coordinates = !parties.isDisjoint(with: [.dispatchingCoordinator, .organizationAdmin])
        let canCancel = assignment.status.isOpen && coordinates
        // Who could take it over: once declined, or while it waits for contact.
        let showSuggestions = coordinates && (assignment.status == .declined || assignment.status.isOpen)
        let suggestions = showSuggestions
            ? try await AssignmentStore(database: database).suggestions(for: assignment.id, as: page.user.context, at: now(), limit: 5) : []
        var values: [String: Any] = [
            "id": assignment.id.description, "title": assignment.title, "status": assignment.status.rawValue,
            "statusLabel": self.text("status_\(assignment.status.rawValue)", language), "statusLabels": statusLabels(language),
            "peerMentor": mentor.handle, "dispatched": Self.display(assignment.dispatchedAt, in: timeZone),
            "deadline": Self.display(assignment.contactDeadlineAt, in: timeZone), "reminders": assignment.reminderCount,
            "region": assignment.geographicRegion ?? "", "canCancel": canCancel,
            "showSuggestions": showSuggestions, "hasSuggestions": !suggestions.isEmpty,
            "suggestions": suggestions.map { suggestion in
                [
                    "handle": suggestion.handle, "sameAssociation": self.text(suggestion.sameLocalAssociation ? "yes" : "no", language),
                    "knowsRegion": self.text(suggestion.knowsRegion ? "yes" : "no", language), "open": suggestion.openAssignments,
                ] as [String: Any]
            },
            "events": events.map { event in
                [
                    "at": Self.display(event.at, in: timeZone), "action": event.action,
                    "who": event.actorHandle.map { "\($0) (\(self.text("role_\(event.actorRole)", language)))" } ?? self.text("system", language),
                    "details": event.details,
                ] as [String: Any]
            },
        ]
        if let notice { values["notice"] = notice }
        if let error { values["error"] = error }
        return render("assignment", language: language, page: page, values)
    }

    func cancel(_ page: Page, id text: String) async throws -> Response {
        guard page.user.role.seesAssignments else { throw PageRefusal() }
        guard let uuid = UUID(uuidString: text) else { throw DomainError.notFound }
        let reason = (page.form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            _ = try await AssignmentStore(database: database).transition(AssignmentID(uuid), to: .cancelled, by: page.user.context, at: now(), reason: reason)
        } catch let error as DomainError where error != .notFound {
            var response = try await assignment(page, id: text, notice: nil, error: error.message)
            response.status = ProblemMapping.status(of: error)
            return response
        }
        // Post/redirect/get: reloading the page does not send the form again.
        return Self.redirect("/assignments/\(uuid.uuidString.lowercased())?notice=cancelled")
    }

    /// `GET /events`: server-sent events, one `assignment` event (`{"id", "status"}`) for each
    /// change of an assignment the user may see, from any server instance; a comment every 15
    /// seconds keeps proxies from closing the stream (``LiveEvent/keepAlive``). Ends when the server stops.
    func events(_ page: Page) async throws -> Response {
        guard page.user.role.seesAssignments else { throw PageRefusal() }
        let events = updates.subscribe(as: page.user.context)
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
            // A stopping server ends the stream (the page's EventSource reconnects), rather than
            // waiting for the browser to go.
            let updates = self.updates
            try await withGracefulShutdownHandler {
                for await event in events {
                    switch event {
                    case .change(let change):
                        try await writer.write(
                            ByteBuffer(string: "event: assignment\ndata: {\"id\":\"\(change.assignmentID)\",\"status\":\"\(change.status.rawValue)\"}\n\n"))
                    case .keepAlive:
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    }
                }
            } onGracefulShutdown: {
                updates.finish()
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}
