import Foundation

/// The one reader of dates and times written as text, in the two forms this program meets:
///
/// - ``Form/postgres``: what PostgreSQL writes under `DateStyle = 'ISO'` (`2026-11-23 08:17:00.123456+00`),
///   and the ISO 8601 forms people type (`2026-11-23T08:17:00Z`, `…+01:30`); no offset means UTC;
/// - ``Form/rfc3339``: exactly RFC 3339's `date-time`, which the HTTP contract's `format: date-time`
///   means: `T` or `t`, seconds up to 60 (a leap second), any number of fractional digits, and an
///   offset that is `Z`, `z` or `±HH:MM`.
///
/// Both refuse a day the month does not have. Fractional digits past the sixth (PostgreSQL's
/// precision) are read and dropped.
public enum DateTimeText {
    public enum Form: Sendable {
        case postgres
        case rfc3339
    }

    /// The instant `text` names, or `nil` when it is not a date-time of `form`.
    public static func parse(_ text: String, form: Form) -> Date? {
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
        let separators = form == .rfc3339 ? "Tt" : " T"
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2), expect(separators),
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
            guard digits > 0 else { return nil }
            if digits < 6 { for _ in digits..<6 { micros *= 10 } }
        }
        var offsetSeconds: Int64 = 0
        if index < chars.count {
            if expect(form == .rfc3339 ? "Zz" : "Z") {
                offsetSeconds = 0
            } else {
                let sign: Int64 = chars[index] == UInt8(ascii: "-") ? -1 : 1
                guard expect("+-"), let offsetHours = number(2), offsetHours < 24 else { return nil }
                var offsetMinutes: Int64 = 0
                if form == .rfc3339 {
                    guard expect(":"), let minutes = number(2) else { return nil }
                    offsetMinutes = minutes
                } else if index < chars.count {
                    _ = expect(":")
                    guard let minutes = number(2) else { return nil }
                    offsetMinutes = minutes
                }
                guard offsetMinutes < 60 else { return nil }
                offsetSeconds = sign * (offsetHours * 3600 + offsetMinutes * 60)
            }
        } else if form == .rfc3339 {
            return nil
        }
        let maximumSecond: Int64 = form == .rfc3339 ? 60 : 59
        guard index == chars.count, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= maximumSecond else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        guard civil(fromDays: days) == (year, month, day) else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + Double(micros) / 1_000_000)
    }

    // Howard Hinnant's days-from-civil algorithms (proleptic Gregorian calendar).
    public static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
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
