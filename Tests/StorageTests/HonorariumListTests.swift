@testable import Storage
import Testing

/// The honorarium report's lists as the query builds them (`number@day,…`), read byte by byte.
@Suite("Honorarium report lists")
struct HonorariumListTests {
    @Test("numbers and days in order; nothing for no list; anything else in a list is refused")
    func pairs() throws {
        let read = try HonorariumReportStore.pairs("3@2026-03-15,15@2026-12-01,1@2026-01-02")
        #expect(read.map(\.0) == [3, 15, 1])
        #expect(read.map(\.1) == ["2026-03-15", "2026-12-01", "2026-01-02"])
        #expect(try HonorariumReportStore.pairs(nil).isEmpty)
        #expect(try HonorariumReportStore.pairs("").isEmpty)
        for bad in ["3", "@2026-03-15", "3@", "x@2026-03-15", "-3@2026-03-15", "3@2026@03", "3@2026-03-15,", "1234567890@2026-03-15"] {
            #expect(throws: (any Error).self, "\(bad)") { try HonorariumReportStore.pairs(bad) }
        }
    }
}
