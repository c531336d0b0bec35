import Foundation
import Storage
import Testing

@testable import Server

@Suite("Overview cursors on the wire")
struct OverviewCursorTextTests {
    @Test("a cursor survives its text form; texts the server did not make are refused")
    func roundTrip() throws {
        let cursor = try #require(OverviewCursor(asOf: Date(timeIntervalSince1970: 1_790_000_000.123), ranks: [0, 2, 1], deadline: 1_790_000_000_123_456, id: UUID()))
        let text = OverviewCursorText.encode(cursor)
        #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
        #expect(OverviewCursorText.decode(text) == cursor)
        #expect(OverviewCursorText.decode("bm90IGEgY3Vyc29y") == nil)
        #expect(OverviewCursorText.decode(String(repeating: "A", count: 500)) == nil)
        #expect(OverviewCursorText.decode("") == nil)
    }

    @Test("a cursor with ranks outside the sort order does not exist")
    func ranks() {
        #expect(OverviewCursor(asOf: Date(), ranks: [0, 3, 1], deadline: 0, id: UUID()) == nil)
        #expect(OverviewCursor(asOf: Date(), ranks: [0, 1], deadline: 0, id: UUID()) == nil)
    }
}
