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
        let (year, month, day) = DateTimeText.civil(fromDays: days)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):\(pad(secondOfDay % 60, 2)).\(pad(fraction, 6))Z"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (also with `T` and `Z`, and offsets like `+01:30`).
    public static func parse(_ text: String) -> Date? {
        DateTimeText.parse(text, form: .postgres)
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
