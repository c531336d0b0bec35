import AssignmentCore
import Foundation

/// A bound parameter: text in PostgreSQL's input syntax, raw bytes for `bytea`, or NULL.
/// Parameters are always sent separately from the SQL (`PQexecParams`), never spliced into it.
public enum PostgresValue: Sendable, Hashable {
    case null
    case text(String)
    case bytes([UInt8])
}

/// A Swift value that can be bound as a parameter.
public protocol PostgresEncodable: Sendable {
    var postgresValue: PostgresValue { get }
}

/// A Swift value that can be read from a result column (results are in text format).
public protocol PostgresDecodable {
    init(postgresText text: String) throws
}

extension String: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { .text(self) }
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { .text(String(self)) }
    public init(postgresText text: String) throws {
        guard let value = Int(text) else { throw PostgresError(kind: .decoding, message: "expected an integer") }
        self = value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { .text(self ? "true" : "false") }
    public init(postgresText text: String) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresError(kind: .decoding, message: "expected a boolean")
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { .text(uuidString.lowercased()) }
    public init(postgresText text: String) throws {
        guard let value = UUID(uuidString: text) else { throw PostgresError(kind: .decoding, message: "expected a uuid") }
        self = value
    }
}

extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresValue: PostgresValue { .bytes(self) }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// `bytea` in hex output format: `\x` followed by hex digits.
    public init(postgresText text: String) throws {
        guard text.hasPrefix("\\x"), let bytes = Hex.decode(String(text.dropFirst(2))) else {
            throw PostgresError(kind: .decoding, message: "expected bytea in hex format")
        }
        self = bytes
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    /// ISO 8601 in UTC with microseconds, PostgreSQL's own precision.
    public var postgresValue: PostgresValue { .text(PostgresTimestamp.format(self)) }
    public init(postgresText text: String) throws {
        guard let date = PostgresTimestamp.parse(text) else { throw PostgresError(kind: .decoding, message: "expected a timestamp") }
        self = date
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue {
        switch self {
        case .none: .null
        case .some(let value): value.postgresValue
        }
    }
}

/// `timestamptz` in text form. Every session of this project runs with `TimeZone = 'UTC'` and
/// `DateStyle = 'ISO'`, so values arrive as `2026-11-23 08:17:00.123456+00`.
public enum PostgresTimestamp {
    /// Rounds to whole microseconds, as PostgreSQL stores them; compare dates after this.
    public static func truncatedToMicroseconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
    }

    public static func format(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = micros / 1_000_000
        var fraction = micros % 1_000_000
        if fraction < 0 {
            fraction += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (also with `T` and `Z`, and offsets like `+01:30`).
    public static func parse(_ text: String) -> Date? {
        let chars = Array(text.utf8)
        var index = 0
        func number(_ width: Int) -> Int64? {
            guard index + width <= chars.count else { return nil }
            var value: Int64 = 0
            for c in chars[index..<(index + width)] {
                guard (48...57).contains(c) else { return nil }
                value = value * 10 + Int64(c - 48)
            }
            index += width
            return value
        }
        func expect(_ allowed: String) -> Bool {
            guard index < chars.count, allowed.utf8.contains(chars[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect(" T"),
            let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2)
        else { return nil }
        var micros: Int64 = 0
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            var digits = 0
            while index < chars.count, (48...57).contains(chars[index]) {
                if digits < 6 { micros = micros * 10 + Int64(chars[index] - 48) }
                digits += 1
                index += 1
            }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        var offsetSeconds: Int64 = 0
        if index < chars.count {
            if chars[index] == UInt8(ascii: "Z") {
                index += 1
            } else {
                let sign: Int64 = chars[index] == UInt8(ascii: "-") ? -1 : 1
                guard expect("+-"), let offsetHours = number(2) else { return nil }
                var offsetMinutes: Int64 = 0
                if index < chars.count {
                    _ = expect(":")
                    guard let minutes = number(2) else { return nil }
                    offsetMinutes = minutes
                }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
        }
        guard index == chars.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A stored name of an enumeration (a status, a role). A name this version of the program does not
/// know is a decoding error that names the type, never a silent default: a row written by a newer
/// version, or changed by hand, must not pass for something it is not.
extension PostgresDecodable where Self: RawRepresentable, RawValue == String {
    public init(postgresText text: String) throws {
        guard let value = Self(rawValue: text) else {
            throw PostgresError(kind: .decoding, message: "\"\(text)\" is not a \(Self.self) that this version of dispatch knows")
        }
        self = value
    }
}

extension PostgresEncodable where Self: RawRepresentable, RawValue == String {
    public var postgresValue: PostgresValue { .text(rawValue) }
}
