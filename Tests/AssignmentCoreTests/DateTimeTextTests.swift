import AssignmentCore
import Foundation
import Testing

@Suite("Dates and times as text")
struct DateTimeTextTests {
    let noon = Date(timeIntervalSince1970: 1_795_003_200)  // 2026-11-18 12:00:00 UTC

    @Test("RFC 3339, as the HTTP contract's date-time means it: every allowed spelling, nothing else")
    func rfc3339() {
        for text in [
            "2026-11-18T12:00:00Z", "2026-11-18t12:00:00z", "2026-11-18T13:30:00+01:30", "2026-11-18T07:00:00-05:00",
            "2026-11-18T12:00:00.000Z", "2026-11-18T12:00:00.000000000001Z",
        ] {
            #expect(DateTimeText.parse(text, form: .rfc3339) == noon, "\(text)")
        }
        #expect(DateTimeText.parse("2026-11-18T12:00:00.5Z", form: .rfc3339) == noon + 0.5)
        #expect(DateTimeText.parse("2016-12-31T23:59:60Z", form: .rfc3339) != nil, "a leap second")
        for text in [
            "2026-11-18 12:00:00Z", "2026-11-18T12:00:00", "2026-11-18T12:00:00+00", "2026-11-18T12:00:00+0100", "2026-02-30T12:00:00Z",
            "2026-11-18T24:00:00Z", "2026-11-18T12:00:00.Z", "2026-11-18T12:00Z", "2026-11-18", "", "2026-11-18T12:00:00Z ",
        ] {
            #expect(DateTimeText.parse(text, form: .rfc3339) == nil, "\(text)")
        }
    }

    @Test("PostgreSQL's ISO output and what people type: space or T, short offsets, no offset is UTC")
    func postgres() {
        for text in ["2026-11-18 12:00:00+00", "2026-11-18 12:00:00", "2026-11-18T12:00:00Z", "2026-11-18 14:00:00+02", "2026-11-18 13:30:00+01:30"] {
            #expect(DateTimeText.parse(text, form: .postgres) == noon, "\(text)")
        }
        #expect(DateTimeText.parse("2026-11-18 12:00:00.123456789+00", form: .postgres) == noon + 0.123456)
        for text in ["2026-11-18t12:00:00z", "2026-02-29 00:00:00+00", "2026-11-18 12:00:60+00", "yesterday"] {
            #expect(DateTimeText.parse(text, form: .postgres) == nil, "\(text)")
        }
        #expect(DateTimeText.parse("2028-02-29 00:00:00+00", form: .postgres) != nil, "a leap day")
    }

    @Test("written as RFC 3339 in whole seconds of UTC: the text ISO8601DateFormatter gives, across centuries, leap days and fractions")
    func writesRFC3339() {
        let reference = ISO8601DateFormatter()
        reference.formatOptions = [.withInternetDateTime]
        var generator = SystemRandomNumberGenerator()
        var instants: [TimeInterval] = [0, -1, -0.25, 86_399.999, 951_782_400, 951_868_799.5, 4_107_542_399, -2_208_988_800, 253_402_300_799]
        for _ in 0..<5_000 { instants.append(Double.random(in: -2_208_988_800...4_102_444_800, using: &generator)) }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            #expect(DateTimeText.rfc3339(date) == reference.string(from: date), "\(instant)")
        }
        #expect(DateTimeText.rfc3339(noon) == "2026-11-18T12:00:00Z")
        #expect(DateTimeText.parse(DateTimeText.rfc3339(noon + 0.75), form: .rfc3339) == noon, "the fraction is dropped, and the text reads back")
    }

    @Test("a local time to the minute: the text DateFormatter gives in Oslo, UTC and Kathmandu, across summer time and leap days")
    func writesLocalMinutes() throws {
        var generator = SystemRandomNumberGenerator()
        var instants: [TimeInterval] = [0, 1_774_746_000, 1_774_742_399, 1_792_890_000, 1_792_886_399, 951_782_400]
        for _ in 0..<2_000 { instants.append(Double.random(in: 0...4_102_444_800, using: &generator)) }
        for zone in ["Europe/Oslo", "UTC", "Asia/Kathmandu"] {
            let timeZone = try #require(TimeZone(identifier: zone))
            let reference = DateFormatter()
            reference.locale = Locale(identifier: "en_US_POSIX")
            reference.timeZone = timeZone
            reference.dateFormat = "yyyy-MM-dd HH:mm"
            for instant in instants {
                let date = Date(timeIntervalSince1970: instant)
                #expect(DateTimeText.localMinute(date, in: timeZone) == reference.string(from: date), "\(zone) \(instant)")
            }
        }
        #expect(DateTimeText.localMinute(noon, in: TimeZone(identifier: "Europe/Oslo")!) == "2026-11-18 13:00")
    }

    @Test("HTTP dates (IMF-fixdate): the text DateFormatter gives, read back; a wrong weekday, a missing day or another form is refused")
    func httpDates() {
        let reference = DateFormatter()
        reference.locale = Locale(identifier: "en_US_POSIX")
        reference.timeZone = TimeZone(identifier: "GMT")
        reference.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        var generator = SystemRandomNumberGenerator()
        var instants: [TimeInterval] = [0, -1, 784_111_777, 951_782_400, 1_795_003_200.999]
        for _ in 0..<3_000 { instants.append(Double.random(in: -2_208_988_800...4_102_444_800, using: &generator)) }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let text = DateTimeText.httpDate(date)
            #expect(text == reference.string(from: date), "\(instant)")
            #expect(DateTimeText.parseHTTPDate(text) == reference.date(from: text), "\(text)")
        }
        #expect(DateTimeText.httpDate(Date(timeIntervalSince1970: 784_111_777)) == "Sun, 06 Nov 1994 08:49:37 GMT")
        for bad in ["Mon, 06 Nov 1994 08:49:37 GMT", "Thu, 30 Feb 2026 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                    "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Nov 1994 24:00:00 GMT", "", "Sun, 06 Nov 1994 08:49:37 GMT "] {
            #expect(DateTimeText.parseHTTPDate(bad) == nil, "\(bad)")
        }
    }
}
