import AssignmentCore
import AsyncHTTPClient
import DatabaseTestSupport
import DeviceClient
import Envelope
import Exports
import Foundation
import Jobs
import Hummingbird
import Logging
import HummingbirdTesting
import Postgres
import Server
import Storage
import Testing


/// Runs `body` with an HTTP client that is shut down afterwards, also when `body` throws.
func withHTTPClient<Result>(_ body: (HTTPClient) async throws -> Result) async throws -> Result {
    let client = DeviceClient.makeHTTPClient(connectTimeout: .milliseconds(500))
    do {
        let result = try await body(client)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// Two devices, a coordinator's and a peer mentor's, talk to the real server over HTTP.
@Suite("End to end: two devices and the server")
struct EndToEndTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    struct Setup {
        var accounts: AccountStore
        var organization: OrganizationRecord
        var coordinatorToken: String
        var mentorToken: String
        var folders: String
    }

    func setUp(_ clock: TestClock) async throws -> (ServerConfiguration, Setup) {
        let configuration = try await TestPostgres.databaseConfiguration()
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let accounts = AccountStore(database: database)
        let org = try await accounts.createOrganization(name: "Blindeforbundet", at: clock.now)
        _ = try await accounts.addUser(to: org.id, handle: "coord", role: .coordinator, at: clock.now)
        _ = try await accounts.addUser(to: org.id, handle: "mentor", role: .peerMentor, at: clock.now)
        let setup = Setup(
            accounts: accounts, organization: org,
            coordinatorToken: try await accounts.issueToken(for: "coord", in: org.id, lifetime: 86_400 * 30, at: clock.now).token,
            mentorToken: try await accounts.issueToken(for: "mentor", in: org.id, lifetime: 86_400 * 30, at: clock.now).token,
            folders: NSTemporaryDirectory() + "devices-\(UUID().uuidString)")
        let server = ServerConfiguration(port: 0, database: configuration, now: { clock.now }, notificationInterval: nil, jobInterval: nil)
        return (server, setup)
    }

    /// The server on a free port, an HTTP client, and a way to make devices that talk to it.
    struct Live: Sendable {
        let server: String
        let httpClient: HTTPClient
        let setup: Setup
        let clock: TestClock

        func device(_ name: String) -> DeviceClient {
            let clock = self.clock
            return DeviceClient(folder: DeviceFolder(path: setup.folders + "/" + name), httpClient: httpClient, now: { clock.now })
        }

        /// The coordinator's and the peer mentor's devices, each signed in with new keys registered.
        func signedInPair() async throws -> (coordinator: DeviceClient, coordinatorKeys: DeviceKeyPair, mentor: DeviceClient, mentorKeys: DeviceKeyPair) {
            let coordinator = device("coordinator"), mentor = device("mentor")
            let coordinatorKeys = try DeviceKeyPair.generate(), mentorKeys = try DeviceKeyPair.generate()
            try await coordinator.login(server: server, token: setup.coordinatorToken)
            try await mentor.login(server: server, token: setup.mentorToken)
            _ = try await coordinator.registerKeys(coordinatorKeys.publicKeys)
            _ = try await mentor.registerKeys(mentorKeys.publicKeys)
            return (coordinator, coordinatorKeys, mentor, mentorKeys)
        }

        /// A new user of the organisation and a token for them.
        func newUser(_ handle: String, role: Role, lifetime: TimeInterval = 86_400 * 60) async throws -> String {
            _ = try await setup.accounts.addUser(to: setup.organization.id, handle: handle, role: role, at: clock.now)
            return try await setup.accounts.issueToken(for: handle, in: setup.organization.id, lifetime: lifetime, at: clock.now).token
        }

        /// A new user's device, signed in with new keys registered (without an X-Wing key, as a
        /// device from before format 2, when not `postQuantum`).
        func signedInDevice(_ handle: String, role: Role = .peerMentor, postQuantum: Bool = true) async throws -> (client: DeviceClient, keys: DeviceKeyPair) {
            let client = device(handle)
            let keys = try DeviceKeyPair.generate(postQuantum: postQuantum)
            try await client.login(server: server, token: try await newUser(handle, role: role))
            _ = try await client.registerKeys(keys.publicKeys)
            return (client, keys)
        }
    }

    func live(logger: Logger = TestPostgres.logger, _ body: @Sendable (Live) async throws -> Void) async throws {
        let clock = self.clock
        let (configuration, setup) = try await setUp(clock)
        let application = try await buildApplication(configuration: configuration, logger: logger)
        defer { try? FileManager.default.removeItem(atPath: setup.folders) }
        try await withHTTPClient { httpClient in
            try await application.test(.live) { client in
                try await body(Live(server: "http://127.0.0.1:\(try #require(client.port))", httpClient: httpClient, setup: setup, clock: clock))
            }
        }
    }

    @Test("dispatch → delivered → read → acknowledged → contact → completed; cancel and expiry wipe the device; the marker is nowhere but the opened view")
    func walk() async throws {
        let log = LogRecorder()
        let marker = "MARKER\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let payload = CasePayload(contactName: "Kari \(marker)", address: "Storgata 1 \(marker)", phone: "41234567", epikrise: "Epikrise \(marker)")

        try await live(logger: log.logger()) { world in
            let (server, setup, clock, httpClient) = (world.server, world.setup, world.clock, world.httpClient)
            let coordinator = world.device("coordinator")
            let mentor = world.device("mentor")
            let coordinatorDevice = try DeviceKeyPair.generate()
            let mentorDevice = try DeviceKeyPair.generate()
            #expect(try await coordinator.login(server: server, token: setup.coordinatorToken).user.role == .coordinator)
            #expect(try await mentor.login(server: server, token: "\(setup.mentorToken)\n").user.handle == "mentor")
            _ = try await coordinator.registerKeys(coordinatorDevice.publicKeys, label: "Office laptop")
            _ = try await mentor.registerKeys(mentorDevice.publicKeys)
            _ = try await mentor.registerKeys(mentorDevice.publicKeys)  // a repeated command is harmless

            // Dispatch: sealed on the coordinator's device, to the pinned keys of the mentor.
            let sent = try await coordinator.send(
                AssignmentDraft(recipient: "mentor", title: "Oppdrag 42", geographicRegion: "Vest", contactDeadlineAt: clock.now + 5 * 86_400),
                payload: payload, from: coordinatorDevice)
            let id = sent.assignment.assignmentID!
            #expect(sent.assignment.status == .dispatched)

            // The mentor's device syncs: the download is the delivery receipt.
            clock.advance(by: 60)
            let sync = try await mentor.sync(device: mentorDevice.fingerprint)
            #expect(sync.downloaded == [id])
            #expect(try await coordinator.overview().assignments.first { $0.assignmentID == id }?.status == .delivered)

            // Open: verified, decrypted, reported read.
            clock.advance(by: 60)
            let opened = try await mentor.open(id, with: mentorDevice)
            #expect(opened.payload == payload)
            #expect(opened.info.status == .read)
            for action in [ReceiptAction.acknowledge, .contact, .complete] {
                clock.advance(by: 60)
                guard case .sent(let info) = try await mentor.report(action, on: id) else { Issue.record("\(action) was queued"); return }
                #expect(info.assignmentID == id)
            }
            let inbox = try await mentor.overview()
            #expect(!inbox.assignments.contains { $0.assignmentID == id }, "a completed assignment leaves the open list")
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).wiped == [id], "completed: wiped from the device")

            // Cancel: the coordinator cancels after delivery; the next sync wipes the device's copy.
            let cancelled = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 43"), payload: payload, from: coordinatorDevice).assignment.assignmentID!
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [cancelled])
            #expect(try await coordinator.cancel(cancelled, reason: "Sent to the wrong person").status == .cancelled)
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).wiped == [cancelled])
            await #expect { try await mentor.open(cancelled, with: mentorDevice) } throws: { ($0 as? DeviceClientError)?.code == "payload_cancelled" }

            // Expiry: once past expires_at, the device will not show it and the server will not hand it out.
            let expiring = try await coordinator.send(
                AssignmentDraft(recipient: "mentor", title: "Oppdrag 44", expiresAt: clock.now + 3600), payload: payload, from: coordinatorDevice).assignment.assignmentID!
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [expiring])
            clock.advance(by: 3601)
            await #expect { try await mentor.open(expiring, with: mentorDevice) } throws: { ($0 as? DeviceClientError)?.code == "payload_expired" }
            #expect(try mentor.folder.cachedEnvelope(expiring) == nil)
            let fresh = DeviceClient(folder: DeviceFolder(path: setup.folders + "/mentor"), httpClient: httpClient, now: { clock.now })
            await #expect { try await fresh.open(expiring, with: mentorDevice) } throws: { ($0 as? DeviceClientError)?.code == "payload_expired" }

            // Every export made from this history: the mentor's calendar feed, the honorarium CSV and the
            // audit extract over HTTP, and the three sweep reports. They go to files beside the devices'
            // folders, and the marker must be in none of them.
            _ = try await setup.accounts.addUser(to: setup.organization.id, handle: "admin", role: .organizationAdmin, at: clock.now)
            let adminToken = try await setup.accounts.issueToken(for: "admin", in: setup.organization.id, lifetime: 86_400, at: clock.now).token
            func fetch(_ path: String, token: String?) async throws -> String {
                var request = HTTPClientRequest(url: server + path)
                if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
                let response = try await httpClient.execute(request, timeout: .seconds(30))
                #expect(response.status.code < 300, "\(path): \(response.status)")
                return String(buffer: try await response.body.collect(upTo: 10 << 20))
            }
            let issued = try await mentor.issueFeed(language: "en")
            #expect(issued.feed.handle == "mentor" && !issued.replaced && issued.webcalUrl.hasPrefix("webcal://"))
            #expect(try await mentor.feed().id == issued.feed.id)
            let feedURL = issued.url
            var exports: [String: String] = [
                "feed.ics": try await fetch(String(feedURL[feedURL.range(of: "/feeds/")!.lowerBound...]), token: nil),
                "honorarium.csv": try await fetch("/v1/reports/honorarium?period=2026", token: adminToken),
                "audit.jsonl": try await fetch("/v1/audit/extract?from=2026-01-01&to=2026-12-31", token: adminToken),
            ]
            #expect(exports["feed.ics"]!.contains("BEGIN:VCALENDAR") && exports["honorarium.csv"]!.contains(",mentor,"))
            // The web pages, as the coordinator and the admin see them: the overview, each
            // assignment's timeline, the organisation and compliance pages, the honorarium table.
            let sessions = WebSessionStore(database: setup.accounts.database)
            func page(_ path: String, token: String) async throws -> String {
                let session = try #require(try await sessions.signIn(token: token, language: .en, at: clock.now))
                var request = HTTPClientRequest(url: server + path)
                request.headers.add(name: "Cookie", value: "dispatch_session=\(session.secret)")
                let response = try await httpClient.execute(request, timeout: .seconds(30))
                #expect(response.status == .ok, "\(path): \(response.status)")
                return String(buffer: try await response.body.collect(upTo: 10 << 20))
            }
            exports["page-overview.html"] = try await page("/overview", token: setup.coordinatorToken)
            for assignment in [id, cancelled, expiring] {
                exports["page-assignment-\(assignment).html"] = try await page("/assignments/\(assignment)", token: setup.coordinatorToken)
            }
            exports["page-admin.html"] = try await page("/admin", token: adminToken)
            exports["page-honorarium.html"] = try await page("/admin/honorarium?period=2026", token: adminToken)
            exports["page-compliance.html"] = try await page("/compliance", token: adminToken)
            #expect(exports["page-assignment-\(id).html"]!.contains("assignment.payload_opened"), "the timeline shows the decryption receipt")
            for (name, report) in [
                ("expiry", try await SweepJob.expiry(database: setup.accounts.database, clock: { clock.now + 400 * 86_400 })),
                ("keys", try await SweepJob.keys(database: setup.accounts.database, clock: { clock.now + 400 * 86_400 })),
                ("retention", try await SweepJob.retention(database: setup.accounts.database, clock: { clock.now + 400 * 86_400 })),
            ] {
                exports["sweep-\(name).txt"] = report.plainText
                exports["sweep-\(name).json"] = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
            }
            #expect(exports["sweep-retention.txt"]!.contains("Assignments that were archived: 2."), "completed and cancelled; the one expired by this sweep is closed too recently")
            try FileManager.default.createDirectory(atPath: setup.folders + "/exports", withIntermediateDirectories: true)
            for (name, text) in exports {
                try text.write(toFile: setup.folders + "/exports/" + name, atomically: true, encoding: .utf8)
                #expect(!text.contains(marker) && !text.contains("Storgata") && !text.contains("Kari"), "\(name) holds case information")
            }
            #expect(try AuditExtractVerifier.verify(path: setup.folders + "/exports/audit.jsonl").intact)

            // The marker: in the opened view only. Not in the database, the server's log, or any file on either device.
            let (hits, searched) = try await PlaintextSearch.columns(containing: marker, in: setup.accounts.database)
            #expect(searched > 20)
            #expect(hits.isEmpty, "the marker is in \(hits)")
            #expect(log.count > 10, "the server logged its requests")
            #expect(!log.text.contains(marker))
            #expect(!log.text.contains(setup.mentorToken) && !log.text.contains(setup.coordinatorToken), "no token in the log")
            #expect(PlaintextSearch.files(containing: marker, under: setup.folders).isEmpty)
            #expect(PlaintextSearch.files(containing: "Storgata", under: setup.folders).isEmpty)

            // Not in any form, not even in the raw bytes PostgreSQL keeps: this database's heap files
            // and the WAL after a checkpoint, and PostgreSQL's own log; nor in the server's log or any
            // file the run wrote, as hex or base64.
            let needles = PlaintextSearch.encodings(of: marker)
            #expect(needles.count >= 5)
            for needle in needles {
                #expect(try await PlaintextSearch.columns(containing: needle, in: setup.accounts.database).hits.isEmpty, "\(needle)")
                #expect(!log.text.contains(needle))
            }
            let superuser = try TestPostgres.superuserConnection(to: setup.accounts.database)
            try superuser.execute("CHECKPOINT")
            let oid = try superuser.query("SELECT oid::int AS oid FROM pg_database WHERE datname = current_database()").first!.decode("oid", as: Int.self)
            superuser.close()
            let cluster = TestPostgres.cluster.dataDirectory
            let places = [cluster + "/pgdata/base/\(oid)", cluster + "/pgdata/pg_wal", cluster + "/pgdata/global", cluster + "/postgres.log", setup.folders]
            #expect(FileManager.default.fileExists(atPath: cluster + "/pgdata/base/\(oid)"), "the search covers the database's own files")
            let raw = PlaintextSearch.files(containingAny: needles, at: places)
            #expect(raw.isEmpty, "the marker's bytes are in \(raw)")
            // The search finds what it looks for: the marker in base64 inside other text, at any alignment.
            let control = setup.folders + "/control"
            for prefix in ["", "a", "ab"] {
                try Data(("{\"x\":\"" + Data((prefix + marker + "tail").utf8).base64EncodedString() + "\"}").utf8).write(to: URL(fileURLWithPath: control))
                #expect(!PlaintextSearch.files(containingAny: needles, at: [control]).isEmpty, "base64 after \(prefix.count) bytes is found")
            }
            try FileManager.default.removeItem(atPath: control)
        }
    }

    @Test("the coordinator reopens what they sent while it is open: their own copy, no receipt, no delivery; a cancel destroys it with the others; nobody else gets it")
    func sendersCopy() async throws {
        try await live { world in
            let (server, setup) = (world.server, world.setup)
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let payload = CasePayload(contactName: "Kari Nordmann", address: "Storgata 1", epikrise: "Svaksynt")
            let id = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 9"), payload: payload, from: coordinatorDevice).assignment.assignmentID!
            let parties = try await setup.accounts.database.transaction(.scheduler) { db in
                try db.query("SELECT party FROM assignment_recipients WHERE assignment_id = $1 ORDER BY position", [id]).map { try $0.decode("party", as: String.self) }
            }
            #expect(parties == ["recipient", "sender"], "sealed to the peer mentor's device and to the sending device")

            let reopened = try await coordinator.open(id, with: coordinatorDevice)
            #expect(reopened.payload == payload && reopened.isSenderCopy && reopened.receipt == nil)
            #expect(try coordinator.folder.cachedEnvelope(id) == nil, "not kept on the coordinator's device")
            #expect(try await coordinator.overview().assignments.first { $0.assignmentID == id }?.status == .dispatched, "no delivery, no read")
            let downloads = try await setup.accounts.database.transaction(.scheduler) { db in
                try db.query("SELECT count(*) AS n FROM audit_entries WHERE subject_id = $1 AND action = 'assignment.payload_downloaded'", [id]).first!.decode("n", as: Int.self)
            }
            #expect(downloads == 1, "the sender's download is audited")
            // The peer mentor's copy still works, and its download is the delivery.
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [id])
            // The peer mentor cannot fetch the sender's sealed key by naming the coordinator's device.
            var request = HTTPClientRequest(url: server + "/v1/assignments/\(id)/envelope?device=\(coordinatorDevice.fingerprint.hex)")
            request.headers.add(name: "Authorization", value: "Bearer \(setup.mentorToken)")
            let stolen = try await world.httpClient.execute(request, timeout: .seconds(30))
            let refusal = String(buffer: try await stolen.body.collect(upTo: 1 << 16))
            #expect(stolen.status.code == 422 && refusal.contains("not_a_recipient"), "\(refusal)")

            _ = try await coordinator.cancel(id, reason: "Sent to the wrong person")
            await #expect { try await coordinator.open(id, with: coordinatorDevice) } throws: { ($0 as? DeviceClientError)?.code == "payload_cancelled" }
            let live = try await setup.accounts.database.transaction(.scheduler) { db in
                try db.query("SELECT count(*) AS n FROM assignment_recipients WHERE assignment_id = $1 AND sealed_key IS NOT NULL", [id]).first!.decode("n", as: Int.self)
            }
            #expect(live == 0, "the sender's sealed key went with the peer mentor's")
        }
    }

    @Test("the subject access report: found on the coordinator's device by name or phone, the history from the server by id only; the name is nowhere on the server")
    func subjectReport() async throws {
        let log = LogRecorder()
        try await live(logger: log.logger()) { world in
            let setup = world.setup
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let name = "Ragnhild Subjektsen\(UUID().uuidString.prefix(8))"
            let about = try await coordinator.send(
                AssignmentDraft(recipient: "mentor", title: "Oppdrag 10"), payload: CasePayload(contactName: name, phone: "+47 412 34 567"), from: coordinatorDevice
            ).assignment.assignmentID!
            let other = try await coordinator.send(
                AssignmentDraft(recipient: "mentor", title: "Oppdrag 11"), payload: CasePayload(contactName: "Per Annen"), from: coordinatorDevice
            ).assignment.assignmentID!
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded.count == 2)
            _ = try await mentor.open(about, with: mentorDevice)

            let byName = try await coordinator.subjectReport(name: "  \(name.uppercased()) ", phone: nil, with: coordinatorDevice)
            #expect(byName.entries.map(\.assignment.id) == [about.description] && byName.unsearchable == 0)
            let actions = byName.entries.first?.history.map(\.action) ?? []
            #expect(actions.prefix(1) == ["assignment.created"] && actions.contains("assignment.payload_opened") && actions.contains("assignment.payload_downloaded"))
            let byPhone = try await coordinator.subjectReport(name: nil, phone: "41234567", with: coordinatorDevice)
            #expect(byPhone.entries.map(\.assignment.id) == [about.description])
            #expect(try await coordinator.subjectReport(name: "Nobody", phone: nil, with: coordinatorDevice).entries.isEmpty)
            await #expect { try await coordinator.subjectReport(name: " ", phone: "123", with: coordinatorDevice) } throws: { ($0 as? DeviceClientError)?.code == "payload_invalid" }
            // Each look-up of a history is audited; the other assignment's history was never asked for.
            let lookUps = try await setup.accounts.database.transaction(.scheduler) { db in
                try db.query("SELECT subject_id FROM audit_entries WHERE action = 'assignment.history_viewed'").map { try $0.decode("subject_id", as: UUID.self) }
            }
            #expect(lookUps == [about.uuid, about.uuid], "\(lookUps)")
            #expect(!lookUps.contains(other.uuid))
            // The person's name is in no column of the database and not in the server's log.
            let (hits, _) = try await PlaintextSearch.columns(containing: name, in: setup.accounts.database)
            #expect(hits.isEmpty, "\(hits)")
            #expect(!log.text.contains(name) && !log.text.contains("41234567"))
        }
    }

    @Test("decline on the teaser from the device: the cached copy goes at once, the case cannot be opened, the coordinator sees the decline")
    func declineFromTheDevice() async throws {
        try await live { world in
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let id = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 8"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice).assignment.assignmentID!
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [id])
            #expect(try mentor.folder.cachedEnvelope(id) != nil)
            // The teaser is what the inbox shows: title and status, nothing of the case.
            #expect(try await mentor.overview().assignments.map(\.assignmentID) == [id])

            let declined = try await mentor.decline(id, reason: .conflictOfInterest)
            #expect(declined.status == .declined && declined.declineReason == "conflict_of_interest")
            #expect(try mentor.folder.cachedEnvelope(id) == nil, "the device forgets its copy at once")
            await #expect { try await mentor.open(id, with: mentorDevice) } throws: { error in
                let code = (error as? DeviceClientError)?.code
                return code == "payload_declined" || code == "not_cached"
            }
            let page = try await coordinator.overview()
            #expect(page.assignments.isEmpty)
            #expect(page.recentlyDeclined.map(\.id) == [id.description] && page.recentlyDeclined.first?.declineReason == .conflictOfInterest)
        }
    }

    @Test("offline: a cached assignment opens without the network, receipts queue and are sent in order on the next sync")
    func offline() async throws {
        try await live { world in
            let setup = world.setup
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let id = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 7"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice).assignment.assignmentID!
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [id])

            // The network goes away (the session points at a port nobody listens on).
            var session = try mentor.folder.session()
            let online = session.serverAddress
            session.serverAddress = "http://127.0.0.1:9"
            try mentor.folder.save(session)
            let opened = try await mentor.open(id, with: mentorDevice)
            #expect(opened.payload.contactName == "Ola")
            #expect(opened.receipt == .queued)
            #expect(try await mentor.report(.acknowledge, on: id) == .queued)
            #expect(try await mentor.report(.contact, on: id) == .queued)
            #expect(try mentor.folder.receipts().map(\.action) == [.opened, .acknowledge, .contact])
            let decryption = try #require(try mentor.folder.receipts().first)
            #expect(decryption.device == mentorDevice.fingerprint, "the decryption receipt names the device that opened the case")
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).receiptsWaiting == 3)
            #expect(try mentor.folder.receipts().count == 3, "nothing lost while offline")

            // Back online: sent in order (read before acknowledge, as the lifecycle requires).
            session.serverAddress = online
            try mentor.folder.save(session)
            let sync = try await mentor.sync(device: mentorDevice.fingerprint)
            #expect(sync.receiptsSent == 3 && sync.receiptsRefused.isEmpty && sync.receiptsWaiting == 0)
            let row = try await coordinator.overview().assignments.first { $0.assignmentID == id }
            #expect(row?.status == .acknowledged)
            #expect(row?.contactMadeAt != nil)
            // The offline opening is in the audit trail with the time the device made it.
            let openings = try await setup.accounts.database.withOwnerConnection { db in
                try db.query(
                    "SELECT details->>'opened_at' AS opened_at FROM audit_entries WHERE action = 'assignment.payload_opened' AND subject_id = $1", [id]
                ).map { try $0.decode("opened_at", as: String.self) }
            }
            #expect(openings == [PostgresTimestamp.format(decryption.madeAt)])
            // Online, a receipt out of order is refused at once; queued offline, it is dropped on sync and reported.
            await #expect { try await mentor.report(.acknowledge, on: id) } throws: { ($0 as? DeviceClientError)?.code == "invalid_transition" }
            session.serverAddress = "http://127.0.0.1:9"
            try mentor.folder.save(session)
            #expect(try await mentor.report(.acknowledge, on: id) == .queued)
            session.serverAddress = online
            try mentor.folder.save(session)
            let second = try await mentor.sync(device: mentorDevice.fingerprint)
            #expect(second.receiptsRefused == ["acknowledge \(id): invalid_transition"])
            #expect(try mentor.folder.receipts().isEmpty)
        }
    }

    @Test("a changed key is refused until verified aloud; then the envelope is sealed to every device")
    func pinning() async throws {
        try await live { world in
            let (server, setup) = (world.server, world.setup)
            let coordinator = world.device("coordinator")
            let phone = world.device("phone")
            let tablet = world.device("tablet")
            let coordinatorDevice = try DeviceKeyPair.generate()
            let phoneKeys = try DeviceKeyPair.generate()
            let tabletKeys = try DeviceKeyPair.generate()
            try await coordinator.login(server: server, token: setup.coordinatorToken)
            try await phone.login(server: server, token: setup.mentorToken)
            try await tablet.login(server: server, token: setup.mentorToken)
            _ = try await coordinator.registerKeys(coordinatorDevice.publicKeys)
            _ = try await phone.registerKeys(phoneKeys.publicKeys)
            _ = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 1"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice)

            // The mentor adds a tablet: its key is new to the coordinator's device.
            _ = try await tablet.registerKeys(tabletKeys.publicKeys)
            let before = try await coordinator.overview().assignments.count
            await #expect { try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 2"), payload: CasePayload(contactName: "Ola"), from: coordinatorDevice) } throws: { error in
                guard case DeviceClientError.keyChanged(let handle, let unverified) = error else { return false }
                return handle == "mentor" && unverified == [tabletKeys.fingerprint.readAloud.joined(separator: " ")]
                    && error.localizedDescription.isEmpty == false && "\(error)".contains("dispatch keys verify")
            }
            #expect(try await coordinator.overview().assignments.count == before, "nothing was sent")
            await #expect(throws: DeviceClientError.fingerprintNotFound(handle: "mentor")) {
                try await coordinator.verifyKey(of: "mentor", fingerprint: "00000 11111 22222 33333 44444 55555")
            }
            // Read aloud over the phone, typed in with spaces: pinned.
            _ = try await coordinator.verifyKey(of: "mentor", fingerprint: tabletKeys.fingerprint.readAloud.joined(separator: " "))
            let second = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 2"), payload: CasePayload(contactName: "Kari"), from: coordinatorDevice)
            // Both of the mentor's devices open it.
            #expect(try await tablet.open(second.assignment.assignmentID!, with: tabletKeys).payload.contactName == "Kari")
            #expect(try await phone.open(second.assignment.assignmentID!, with: phoneKeys).payload.contactName == "Kari")
            // A device that is not registered as the sender is refused before anything is sealed.
            await #expect(throws: DeviceClientError.deviceNotRegistered) {
                try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 3"), payload: CasePayload(contactName: "Ola"), from: try DeviceKeyPair.generate())
            }
            await #expect(throws: DeviceClientError.payloadInvalid("the contact's name is empty")) {
                try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 3"), payload: CasePayload(contactName: "  "), from: coordinatorDevice)
            }
        }
    }
}
