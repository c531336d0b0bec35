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

    /// The instant in whole seconds of UTC as RFC 3339 writes it (`2026-11-23T08:17:00Z`), the
    /// fraction dropped (the whole second at or before the instant, to the millisecond): what the
    /// HTTP contract writes for every date, as `ISO8601DateFormatter` wrote it before.
    ///
    /// Written by arithmetic (``civil(fromDays:)``), not by `ISO8601DateFormatter`, which on Linux
    /// builds an ICU formatter for every call: a fifth of a dispatch's processor time went there
    /// (docs/performance.md). Years 0 to 9999.
    public static func rfc3339(_ date: Date) -> String {
        let time = CivilTime(date)
        var text = TextBuffer()
        text.digits(time.year, 4); text.byte("-"); text.digits(time.month, 2); text.byte("-"); text.digits(time.day, 2)
        text.byte("T"); text.clock(time.secondOfDay); text.byte("Z")
        return text.string
    }

    /// The instant as HTTP writes dates (RFC 9110 §5.6.7, IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`),
    /// for `Last-Modified`; by arithmetic like ``rfc3339(_:)``, where a `DateFormatter` per call cost
    /// a calendar poll more than its database look-up.
    public static func httpDate(_ date: Date) -> String {
        let time = CivilTime(date)
        var text = TextBuffer()
        text.append(weekdays[time.weekday]); text.append(", "); text.digits(time.day, 2); text.byte(" ")
        text.append(months[Int(time.month) - 1]); text.byte(" "); text.digits(time.year, 4); text.byte(" ")
        text.clock(time.secondOfDay); text.append(" GMT")
        return text.string
    }

    /// The instant as a person reads it on a clock in `timeZone`, to the minute (`2026-12-01 14:05`):
    /// what the web pages show. By arithmetic like ``rfc3339(_:)``; the zone gives only its offset
    /// at that instant (summer time included).
    public static func localMinute(_ date: Date, in timeZone: TimeZone) -> String {
        let time = CivilTime(date + TimeInterval(timeZone.secondsFromGMT(for: date)))
        var text = TextBuffer()
        text.digits(time.year, 4); text.byte("-"); text.digits(time.month, 2); text.byte("-"); text.digits(time.day, 2)
        text.byte(" "); text.digits(time.secondOfDay / 3_600, 2); text.byte(":"); text.digits(time.secondOfDay / 60 % 60, 2)
        return text.string
    }

    /// The instant an IMF-fixdate names (the one form HTTP senders must write), or `nil` when
    /// `text` is not one: a day the month does not have, or a weekday that does not fit the date,
    /// is refused.
    public static func parseHTTPDate(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count == 29, bytes[3] == UInt8(ascii: ","), String(decoding: bytes[25...], as: UTF8.self) == " GMT" else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard let weekday = weekdays.firstIndex(of: String(decoding: bytes[0..<3], as: UTF8.self)),
            let month = months.firstIndex(of: String(decoding: bytes[8..<11], as: UTF8.self)),
            bytes[4] == 32, bytes[7] == 32, bytes[11] == 32, bytes[16] == 32, bytes[19] == 58, bytes[22] == 58,
            let day = number(5..<7), let year = number(12..<16), let hour = number(17..<19), let minute = number(20..<22), let second = number(23..<25),
            hour < 24, minute < 60, second < 60
        else { return nil }
        let days = daysFromCivil(year: year, month: Int64(month + 1), day: day)
        guard civil(fromDays: days) == (year, Int64(month + 1), day) else { return nil }
        let date = Date(timeIntervalSince1970: Double(days * 86_400 + hour * 3_600 + minute * 60 + second))
        guard CivilTime(date).weekday == weekday else { return nil }
        return date
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// A UTC instant as a calendar date (``civil(fromDays:)``) and a second of the day, in whole
    /// seconds at or before the instant, to the millisecond (as ICU rounds).
    private struct CivilTime {
        var year: Int64
        var month: Int64
        var day: Int64
        var secondOfDay: Int64
        /// 0 for Sunday.
        var weekday: Int

        init(_ date: Date) {
            let milliseconds = Int64((date.timeIntervalSince1970 * 1_000).rounded())
            let seconds = milliseconds >= 0 ? milliseconds / 1_000 : (milliseconds - 999) / 1_000
            let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
            secondOfDay = seconds - days * 86_400
            weekday = Int(((days % 7) + 11) % 7)  // 1970-01-01 was a Thursday
            (year, month, day) = DateTimeText.civil(fromDays: days)
        }
    }

    private struct TextBuffer {
        var bytes: [UInt8] = []

        init() { bytes.reserveCapacity(32) }

        var string: String { String(decoding: bytes, as: UTF8.self) }

        mutating func byte(_ character: Unicode.Scalar) { bytes.append(UInt8(ascii: character)) }

        mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

        mutating func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                bytes.append(UInt8(48 + rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }

        mutating func clock(_ secondOfDay: Int64) {
            digits(secondOfDay / 3_600, 2); byte(":"); digits(secondOfDay / 60 % 60, 2); byte(":"); digits(secondOfDay % 60, 2)
        }
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
