import AssignmentCore
import DeviceClient
import Foundation

/// Linear text for the device commands: sentences, one fact per line, dates written out, nothing
/// that relies on colour or layout, so that a screen reader reads it well.
enum SpokenText {
    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone.current
        formatter.dateFormat = "EEEE d MMMM yyyy 'at' HH:mm"
        return formatter.string(from: date)
    }

    static func plural(_ count: Int, _ singular: String, _ plural: String? = nil) -> String {
        "\(count) \(count == 1 ? singular : plural ?? singular + "s")"
    }

    static func status(_ status: AssignmentStatus) -> String {
        status.rawValue
    }

    /// The overview (coordinators) or the inbox (peer mentors).
    static func overview(_ page: OverviewPage, forMentor: Bool) -> String {
        var lines: [String] = []
        let counts = page.counts.additionalProperties
        let total = counts.values.reduce(0, +)
        lines.append(forMentor ? "You have \(plural(total, "open assignment"))." : "Open assignments: \(total). Overdue: \(page.overdueCount).")
        if !forMentor, total > 0 {
            let order: [AssignmentStatus] = [.dispatched, .delivered, .read, .acknowledged]
            let parts: [String] = order.map { status in "\(counts[status.rawValue] ?? 0) \(status.rawValue)" }
            lines.append("By status: " + parts.joined(separator: ", ") + ".")
        }
        for (index, item) in page.assignments.enumerated() {
            var parts = ["\(index + 1). \(item.title)"]
            if !forMentor { parts.append("to \(item.peerMentorHandle)") }
            if item.overdue { parts.append("overdue") }
            if item.isUrgent { parts.append("urgent") }
            if item.priority != .normal { parts.append("\(item.priority.rawValue) priority") }
            parts.append("status \(item.status.rawValue)")
            if item.contactMadeAt == nil {
                parts.append("make contact by \(date(item.contactDeadline))")
            } else {
                parts.append("contact made")
            }
            if item.requiresConsent && item.consentGivenAt == nil { parts.append("consent needed before it can be opened") }
            if !forMentor { parts.append("reminders sent: \(item.reminderCount)") }
            if let region = item.geographicRegion { parts.append("region \(region)") }
            parts.append("id \(item.id)")
            lines.append(parts.joined(separator: ". ") + ".")
        }
        if !forMentor, !page.recentlyDeclined.isEmpty {
            lines.append("Declined in the last 30 days, waiting to be sent to someone else: \(page.recentlyDeclined.count).")
            for (index, item) in page.recentlyDeclined.enumerated() {
                lines.append(
                    "Declined \(index + 1). \(item.title). by \(item.peerMentorHandle). reason \(item.declineReason.rawValue.replacingOccurrences(of: "_", with: " ")). "
                        + "on \(date(item.declinedAt)). id \(item.id).")
            }
        }
        if let cursor = page.nextCursor {
            lines.append("There are more. To see them, run the command again with --cursor \(cursor)")
        }
        return lines.joined(separator: "\n")
    }

    /// Who could take an assignment over, best first.
    static func suggestions(_ suggestions: [Suggestion]) -> String {
        guard !suggestions.isEmpty else {
            return "Nobody to suggest: no other active peer mentor with a registered device and a current certification."
        }
        var lines = ["\(plural(suggestions.count, "peer mentor")) could take it over, best first:"]
        for (index, suggestion) in suggestions.enumerated() {
            var parts = ["\(index + 1). \(suggestion.handle)"]
            if suggestion.sameLocalAssociation { parts.append("same local association") }
            if suggestion.knowsRegion { parts.append("has worked in this region") }
            parts.append("open assignments: \(suggestion.openAssignments)")
            lines.append(parts.joined(separator: ". ") + ".")
        }
        return lines.joined(separator: "\n")
    }

    /// An opened assignment: the case information, field by field.
    static func opened(_ opened: OpenedAssignment) -> String {
        let payload = opened.payload
        var lines = ["\(opened.info.title). Status \(opened.info.status.rawValue). Id \(opened.info.id)."]
        lines.append("Contact: \(payload.contactName)")
        if let address = payload.address { lines.append("Address: \(address)") }
        if let phone = payload.phone { lines.append("Phone: \(phone)") }
        if let epikrise = payload.epikrise { lines.append("Epikrise: \(epikrise)") }
        if let needs = payload.specialNeeds { lines.append("Special needs: \(needs)") }
        if let instructions = payload.instructions { lines.append("Instructions: \(instructions)") }
        if let deadline = opened.info.contactDeadlineAt, opened.info.contactMadeAt == nil { lines.append("Make contact by \(date(deadline)).") }
        if opened.isSenderCopy {
            lines.append("This is your own copy of what you sent. Nobody is told you opened it.")
            return lines.joined(separator: "\n")
        }
        switch opened.receipt {
        case .sent: lines.append("The coordinator has been told you opened it.")
        case .queued: lines.append("No connection now: the coordinator is told you opened it at the next sync.")
        case nil: break
        }
        lines.append("When you have read it, confirm with: dispatch ack \(opened.info.id)")
        return lines.joined(separator: "\n")
    }

    static func receipt(_ outcome: ReceiptOutcome, action: ReceiptAction) -> String {
        let done: String = switch action {
        case .consent: "Consent given"
        case .read: "Marked as read"
        case .acknowledge: "Acknowledged"
        case .contact: "Contact recorded"
        case .complete: "Marked as completed"
        case .opened: "Opening recorded"
        }
        switch outcome {
        case .sent(let info): return "\(done). Status: \(info.status.rawValue)."
        case .queued: return "No connection now. \(done) on this device; it is sent to the server at the next sync (dispatch sync)."
        }
    }

    static func reassigned(_ outcome: ReassignmentOutcome, handle: String) -> String {
        var lines: [String] = []
        if let assignment = outcome.assignment {
            lines.append("Sent again to \(handle) as a new assignment: \(assignment.title). Id \(assignment.id).")
        } else {
            lines.append("It had been sent again to someone else already; this run finished the rest.")
        }
        lines.append(outcome.cancelledOld ? "The old assignment is cancelled, and its case information destroyed." : "The old assignment was already closed.")
        return lines.joined(separator: "\n")
    }

    static func sync(_ report: SyncReport) -> String {
        var lines = ["Receipts sent: \(report.receiptsSent)."]
        for refused in report.receiptsRefused { lines.append("A receipt was refused by the server and dropped: \(refused).") }
        if report.receiptsWaiting > 0 {
            lines.append("No connection: \(plural(report.receiptsWaiting, "receipt")) still waiting on this device.")
        }
        lines.append("New assignments downloaded: \(report.downloaded.count).")
        if !report.wiped.isEmpty { lines.append("Closed assignments removed from this device: \(report.wiped.count).") }
        if !report.sentCopiesWiped.isEmpty { lines.append("Your copies of closed assignments you sent, removed: \(report.sentCopiesWiped.count).") }
        if report.erasureReceiptsSent > 0 { lines.append("Erasure receipts sent: \(report.erasureReceiptsSent).") }
        if report.erasureReceiptsWaiting > 0 {
            lines.append(
                "\(plural(report.erasureReceiptsWaiting, "erasure receipt")) waiting to be signed with your key. "
                    + "Run dispatch sync --sign, or open an assignment, to send them.")
        }
        return lines.joined(separator: "\n")
    }
}
