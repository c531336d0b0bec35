import AssignmentCore
import Foundation
import OpenAPIRuntime

extension Configuration {
    /// How both sides of the contract write and read it: compact JSON with sorted keys, and
    /// ISO 8601 dates written in whole seconds in UTC and read with or without fractional seconds
    /// and with any offset (RFC 3339), so that what the document allows is accepted.
    public static let contract = Configuration(
        dateTranscoder: RFC3339DateTranscoder(), jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes])
}

/// Dates as RFC 3339 allows them: `2026-12-01T09:00:00Z`, `2026-12-01t09:00:00.5+01:00`.
public struct RFC3339DateTranscoder: DateTranscoder {
    public init() {}

    public func encode(_ date: Date) throws -> String {
        DateTimeText.rfc3339(date)
    }

    public func decode(_ text: String) throws -> Date {
        guard let date = DateTimeText.parse(text, form: .rfc3339) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Expected an RFC 3339 date-time."))
        }
        return date
    }
}

/// JSON exactly as the generated code writes it under ``OpenAPIRuntime/Configuration/contract``,
/// for the one answer the server stores to send again (an idempotent dispatch).
public enum ContractJSON {
    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let transcoder = RFC3339DateTranscoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(try transcoder.encode(date))
        }
        return [UInt8](try encoder.encode(value))
    }
}
