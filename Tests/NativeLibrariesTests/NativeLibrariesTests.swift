import CLibPQ
import CLibical
import CSodium
import Testing

/// The three system libraries link and answer through their pkg-config system-library targets.
@Suite("Native libraries")
struct NativeLibrariesTests {
    @Test("libsodium initialises and is at least 1.0.18")
    func libsodium() {
        #expect(sodium_init() >= 0)
        #expect(sodium_library_version_major() >= 10)
    }

    @Test("libpq is thread-safe, as the connection pool needs")
    func libpq() {
        #expect(PQisthreadsafe() == 1)
        #expect(PQlibVersion() >= 130000, "libpq of PostgreSQL 13 or later")
    }

    @Test("libical parses and writes back a calendar")
    func libical() throws {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:abc\r\nDTSTAMP:20261123T080000Z\r\nDTSTART:20261124T090000Z\r\nSUMMARY:Oppdrag\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        let calendar = try #require(icalparser_parse_string(text))
        defer { icalcomponent_free(calendar) }
        let event = try #require(icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT))
        #expect(String(cString: icalcomponent_get_summary(event)) == "Oppdrag")
        #expect(String(cString: icalcomponent_as_ical_string(calendar)).contains("UID:abc"))
    }
}
