import AssignmentCore
import Envelope
import Exports
import Foundation
import Jobs
import Postgres
import Storage
import Templates

/// The deterministic demo data set and one example of every report made from it: what `Reports/`
/// holds (`dispatch demo reports`; CI regenerates them and fails when the committed ones differ).
///
/// Everything that reaches a report is fixed: ids and keys come from a seeded random source, every
/// action is stamped by a fixed clock, the server key is a fixed demo key. The data goes through
/// the real stores and jobs (dispatch, lifecycle, honorarium counting, sweeps), so the reports show
/// what the program produces, on a fictional organisation with fictional handles and no case
/// content: the envelopes carry a generic demo payload.
public struct DemoReports: Sendable {
    /// When the demo's story starts: Monday 2 March 2026, 09:00 in Oslo.
    public static let start = Date(timeIntervalSince1970: 1_772_438_400)
    static let day: TimeInterval = 86_400

    public let database: Database

    public init(database: Database) { self.database = database }

    /// Builds the data set in `database` (which must be empty of it) and writes the reports into
    /// `folder`. Returns the files written, relative to `folder`.
    @discardableResult
    public func generate(into folder: String) async throws -> [String] {
        let random = SeededRandomSource(seed: "assignment-dispatch demo v1")
        let serverKey = ServerKey(try SecretBytes(copying: SHA256.hash(Array("assignment-dispatch demo server key".utf8))))
        let world = try await build(random: random)
        var written: [String] = []
        func write(_ name: String, _ text: String) throws {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            written.append(name)
        }

        // The sweeps, at the end of the story (day 60): expiry, then keys.
        let sweepTime = Self.start + 60 * Self.day
        for (name, report) in [
            ("sweep-expiry", try await SweepJob.expiry(database: database, clock: { sweepTime }, batchSize: 10)),
            ("sweep-keys", try await SweepJob.keys(database: database, clock: { sweepTime }, batchSize: 10)),
        ] {
            try write("\(name).txt", Self.fixed(report, at: sweepTime).plainText + "\n")
            try write("\(name).json", try Self.json(Self.fixed(report, at: sweepTime)))
        }

        // March is closed as paid on 2 April; on 3 April an admin corrects one of March's assignments,
        // which April pays back. Then the honorarium CSV for 2026 (plain, Excel, Norwegian headings),
        // the closed March (its file as closed) and April with the adjustment.
        let honorarium = HonorariumReport(database: database)
        let closedMarch = try await honorarium.close(organization: world.organization, period: "2026-03", format: .standard, at: Self.start + 31 * Self.day)
        try write("honorarium-2026-03-closed.csv", closedMarch.file)
        try write("honorarium-2026-03-closed.sha256", closedMarch.sha256 + "  honorarium-2026-03-closed.csv\n")
        _ = try await HonorariumStore(database: database).void(
            world.correctedLater, reason: "Registrert på feil likeperson", by: world.admin, at: Self.start + 32 * Self.day)
        for (name, period, format, language) in [
            ("honorarium-2026.csv", "2026", CSVFormat.standard, Language.en), ("honorarium-2026-excel.csv", "2026", .excel, .en),
            ("honorarium-2026-nb.csv", "2026", .standard, .nb), ("honorarium-2026-04.csv", "2026-04", .standard, .en),
        ] {
            var text = ""
            try await honorarium.write(organization: world.organization, period: period, format: format, language: language) { text += $0 }
            try write(name, text)
        }

        // Masked feeds: a peer mentor's (nb) and the coordinator's (en), as of day 40.
        let feeds = FeedStore(database: database)
        let calendar = CalendarFeed(serverKey: serverKey)
        for (handle, language, name) in [("likeperson.c", "nb", "feed-peer-mentor-nb.ics"), ("koordinator.oslo", "en", "feed-coordinator-en.ics")] {
            let issued = try await feeds.issue(for: handle, in: world.organization, language: language, serverKeyVersion: serverKey.currentVersion, at: Self.start + 40 * Self.day, random: random)
            guard let subject = try await feeds.resolve(token: issued.token) else { continue }
            try write(name, try calendar.render(subject, assignments: try await feeds.assignments(of: subject)))
        }

        // The audit extract of March to May 2026, as a folder, with the key that signed it.
        let extract = AuditExtract(database: database, signingKey: try serverKey.auditSigningKey())
        let range = try AuditExtract.range(from: "2026-03-01", to: "2026-05-31", timeZone: TimeZone(identifier: "Europe/Oslo")!)
        let extractFolder = folder + "/audit-extract"
        try? FileManager.default.removeItem(atPath: extractFolder)
        _ = try await extract.writeFolder(
            at: extractFolder, organization: world.organization, from: range.from, to: range.to, format: .jsonl, generatedAt: Self.start + 91 * Self.day)
        written += ["audit-extract/entries.jsonl", "audit-extract/manifest.json", "audit-extract/manifest.sig"]
        try write("audit-public-key.txt", Hex.encode(try serverKey.auditSigningKey().publicKeys.signingKey) + "\n")

        // Retention, a year and a half on: the closed assignments are archived.
        let retentionTime = Self.start + 550 * Self.day
        let retention = Self.fixed(try await SweepJob.retention(database: database, clock: { retentionTime }, batchSize: 10), at: retentionTime)
        try write("sweep-retention.txt", retention.plainText + "\n")
        try write("sweep-retention.json", try Self.json(retention))
        return written.sorted()
    }

    // MARK: The data set

    struct World {
        var organization: OrganizationID
        /// likeperson.b's third completed assignment (March), corrected after March was paid.
        var correctedLater: AssignmentID
        var admin: UserContext
    }

    /// Demoforeningen: a coordinator in Oslo, three peer mentors and an admin. Over eight weeks 24
    /// assignments go out: likeperson.a completes 15 (both tiers), likeperson.b 4, one is cancelled,
    /// two expire, a few stay open with deadlines for the calendar feeds.
    func build(random: SeededRandomSource) async throws -> World {
        let accounts = AccountStore(database: database)
        let keys = DeviceKeyStore(database: database)
        let assignments = AssignmentStore(database: database)
        let start = Self.start
        let organization = try await accounts.createOrganization(name: "Demoforeningen", at: start, id: OrganizationID(random.uuid()))
        // Honorarium rates: nothing for the first two, 500 kroner each from the third, with a bonus at
        // each tier; raised from 1 April.
        let honorarium = HonorariumStore(database: database)
        try await honorarium.setRates(
            try HonorariumRateSet.parse("band:1:0,band:3:50000:LA101,band:15:80000:LA102,bonus:3:100000:LA110,bonus:15:200000:LA111", validFrom: "2026-01-01"),
            of: organization.id, at: start)
        try await honorarium.setRates(
            try HonorariumRateSet.parse("band:1:0,band:3:55000:LA101,band:15:85000:LA102,bonus:3:100000:LA110,bonus:15:200000:LA111", validFrom: "2026-04-01"),
            of: organization.id, at: start)
        let oslo = try await accounts.createLocalAssociation(in: organization.id, name: "Oslo", at: start, id: LocalAssociationID(random.uuid()))
        var users: [String: UserContext] = [:]
        var devices: [String: DeviceKeyPair] = [:]
        for (handle, role) in [
            ("admin", Role.organizationAdmin), ("koordinator.oslo", .coordinator), ("likeperson.a", .peerMentor), ("likeperson.b", .peerMentor),
            ("likeperson.c", .peerMentor),
        ] {
            let user = try await accounts.addUser(
                to: organization.id, handle: handle, role: role, localAssociation: role == .organizationAdmin ? nil : "Oslo", at: start, id: UserID(random.uuid()))
            users[handle] = user.context
            let device = try DeviceKeyPair(
                encryptionSeed: try SecretBytes(randomCount: 32, from: random), signingSeed: try SecretBytes(randomCount: 32, from: random))
            devices[handle] = device
            _ = try await keys.register(device.publicKeys, label: "Demo device", for: user.context, at: start, id: DeviceKeyID(random.uuid()))
        }
        let coordinator = users["koordinator.oslo"]!
        let sealer = EnvelopeSealer(random: random)

        func send(to handle: String, on day: Double, expiresAfter: Double? = nil, deadlineAfter: Double? = nil) async throws -> AssignmentID {
            let id = AssignmentID(random.uuid())
            let time = start + day * Self.day
            let envelope = try sealer.seal(
                payload: Array(#"{"version":1,"epikrise":"Demo: no case information."}"#.utf8), assignmentID: id.uuid, organizationID: organization.id.uuid,
                sender: devices["koordinator.oslo"]!, recipients: [devices[handle]!.publicKeys])
            _ = try await assignments.dispatch(
                DispatchSubmission(
                    id: id, recipientID: users[handle]!.userID, localAssociationID: oslo, title: "Besøksoppdrag", expiresAt: expiresAfter.map { time + $0 * Self.day },
                    contactDeadlineAt: deadlineAfter.map { time + $0 * Self.day }, envelope: envelope.serialized),
                by: coordinator, at: time)
            return id
        }
        func walk(_ id: AssignmentID, by handle: String, from day: Double, to status: AssignmentStatus) async throws {
            let mentor = users[handle]!
            var time = start + day * Self.day
            for step in [AssignmentStatus.delivered, .read, .acknowledged, .completed] {
                time += 3 * 3600
                _ = try await assignments.transition(id, to: step, by: mentor, at: time)
                if step == .read { _ = try await assignments.recordContact(id, by: mentor, at: time + 1800) }
                if step == status { break }
            }
        }

        for index in 0..<15 {
            let day = Double(index * 3)
            try await walk(try await send(to: "likeperson.a", on: day), by: "likeperson.a", from: day, to: .completed)
        }
        var ofB: [AssignmentID] = []
        for index in 0..<4 {
            let day = Double(2 + index * 7)
            let id = try await send(to: "likeperson.b", on: day)
            try await walk(id, by: "likeperson.b", from: day, to: .completed)
            ofB.append(id)
        }
        let cancelled = try await send(to: "likeperson.b", on: 30)
        _ = try await assignments.transition(cancelled, to: .cancelled, by: coordinator, at: start + 31 * Self.day, reason: "Ikke lenger aktuelt")
        _ = try await send(to: "likeperson.c", on: 20, expiresAfter: 21)  // expires on day 41, unread
        let readThenExpired = try await send(to: "likeperson.c", on: 25, expiresAfter: 30)
        try await walk(readThenExpired, by: "likeperson.c", from: 25, to: .read)
        _ = try await send(to: "likeperson.c", on: 38, expiresAfter: 45, deadlineAfter: 5)
        _ = try await send(to: "likeperson.c", on: 39)
        let acknowledged = try await send(to: "likeperson.c", on: 39, expiresAfter: 60)
        try await walk(acknowledged, by: "likeperson.c", from: 39, to: .acknowledged)
        return World(organization: organization.id, correctedLater: ofB[2], admin: users["admin"]!)
    }

    // MARK: Helpers

    /// A sweep report stamped with the demo clock instead of the wall clock.
    static func fixed(_ report: SweepReport, at time: Date) -> SweepReport {
        var fixed = report
        fixed.startedAt = time
        fixed.finishedAt = time
        return fixed
    }

    static func json(_ report: SweepReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }
}
