import Foundation

/// Prints a report as linear text or as JSON (`--json`, for machines). Text output never relies
/// on colour or layout: one fact per line, in sentences, as a screen reader reads it.
enum Output {
    static func print<Report: Encodable>(_ report: Report, json: Bool, text: (Report) -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            Swift.print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            Swift.print(text(report))
        }
    }
}
