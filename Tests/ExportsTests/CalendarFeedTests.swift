import AssignmentCore
import CLibical
import DatabaseTestSupport
import Envelope
import Exports
import Foundation
import Storage
import Templates
import Testing

/// One parsed event of a feed, as a calendar app would read it.
struct ParsedEvent: Hashable {
    var uid: String
    var summary: String
    var start: Date
    var startZone: String?
    var propertyNames: [String]
}

/// Parses a feed back with libical, failing on any error libical reports.
func parseFeed(_ text: String) throws -> (events: [ParsedEvent], calendarProperties: [String], timeZones: [String]) {
    let calendar = try #require(icalparser_parse_string(text), "libical could not parse the feed")
    defer { icalcomponent_free(calendar) }
    #expect(icalcomponent_isa(calendar) == ICAL_VCALENDAR_COMPONENT)
    #expect(icalcomponent_count_errors(calendar) == 0, "libical found errors")
    func names(_ component: OpaquePointer) -> [String] {
        var names: [String] = []
        var property = icalcomponent_get_first_property(component, ICAL_ANY_PROPERTY)
        while let current = property {
            names.append(String(cString: icalproperty_get_property_name(current)))
            property = icalcomponent_get_next_property(component, ICAL_ANY_PROPERTY)
        }
        return names
    }
    var zones: [String] = []
    var zone = icalcomponent_get_first_component(calendar, ICAL_VTIMEZONE_COMPONENT)
    while let current = zone {
        zones.append(String(cString: icalproperty_get_tzid(icalcomponent_get_first_property(current, ICAL_TZID_PROPERTY))!))
        zone = icalcomponent_get_next_component(calendar, ICAL_VTIMEZONE_COMPONENT)
    }
    var events: [ParsedEvent] = []
    var event = icalcomponent_get_first_component(calendar, ICAL_VEVENT_COMPONENT)
    while let current = event {
        let start = icalcomponent_get_dtstart(current)
        let startProperty = icalcomponent_get_first_property(current, ICAL_DTSTART_PROPERTY)!
        let tzid = icalproperty_get_first_parameter(startProperty, ICAL_TZID_PARAMETER).map { String(cString: icalparameter_get_tzid($0)) }
        events.append(
            ParsedEvent(
                uid: String(cString: icalcomponent_get_uid(current)), summary: String(cString: icalcomponent_get_summary(current)),
                start: Date(timeIntervalSince1970: TimeInterval(icaltime_as_timet_with_zone(start, start.zone))), startZone: tzid,
                propertyNames: names(current)))
        event = icalcomponent_get_next_component(calendar, ICAL_VEVENT_COMPONENT)
    }
    return (events, names(calendar), zones)
}

@Suite("Masked calendar feed")
struct CalendarFeedTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18

    @Test("open assignments give deadline and expiry events with generic texts in the organisation's zone; closed ones leave; nothing else is said")
    func content() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let marker = "MARKER-\(UUID().uuidString)"
        // What the title and region say: random letters that are not hex digits, so that they
        // cannot turn up in the feed by chance (its UIDs and dates are hex and digits).
        func word() -> String { String((0..<10).map { _ in "ghjkmnpqrstvwxyz".randomElement()! }) }
        let titleWord = word(), regionWord = word()
        func dispatch(expiresAt: Date? = nil, deadline: Date? = nil) async throws -> AssignmentID {
            let id = AssignmentID(UUID())
            let envelope = try EnvelopeSealer().seal(
                payload: Array(#"{"contact_name":"\#(marker)"}"#.utf8), assignmentID: id.uuid, organizationID: world.id.uuid,
                sender: world.coordinatorDevice, recipients: [world.mentorDevice.publicKeys])
            _ = try await world.store.dispatch(
                DispatchSubmission(
                    id: id, recipientID: world.mentor.userID, title: "Oppdrag \(titleWord)", geographicRegion: "Region \(regionWord)",
                    expiresAt: expiresAt, contactDeadlineAt: deadline, envelope: envelope.serialized),
                by: world.coordinator, at: start)
            return id
        }
        let deadline = start + 3 * 86_400 + 1234
        let expiry = start + 30 * 86_400
        _ = try await dispatch(expiresAt: expiry, deadline: deadline)  // two events
        _ = try await dispatch()  // two events: the first reminder's day, and the expiry the lifetime gives it (90 days)
        let contacted = try await dispatch(expiresAt: expiry + 60)  // contact made: only the expiry
        _ = try await world.store.transition(contacted, to: .read, by: world.mentor, at: start + 10)
        _ = try await world.store.recordContact(contacted, by: world.mentor, at: start + 20)
        let cancelled = try await dispatch(expiresAt: expiry)
        _ = try await world.store.transition(cancelled, to: .cancelled, by: world.coordinator, at: start + 30, reason: "Ikke lenger aktuelt")
        let completed = try await dispatch(deadline: deadline)
        for status in [AssignmentStatus.read, .acknowledged, .completed] {
            _ = try await world.store.transition(completed, to: status, by: world.mentor, at: start + 40)
        }
        let expiring = try await dispatch(expiresAt: start + 86_400)
        _ = try await SweepStore(database: database).expireBatch(at: start + 2 * 86_400, limit: 100, dryRun: false)
        #expect(try await world.count("SELECT count(*) AS n FROM assignments WHERE status = 'expired' AND id = '\(expiring)'") == 1)

        let feeds = FeedStore(database: database)
        let mentorFeed = try await feeds.issue(for: "mentor", in: world.id, language: nil, serverKeyVersion: 1, at: start)
        let coordinatorFeed = try await feeds.issue(for: "coord", in: world.id, language: "en", serverKeyVersion: 1, at: start)
        let serverKey = try ServerKey.generate()
        let calendar = CalendarFeed(serverKey: serverKey)
        func render(_ issued: IssuedFeed) async throws -> String {
            let subject = try #require(try await feeds.resolve(token: issued.token))
            return try calendar.render(subject, assignments: try await feeds.assignments(of: subject))
        }

        let mentorText = try await render(mentorFeed)
        let mentor = try parseFeed(mentorText)
        #expect(mentor.events.count == 5, "deadline + expiry, reminder day + lifetime expiry, expiry after contact; none for cancelled, completed, expired")
        #expect(
            Set(mentor.events.map(\.start))
                == [deadline.rounded, expiry.rounded, (start + 10 * 86_400).rounded, (start + 90 * 86_400).rounded, (expiry + 60).rounded])
        #expect(mentor.timeZones == ["Europe/Oslo"])
        #expect(mentor.events.allSatisfy { $0.startZone == "Europe/Oslo" })
        #expect(Set(mentor.events.map(\.summary)) == [TextCatalog.bundled.text(.feedContactDeadline, .nb), TextCatalog.bundled.text(.feedExpiry, .nb)])
        let allowed: Set = ["UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "CLASS", "TRANSP", "STATUS"]
        #expect(mentor.events.allSatisfy { Set($0.propertyNames).isSubset(of: allowed) }, "\(mentor.events.map(\.propertyNames))")
        #expect(Set(mentor.calendarProperties) == ["VERSION", "PRODID", "CALSCALE", "METHOD", "X-WR-CALNAME", "X-WR-TIMEZONE"])
        #expect(mentorText.contains("DTSTART;TZID=Europe/Oslo:20261121T"), "local wall-clock time with its zone")
        for forbidden in [marker, titleWord, regionWord, "Oppdrag ", world.mentor.userID.description, world.id.description, "\nDESCRIPTION", "LOCATION", "\nATTENDEE", "\nORGANIZER", "\nURL"] {
            #expect(!mentorText.contains(forbidden), "\(forbidden)")
        }
        for id in try await database.withOwnerConnection({ try $0.query("SELECT id::text AS id FROM assignments").map { try $0.decode("id", as: String.self) } }) {
            #expect(!mentorText.lowercased().contains(id.lowercased()), "an assignment id leaked")
        }

        let coordinator = try parseFeed(try await render(coordinatorFeed))
        #expect(coordinator.events.count == 5)
        #expect(Set(coordinator.events.map(\.summary)) == [TextCatalog.bundled.text(.feedSentContactDeadline, .en), TextCatalog.bundled.text(.feedSentExpiry, .en)])
        #expect(Set(coordinator.events.map(\.uid)).isDisjoint(with: mentor.events.map(\.uid)), "two feeds cannot be joined on their UIDs")
        #expect(Set(coordinator.events.map(\.start)) == Set(mentor.events.map(\.start)))

        #expect(try await render(mentorFeed) == mentorText, "the same feed, unchanged: byte for byte the same (UIDs are stable)")

        // Rotating the server key leaves a feed byte for byte as it was: it keeps the key version it
        // was made with. The same feed keyed with the new version would have other UIDs.
        let keyFile = NSTemporaryDirectory() + "server-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let original = try ServerKey.loadOrCreate(at: keyFile)
        let rotatedKey = try ServerKey.rotate(at: keyFile)
        let subject = try #require(try await feeds.resolve(token: mentorFeed.token))
        let assignments = try await feeds.assignments(of: subject)
        let beforeKeyRotation = try CalendarFeed(serverKey: original).render(subject, assignments: assignments)
        #expect(try CalendarFeed(serverKey: rotatedKey).render(subject, assignments: assignments) == beforeKeyRotation)
        var rekeyed = subject
        rekeyed.feed.serverKeyVersion = 2
        let rekeyedUIDs = try parseFeed(try CalendarFeed(serverKey: rotatedKey).render(rekeyed, assignments: assignments)).events.map(\.uid)
        #expect(Set(rekeyedUIDs).isDisjoint(with: try parseFeed(beforeKeyRotation).events.map(\.uid)))
        #expect(throws: EnvelopeError.serverKeyVersionUnknown(version: 2, newest: 1)) {
            try CalendarFeed(serverKey: original).render(rekeyed, assignments: assignments)
        }
        let rotated = try await feeds.issue(for: "mentor", in: world.id, language: nil, serverKeyVersion: 1, at: start + 1)
        #expect(rotated.replaced && rotated.feed.language == "nb", "rotation keeps the language")
        #expect(try await feeds.resolve(token: mentorFeed.token) == nil, "the old address stops at once")
        let afterRotation = try parseFeed(try await render(rotated))
        #expect(Set(afterRotation.events.map(\.uid)).isDisjoint(with: mentor.events.map(\.uid)), "a rotated feed is a new feed")
        #expect(try !mentorText.contains(mentorFeed.token) && !mentorText.contains(serverKey.webhookSecret(organization: world.id.uuid, version: 1, serverKeyVersion: 1)))
    }

    @Test("libical escapes and folds: long texts with commas, semicolons and non-ASCII come back intact")
    func foldingAndEscaping() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        _ = try await world.dispatch(at: start)
        let long = String(repeating: "Frist, ta kontakt; æøå \\ ", count: 8)
        let texts = try TextCatalog(sources: [.nb: "feed.event.contact_deadline = \(long)\nfeed.calendar_name = Oppdrag"])
        let feeds = FeedStore(database: database)
        let issued = try await feeds.issue(for: "mentor", in: world.id, language: "nb", serverKeyVersion: 1, at: start)
        let subject = try #require(try await feeds.resolve(token: issued.token))
        let text = try CalendarFeed(serverKey: try ServerKey.generate(), texts: texts).render(subject, assignments: try await feeds.assignments(of: subject))
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.count > 10 && lines.last == "", "CRLF line ends")
        #expect(lines.allSatisfy { $0.utf8.count <= 75 }, "folded at 75 octets")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare line feeds")
        #expect(text.contains("\\,") && text.contains("\\;"), "commas and semicolons escaped")
        #expect(try parseFeed(text).events.map(\.summary).contains(long.trimmingCharacters(in: .whitespaces)))
    }

    @Test("fuzzing the iCal writer: random event texts (separators, backslashes, non-ASCII, long) come back intact through libical, lines folded and CRLF")
    func randomTexts() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        _ = try await world.dispatch(at: start)
        let feeds = FeedStore(database: database)
        let issued = try await feeds.issue(for: "mentor", in: world.id, language: "nb", serverKeyVersion: 1, at: start)
        let subject = try #require(try await feeds.resolve(token: issued.token))
        let assignments = try await feeds.assignments(of: subject)
        let serverKey = try ServerKey.generate()
        let alphabet = Array("ab,;:\\ æøå€𝄞\"'<>&=+-@ 0123456789")
        var generator = SeededGenerator(seed: 5545)
        for _ in 0..<max(1, FuzzIterations.value / 10) {
            let summary = String((0..<Int.random(in: 1...120, using: &generator)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
                .trimmingCharacters(in: .whitespaces)
            guard !summary.isEmpty, !summary.contains("{{") else { continue }
            let texts = try TextCatalog(sources: [.nb: "feed.event.contact_deadline = \(summary)\nfeed.calendar_name = Oppdrag"])
            let text = try CalendarFeed(serverKey: serverKey, texts: texts).render(subject, assignments: assignments)
            #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 }, "folded at 75 octets")
            #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "no bare line feeds")
            #expect(try parseFeed(text).events.map(\.summary).contains(summary), "\(summary.debugDescription)")
        }
    }

    @Test("an organisation in a zone libical does not know gets UTC times, still valid")
    func unknownZone() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        _ = try await world.dispatch(at: start)
        let feeds = FeedStore(database: database)
        let issued = try await feeds.issue(for: "mentor", in: world.id, language: "en", serverKeyVersion: 1, at: start)
        var subject = try #require(try await feeds.resolve(token: issued.token))
        subject.timeZone = "Mars/Olympus_Mons"
        let parsed = try parseFeed(try CalendarFeed(serverKey: try ServerKey.generate()).render(subject, assignments: try await feeds.assignments(of: subject)))
        #expect(parsed.timeZones.isEmpty)
        #expect(Set(parsed.events.map(\.start)) == [(start + 10 * 86_400).rounded, (start + 90 * 86_400).rounded], "the first reminder's day and the expiry")
    }
}

extension Date {
    /// Whole seconds, as iCalendar keeps them.
    var rounded: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
