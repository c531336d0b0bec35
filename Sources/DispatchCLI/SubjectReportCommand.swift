import ArgumentParser
import AssignmentCore
import DeviceClient
import Foundation
import Templates

/// `dispatch subject-report --contact NAME | --phone NUMBER [--language nb|en] [--html FILE]`: the
/// data-subject access report (GDPR article 15), made on the coordinator's device.
struct SubjectReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject-report",
        abstract: "Who has handled a person's case information, and when: an access report made on this device.",
        discussion: """
            Opens this device's own copies of the open assignments it sent, finds those about the person (by name, \
            or by phone number), and asks the server only for their history, by assignment id: the name never leaves \
            this device. Each look-up is recorded in the audit trail. Plain text (for a screen reader), or --html FILE \
            for a page to print or save as PDF.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var passphrase: PassphraseOptions
    @Option(help: "The person's name, as written in the case information.") var contact: String?
    @Option(help: "The person's phone number (its last eight digits are compared).") var phone: String?
    @Option(help: "nb or en (default nb).") var language: Language = .nb
    @Option(help: "Also write the report as an HTML page to this file.") var html: String?

    func validate() throws {
        guard contact != nil || phone != nil else { throw ValidationError("Give --contact NAME or --phone NUMBER: whom the report is about.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let keys = try environment.unlockKeys(passphrase)
        let report = try await environment.withDevice { try await $0.subjectReport(name: contact, phone: phone, with: keys) }
        let lines = SubjectReportText(language: language, texts: .bundled).lines(report, at: Date())
        if let html {
            let path = CommandEnvironment.absolute(html)
            do {
                try SubjectReportText.html(lines, language: language).write(toFile: path, atomically: true, encoding: .utf8)
            } catch {
                throw ValidationError("The report could not be written to \(html): \(error.localizedDescription)")
            }
        }
        print(lines.joined(separator: "\n"))
    }
}

/// The access report's words, from `Templates/*.texts` (`subject_report.*`), one fact a line.
struct SubjectReportText {
    let language: Language
    let texts: TextCatalog

    func text(_ name: String, _ values: [String: String] = [:]) -> String {
        texts.text(.subjectReport(name), language, values: values)
    }

    func lines(_ report: SubjectReport, at time: Date) -> [String] {
        var lines = [text("heading"), text("generated", ["at": DateTimeText.localMinute(time, in: .current)])]
        lines.append(report.entries.isEmpty ? text("none") : text("count", ["count": String(report.entries.count)]))
        for entry in report.entries {
            lines.append("")
            lines.append(text("assignment", ["title": entry.assignment.title, "id": entry.assignment.id, "status": entry.assignment.status.rawValue]))
            for event in entry.history {
                lines.append(text("event", ["at": DateTimeText.localMinute(event.at, in: .current), "what": describe(event), "who": event.actorHandle ?? text("system")]))
            }
        }
        if report.unsearchable > 0 {
            lines.append("")
            lines.append(text("unsearchable", ["count": String(report.unsearchable)]))
        }
        return lines
    }

    /// One entry in words: the known actions by their text, the status change with its new status,
    /// anything else by its audit action.
    func describe(_ event: HistoryEntry) -> String {
        guard TextKey.subjectReportTexts.contains("action.\(event.action)") else { return event.action }
        let details = (try? JSONSerialization.jsonObject(with: Data(event.details.utf8))) as? [String: Any]
        return text("action.\(event.action)", ["to": details?["to"] as? String ?? ""])
    }

    /// The same lines as a page to print or save as PDF: escaped, one paragraph a line.
    static func html(_ lines: [String], language: Language) -> String {
        func escaped(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
                .replacingOccurrences(of: "\"", with: "&quot;")
        }
        var body = "<h1>\(escaped(lines.first ?? ""))</h1>\n"
        for line in lines.dropFirst() where !line.isEmpty { body += "<p>\(escaped(line))</p>\n" }
        return """
            <!DOCTYPE html>
            <html lang="\(language.rawValue)">
            <head><meta charset="utf-8"><title>\(escaped(lines.first ?? ""))</title></head>
            <body>
            \(body)</body>
            </html>

            """
    }
}
