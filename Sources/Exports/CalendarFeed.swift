import AssignmentCore
import CLibical
import Envelope
import Foundation
import Postgres
import Storage
import Templates

/// A masked calendar feed (docs/feeds.md), written with libical's component API, never by pasting
/// strings, so escaping and line folding are libical's (RFC 5545).
///
/// What an event carries, and nothing more: an opaque UID (``ServerKey/calendarEventUID(feed:assignment:event:serverKeyVersion:)``),
/// DTSTAMP, DTSTART and DTEND in the organisation's time zone (with its VTIMEZONE), a generic
/// SUMMARY from `Templates/` in the feed's language, `CLASS:PRIVATE` and `TRANSP:TRANSPARENT` (a
/// deadline does not make anyone busy). No DESCRIPTION, LOCATION, ATTENDEE, ORGANIZER, URL, title,
/// region or id: a calendar app, its sync servers and anyone looking over a shoulder learn only
/// that something is due.
public struct CalendarFeed: Sendable {
    /// Bumped whenever the layout of the output changes, so cached copies are not reused.
    public static let layoutVersion = 1
    /// How long an event lasts on the calendar: a deadline is a moment, shown as a short slot.
    public static let eventDuration: TimeInterval = 15 * 60

    public let serverKey: ServerKey
    public let texts: TextCatalog

    public init(serverKey: ServerKey, texts: TextCatalog = .bundled) {
        self.serverKey = serverKey
        self.texts = texts
    }

    /// The strong ETag of a feed in this version: a feed whose version did not change is byte for
    /// byte the same, so a conditional request can be answered without building it. The layout
    /// version and the texts' fingerprint are part of it, so an upgrade that changes either is seen.
    public func entityTag(of subject: FeedSubject, version: FeedVersion) -> String {
        let material = [
            "v\(Self.layoutVersion)", texts.fingerprint, subject.feed.id.uuidString.lowercased(), subject.feed.language, version.timeZone,
            String(version.assignmentCount), PostgresTimestamp.format(version.lastChange),
        ].joined(separator: "|")
        return "\"" + Hex.encode(Array(SHA256.hash(Array(material.utf8)).prefix(16))) + "\""
    }

    /// The feed as iCalendar text (CRLF line ends, folded at 75 octets).
    public func render(_ subject: FeedSubject, assignments: [FeedAssignment]) throws -> String {
        let language = Language(rawValue: subject.feed.language) ?? .default
        let zone = LibicalTimeZone(identifier: subject.timeZone)

        let calendar = icalcomponent_new_vcalendar()!
        defer { icalcomponent_free(calendar) }
        icalcomponent_add_property(calendar, icalproperty_new_version("2.0"))
        icalcomponent_add_property(calendar, icalproperty_new_prodid("-//Assignment Dispatch//Masked feed//\(language.rawValue.uppercased())"))
        icalcomponent_add_property(calendar, icalproperty_new_calscale("GREGORIAN"))
        icalcomponent_add_property(calendar, icalproperty_new_method(ICAL_METHOD_PUBLISH))
        Self.addExtension(calendar, name: "X-WR-CALNAME", value: texts.text(.feedCalendarName, language))
        if let zone {
            Self.addExtension(calendar, name: "X-WR-TIMEZONE", value: zone.identifier)
            if let definition = zone.definition() { icalcomponent_add_component(calendar, definition) }
        }

        for assignment in assignments {
            if let deadline = assignment.contactDeadline {
                let summary: TextKey = assignment.isRecipient ? .feedContactDeadline : .feedSentContactDeadline
                try add(event: "contact-deadline", at: deadline, summary: texts.text(summary, language), of: assignment, feed: subject.feed, zone: zone, to: calendar)
            }
            if let expiry = assignment.expiresAt {
                let summary: TextKey = assignment.isRecipient ? .feedExpiry : .feedSentExpiry
                try add(event: "expiry", at: expiry, summary: texts.text(summary, language), of: assignment, feed: subject.feed, zone: zone, to: calendar)
            }
        }
        guard let text = icalcomponent_as_ical_string_r(calendar) else { return "" }
        defer { icalmemory_free_buffer(text) }
        return String(cString: text)
    }

    private func add(
        event kind: String, at time: Date, summary: String, of assignment: FeedAssignment, feed: FeedRecord, zone: LibicalTimeZone?,
        to calendar: OpaquePointer
    ) throws {
        let uid = try serverKey.calendarEventUID(
            feed: feed.id, assignment: assignment.assignmentID.uuid, event: kind, serverKeyVersion: feed.serverKeyVersion)
        let event = icalcomponent_new_vevent()!
        icalcomponent_add_property(event, icalproperty_new_uid(uid))
        icalcomponent_add_property(event, icalproperty_new_dtstamp(LibicalTimeZone.utc(assignment.updatedAt)))
        icalcomponent_add_property(event, Self.dateTime(icalproperty_new_dtstart, time, zone))
        icalcomponent_add_property(event, Self.dateTime(icalproperty_new_dtend, time + Self.eventDuration, zone))
        icalcomponent_add_property(event, icalproperty_new_summary(summary))
        icalcomponent_add_property(event, icalproperty_new_class(ICAL_CLASS_PRIVATE))
        icalcomponent_add_property(event, icalproperty_new_transp(ICAL_TRANSP_TRANSPARENT))
        icalcomponent_add_property(event, icalproperty_new_status(ICAL_STATUS_CONFIRMED))
        icalcomponent_add_component(calendar, event)
    }

    /// A DTSTART/DTEND: local time with a TZID parameter when the zone is known to libical, UTC
    /// otherwise (still correct, only less friendly).
    private static func dateTime(
        _ make: (icaltimetype) -> OpaquePointer?, _ time: Date, _ zone: LibicalTimeZone?
    ) -> OpaquePointer {
        guard let zone else { return make(LibicalTimeZone.utc(time))! }
        let property = make(zone.localTime(time))!
        icalproperty_add_parameter(property, icalparameter_new_tzid(zone.identifier))
        return property
    }

    private static func addExtension(_ component: OpaquePointer, name: String, value: String) {
        let property = icalproperty_new_x(value)!
        icalproperty_set_x_name(property, name)
        icalcomponent_add_property(component, property)
    }
}

/// A time zone from libical's built-in database (the system's zoneinfo), under its plain Olson
/// name: libical's own TZIDs carry a `/freeassociation.sourceforge.net/` prefix that some calendar
/// apps do not map back to a zone.
struct LibicalTimeZone {
    let identifier: String
    private let zone: OpaquePointer

    init?(identifier: String) {
        guard let zone = icaltimezone_get_builtin_timezone(identifier) else { return nil }
        self.identifier = identifier
        self.zone = zone
    }

    static func utc(_ date: Date) -> icaltimetype {
        icaltime_from_timet_with_zone(time_t(date.timeIntervalSince1970.rounded(.down)), 0, icaltimezone_get_utc_timezone())
    }

    /// Wall-clock time in this zone, without a zone attached (the TZID parameter names it).
    func localTime(_ date: Date) -> icaltimetype {
        var local = icaltime_from_timet_with_zone(time_t(date.timeIntervalSince1970.rounded(.down)), 0, zone)
        local.zone = nil
        return local
    }

    /// A copy of the zone's VTIMEZONE with its TZID set to the plain name; the caller owns it.
    func definition() -> OpaquePointer? {
        guard let original = icaltimezone_get_component(zone), let copy = icalcomponent_new_clone(original) else { return nil }
        if let tzid = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY) {
            icalproperty_set_tzid(tzid, identifier)
        }
        // libical's private X-LIC-LOCATION repeats the name; other apps ignore it.
        while let location = icalcomponent_get_first_property(copy, ICAL_X_PROPERTY) {
            icalcomponent_remove_property(copy, location)
            icalproperty_free(location)
        }
        return copy
    }
}
