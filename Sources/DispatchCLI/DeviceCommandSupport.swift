import ArgumentParser
import AssignmentCore
import DeviceClient
import Foundation

/// `ID`: an assignment id, the argument of the commands that act on one assignment.
struct AssignmentArgument: ParsableArguments {
    @Argument(help: "The assignment's id (shown by dispatch inbox and dispatch status).") var id: String

    func parsed() throws -> AssignmentID {
        guard let uuid = UUID(uuidString: id.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("'\(id)' is not an assignment id. Ids look like 3f2a9c1e-… ; dispatch inbox lists them.")
        }
        return AssignmentID(uuid)
    }
}

/// `--assignment ID`, for the admin commands that name one assignment.
struct AssignmentArgumentOption: ParsableArguments {
    @Option(name: .customLong("assignment"), help: "The assignment's id.") var id: String

    func parsed() throws -> AssignmentID {
        guard let uuid = UUID(uuidString: id.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError("'\(id)' is not an assignment id.")
        }
        return AssignmentID(uuid)
    }
}

/// What a receipt command prints with `--json`.
struct ReceiptReport: Encodable {
    var assignmentID: AssignmentID
    var action: ReceiptAction
    var sent: Bool
    var status: AssignmentStatus?

    enum CodingKeys: String, CodingKey {
        case action, sent, status
        case assignmentID = "assignment_id"
    }
}

/// Sends (or queues) one receipt and prints the outcome: what `ack`, `contact`, `complete` and
/// `consent` share.
func sendReceipt(_ action: ReceiptAction, assignment: AssignmentArgument, options: GlobalOptions, json: Bool) async throws {
    let environment = try CommandEnvironment(options: options)
    let id = try assignment.parsed()
    let outcome = try await environment.withDevice { try await $0.report(action, on: id) }
    var report = ReceiptReport(assignmentID: id, action: action, sent: false)
    if case .sent(let info) = outcome {
        report.sent = true
        report.status = AssignmentStatus(rawValue: info.status.rawValue)
    }
    try Output.print(report, json: json) { _ in SpokenText.receipt(outcome, action: action) }
}

/// Dates on the command line: ISO 8601 (`2026-12-01T12:00:00+01:00`), or a day (`2026-12-01`),
/// meaning the end of that day in this computer's time zone.
enum CommandLineDate {
    static func parse(_ text: String, option: String) throws -> Date {
        let iso = ISO8601DateFormatter()
        if let date = iso.date(from: text) { return date }
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = TimeZone.current
        day.dateFormat = "yyyy-MM-dd"
        if let start = day.date(from: text), let end = Calendar.current.date(byAdding: DateComponents(day: 1, second: -1), to: start) { return end }
        throw ValidationError("\(option) takes a day such as 2026-12-01 or a time such as 2026-12-01T12:00:00+01:00, not '\(text)'.")
    }
}
