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
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    public func decode(_ text: String) throws -> Date {
        guard let date = Self.parse(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "Expected an RFC 3339 date-time."))
        }
        return date
    }

    /// `YYYY-MM-DD[Tt]HH:MM:SS[.fraction](Z|z|±HH:MM)`; `nil` for anything else.
    static func parse(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int? {
            guard index + width <= chars.count else { return nil }
            var value = 0
            for c in chars[index..<(index + width)] {
                guard (48...57).contains(c) else { return nil }
                value = value * 10 + Int(c - 48)
            }
            index += width
            return value
        }
        func expect(_ allowed: String) -> Bool {
            guard index < chars.count, allowed.utf8.contains(chars[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect("Tt"),
            let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var fraction = 0.0
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < chars.count, (48...57).contains(chars[index]) {
                fraction += Double(chars[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if expect("Zz") {
            offset = 0
        } else {
            guard index < chars.count else { return nil }
            let sign = chars[index] == UInt8(ascii: "-") ? -1 : 1
            guard expect("+-"), let offsetHours = number(2), expect(":"), let offsetMinutes = number(2), offsetHours < 24, offsetMinutes < 60 else {
                return nil
            }
            offset = sign * (offsetHours * 3600 + offsetMinutes * 60)
        }
        guard index == chars.count else { return nil }
        var components = DateComponents()
        components.calendar = Calendar(identifier: .gregorian)
        components.timeZone = TimeZone(identifier: "UTC")
        components.year = year
        components.month = month
        components.day = day
        guard components.isValidDate, let midnight = components.date else { return nil }
        let seconds = Double(hour * 3600 + minute * 60 + second - offset) + fraction
        return midnight.addingTimeInterval(seconds)
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
