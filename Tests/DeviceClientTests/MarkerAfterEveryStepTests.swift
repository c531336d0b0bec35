import AssignmentCore
import AsyncHTTPClient
import DatabaseTestSupport
import DeviceClient
import Envelope
import Foundation
import Jobs
import Storage
import Testing

/// The marker test for what issue 16 added: a person's name and epikrise, planted with a unique
/// marker, stay on the devices through a subject report, a decline, a reassignment and erasure
/// receipts: nowhere on the server, in its log, in any export or page, or in any file in clear.
extension EndToEndTests {
    @Test("after a subject report, a decline, a reassignment and erasure receipts, the marker is nowhere on the server, its log, its exports or pages")
    func markerAfterEveryNewStep() async throws {
        let log = LogRecorder()
        let marker = "MARKER\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let payload = CasePayload(contactName: "Ragnhild \(marker)", address: "Storgata 7 \(marker)", phone: "+47 98765432", epikrise: "Epikrise \(marker)")
        try await live(logger: log.logger()) { world in
            let (setup, clock) = (world.setup, world.clock)
            let database = setup.accounts.database
            let (coordinator, coordinatorDevice, mentor, mentorDevice) = try await world.signedInPair()
            let adminToken = try await world.newUser("admin", role: .organizationAdmin)
            let (mentor2, mentor2Device) = try await world.signedInDevice("mentor2")

            // Sent, downloaded, declined on the teaser, reassigned from the coordinator's copy.
            let first = try await coordinator.send(AssignmentDraft(recipient: "mentor", title: "Oppdrag 77"), payload: payload, from: coordinatorDevice).assignment.assignmentID!
            #expect(try await mentor.sync(device: mentorDevice.fingerprint).downloaded == [first])
            _ = try await mentor.decline(first, reason: .conflictOfInterest)
            let second = try #require(try await coordinator.reassign(first, to: "mentor2", with: coordinatorDevice).assignment?.assignmentID)
            // The subject report, by the marked name and by phone.
            #expect(try await coordinator.subjectReport(name: "Ragnhild \(marker)", phone: nil, with: coordinatorDevice).entries.map(\.assignment.id) == [second.description])
            #expect(try await coordinator.subjectReport(name: nil, phone: "98765432", with: coordinatorDevice).entries.count == 1)
            // The new peer mentor reads and completes it; both devices confirm their erasures, signed.
            #expect(try await mentor2.sync(device: mentor2Device.fingerprint).downloaded == [second])
            #expect(try await mentor2.open(second, with: mentor2Device).payload == payload)
            for action in [ReceiptAction.acknowledge, .contact, .complete] { _ = try await mentor2.report(action, on: second) }
            clock.advance(by: 3_600)
            #expect(try await mentor2.sync(device: mentor2Device.fingerprint, signingWith: mentor2Device).erasureReceiptsSent == 1)
            #expect(try await mentor.sync(device: mentorDevice.fingerprint, signingWith: mentorDevice).erasureReceiptsSent == 1, "the decline's erasure")
            #expect(try await coordinator.sync(device: coordinatorDevice.fingerprint).sentCopiesWiped == [second], "the coordinator's copy goes when it closes")

            // Everything the server hands out about it.
            var exports: [String: String] = [:]
            for (name, path) in [
                ("confirmations.json", "/v1/erasure-confirmations"), ("history-first.json", "/v1/assignments/\(first)/history"),
                ("history-second.json", "/v1/assignments/\(second)/history"), ("audit.jsonl", "/v1/audit/extract?from=2026-01-01&to=2026-12-31"),
                ("honorarium.csv", "/v1/reports/honorarium?period=2026"), ("assignment.json", "/v1/assignments/\(second)"),
            ] {
                let answer = try await Self.call(world, .GET, path, token: adminToken)
                #expect(answer.status == 200, "\(path): \(answer.status)")
                exports[name] = answer.body
            }
            let sessions = WebSessionStore(database: database)
            for path in ["/compliance", "/overview", "/assignments/\(first)", "/assignments/\(second)", "/admin"] {
                let session = try #require(try await sessions.signIn(token: adminToken, language: .en, at: clock.now))
                var request = HTTPClientRequest(url: world.server + path)
                request.headers.add(name: "Cookie", value: "dispatch_session=\(session.secret)")
                let response = try await world.httpClient.execute(request, timeout: .seconds(30))
                #expect(response.status == .ok, "\(path): \(response.status)")
                exports["page\(path.replacingOccurrences(of: "/", with: "-")).html"] = String(buffer: try await response.body.collect(upTo: 10 << 20))
            }
            #expect(exports["page-compliance.html"]!.contains("mentor2"), "the compliance page lists the confirming device")
            exports["overdue.json"] = String(decoding: try JSONEncoder().encode(try await ErasureReceiptStore(database: database).overdueDevices(in: .scheduler, at: clock.now + 30 * 86_400)), as: UTF8.self)
            let needles = PlaintextSearch.encodings(of: marker) + ["98765432", "Storgata", "Ragnhild"]
            for (name, text) in exports {
                #expect(!needles.contains { text.contains($0) }, "\(name) holds case information")
            }
            for needle in needles {
                #expect(try await PlaintextSearch.columns(containing: needle, in: database).hits.isEmpty, "\(needle) is in the database")
                #expect(!log.text.contains(needle), "\(needle) is in the server's log")
            }
            #expect(log.count > 20)
            // On the devices, only sealed envelopes and ids: no file holds the marker in clear.
            #expect(PlaintextSearch.files(containing: marker, under: setup.folders).isEmpty)
        }
    }
}
