import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The README's newcomer flow, command by command, against `dispatch` serving on the embedded
/// default: an organisation, a coordinator and a peer mentor, send, open, acknowledge, status.
@Suite("The newcomer flow on the command line", .serialized)
struct NewcomerFlowTests {
    /// `dispatch` with no subcommand (the main job: serve) on a free port, with its log in a file.
    struct Server {
        let process: Process
        let port: Int
        let log: URL

        static func start(_ runner: DispatchRunner) async throws -> Server {
            for _ in 0..<5 {
                let port = Int.random(in: 20_000..<60_000)
                let process = Process()
                process.executableURL = DispatchRunner.executable
                process.arguments = ["--port", String(port)]
                var environment = ProcessInfo.processInfo.environment
                environment.removeValue(forKey: "DATABASE_URL")
                environment["HOME"] = runner.sandbox.path
                environment["DISPATCH_DATA_DIR"] = runner.dataDirectory
                environment["DISPATCH_LOG_LEVEL"] = "debug"
                process.environment = environment
                let log = runner.sandbox.appendingPathComponent("server-\(port).log")
                _ = FileManager.default.createFile(atPath: log.path, contents: nil)
                process.standardOutput = try FileHandle(forWritingTo: log)
                process.standardError = try FileHandle(forWritingTo: log)
                try process.run()
                for _ in 0..<150 where process.isRunning {
                    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/healthz")!)
                    request.timeoutInterval = 2
                    if let (_, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 {
                        return Server(process: process, port: port, log: log)
                    }
                    try await Task.sleep(for: .milliseconds(100))
                }
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
            }
            throw CocoaError(.featureUnsupported)
        }

        func stop() {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
    }

    @Test("organisation, coordinator and peer mentor; send, sync, open, acknowledge, contact, status, complete — all plain text")
    func flow() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let server = try await Server.start(runner)
        defer { server.stop() }
        let address = "http://127.0.0.1:\(server.port)"
        let marker = "MARKER\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"

        // The admin, on the server.
        #expect(try runner.run(["org", "create", "--name", "Blindeforbundet"]).status == 0)
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "kari", "--role", "coordinator"]).status == 0)
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "ola", "--role", "peer_mentor"]).status == 0)
        func token(_ handle: String) throws -> String {
            let issued = try runner.run(["tokens", "issue", "--org", "Blindeforbundet", "--handle", handle])
            return try #require(issued.output.split(separator: "\n").first { $0.hasPrefix("adt_") }.map(String.init))
        }

        // Each person's device: its own keystore and folder.
        let passphrase = runner.sandbox.appendingPathComponent("passphrase")
        try "a long enough passphrase\n".write(to: passphrase, atomically: true, encoding: .utf8)
        func device(_ person: String) -> [String: String] {
            ["DISPATCH_KEYSTORE": runner.sandbox.appendingPathComponent("\(person)/device.keystore").path,
             "DISPATCH_DEVICE_DIR": runner.sandbox.appendingPathComponent("\(person)/device").path]
        }
        var outputs: [String] = []
        func run(_ person: String, _ arguments: [String], input: String? = nil, expect status: Int32 = 0) throws -> String {
            let result = try runner.run(arguments, environment: device(person), input: input)
            #expect(result.status == status, "\(arguments): \(result.errors)")
            outputs.append(result.output + result.errors)
            return result.output + result.errors
        }
        for (person, handle) in [("kari", "kari"), ("ola", "ola")] {
            _ = try run(person, ["keys", "generate", "--passphrase-file", passphrase.path, "--kdf-profile", "interactive"])
            #expect(try run(person, ["login", "--server", address, "--token-stdin"], input: try token(handle) + "\n").contains("Signed in to \(address) as \(handle)"))
            #expect(try run(person, ["keys", "register"]).contains("Fingerprint to read aloud:"))
        }

        // Kari sends; the case information comes from a file.
        let payload = runner.sandbox.appendingPathComponent("case.json")
        try #"{"contact_name": "Kari Nordmann \#(marker)", "address": "Storgata 1", "epikrise": "Svaksynt etter slag. \#(marker)"}"#
            .write(to: payload, atomically: true, encoding: .utf8)
        let sent = try run("kari", ["send", "--to", "ola", "--title", "Oppdrag 1", "--region", "Vest", "--payload", payload.path, "--passphrase-file", passphrase.path])
        #expect(sent.hasPrefix("Sent. Oppdrag 1, to ola. Status dispatched. Id "))
        let id = try #require(sent.split(separator: " ").last.map { String($0.dropLast(2)) })
        #expect(UUID(uuidString: id) != nil, "\(sent)")
        try FileManager.default.removeItem(at: payload)

        // Ola syncs, reads the inbox, opens, acknowledges and records contact.
        #expect(try run("ola", ["sync"]).contains("New assignments downloaded: 1."))
        let inbox = try run("ola", ["inbox"])
        #expect(inbox.contains("You have 1 open assignment."))
        #expect(inbox.contains("1. Oppdrag 1. status delivered. make contact by "))
        let opened = try run("ola", ["open", id, "--passphrase-file", passphrase.path])
        #expect(opened.contains("Contact: Kari Nordmann \(marker)"))
        #expect(opened.contains("Address: Storgata 1"))
        #expect(opened.contains("The coordinator has been told you opened it."))
        #expect(try run("ola", ["ack", id]) == "Acknowledged. Status: acknowledged.\n")
        #expect(try run("ola", ["contact", id]) == "Contact recorded. Status: acknowledged.\n")

        // The person asks who has handled their case: Kari's device answers, from its own copy.
        let htmlFile = runner.sandbox.appendingPathComponent("access.html").path
        let access = try run("kari", ["subject-report", "--contact", "kari  nordmann \(marker.lowercased())", "--language", "en", "--html", htmlFile, "--passphrase-file", passphrase.path])
        #expect(access.contains("Assignments that concern the person: 1."), "\(access)")
        #expect(access.contains("Assignment Oppdrag 1, id \(id), status acknowledged."))
        #expect(access.contains(": sent, by kari.") && access.contains(": downloaded to a device, by ola.") && access.contains(": opened on a device, by ola."))
        #expect(access.contains(": contact made, by ola.") && access.contains(": status changed to acknowledged, by ola."))
        #expect(access.isPlainText && !access.contains(marker), "the report names nobody")
        let page = try String(contentsOfFile: htmlFile, encoding: .utf8)
        #expect(page.hasPrefix("<!DOCTYPE html>") && page.contains("<html lang=\"en\">") && !page.contains(marker))
        #expect(try run("kari", ["subject-report", "--contact", "Somebody Else", "--passphrase-file", passphrase.path]).contains("Ingen av de åpne oppdragene"))
        #expect(try run("kari", ["subject-report", "--passphrase-file", passphrase.path], expect: 64).contains("--contact NAME or --phone NUMBER"))

        // Ola's calendar feed, made on the device: the address is printed once; the calendar behind it
        // is valid and says nothing of the case; rotation stops the old address at once.
        let feed = try run("ola", ["feed", "create", "--language", "en"])
        #expect(feed.contains("Calendar feed for ola.") && feed.contains("Calendar apps that subscribe by link can use: webcal://"), "\(feed)")
        let feedURL = try #require(feed.split(separator: "\n").first { $0.hasPrefix("http://") }.map(String.init))
        let (calendar, feedResponse) = try await URLSession.shared.data(from: URL(string: feedURL)!)
        #expect((feedResponse as? HTTPURLResponse)?.statusCode == 200)
        let calendarText = String(decoding: calendar, as: UTF8.self)
        #expect(calendarText.hasPrefix("BEGIN:VCALENDAR") && !calendarText.contains(marker) && !calendarText.contains("Oppdrag 1"))
        #expect(try run("ola", ["feed", "show"]).contains("ola has a calendar feed"))
        #expect(try run("ola", ["feed", "create"], expect: 1).contains("dispatch feed rotate"))
        #expect(try run("ola", ["feed", "rotate"]).contains("replacing the old address"))
        let (_, oldResponse) = try await URLSession.shared.data(from: URL(string: feedURL)!)
        #expect((oldResponse as? HTTPURLResponse)?.statusCode == 404, "the old address stops at once")
        #expect(try run("ola", ["feed", "rotate", "--handle", "kari"], expect: 1).contains("organisation admin"))
        #expect(try run("ola", ["feed", "revoke"]).contains("no longer works"))

        // Kari sees it in the status overview, as text and as JSON.
        let status = try run("kari", ["status"])
        #expect(status.contains("Open assignments: 1. Overdue: 0."))
        #expect(status.contains("By status: 0 dispatched, 0 delivered, 0 read, 1 acknowledged."))
        #expect(status.contains("1. Oppdrag 1. to ola. status acknowledged. contact made. reminders sent: 0. region Vest. id \(id)."))
        let json = try JSONSerialization.jsonObject(with: Data(try run("kari", ["status", "--json"]).utf8)) as? [String: Any]
        #expect((json?["assignments"] as? [[String: Any]])?.first?["status"] as? String == "acknowledged")
        #expect(try run("ola", ["complete", id]) == "Marked as completed. Status: completed.\n")
        #expect(try run("ola", ["sync"]).contains("Closed assignments removed from this device: 1."))

        // The completion counted towards Ola's honorarium; an admin can see it and correct it.
        let honorarium = try run("admin", ["honorarium", "show", "--org", "Blindeforbundet", "--mentor", "ola"])
        #expect(honorarium.contains(": 1 counted assignment."), "\(honorarium)")
        #expect(honorarium.contains("No tier reached yet.\nNext tier: 3, 2 to go."))
        let year = String(Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Europe/Oslo")!, from: Date()).year!)
        let csvFile = runner.sandbox.appendingPathComponent("honorarium.csv").path
        _ = try run("admin", ["report", "honorarium", "--org", "Blindeforbundet", "--period", year, "--excel", "--out", csvFile])
        let csv = try String(contentsOfFile: csvFile, encoding: .utf8)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: csvFile)).prefix(3)) == [0xEF, 0xBB, 0xBF], "the byte order mark")
        #expect(csv.contains("organisation;period;peer_mentor_id;peer_mentor_handle;"), "\(csv)")
        #expect(csv.contains(";ola;;total;;;;1;;0,00;NOK;;"), "one counted, no rates set: \(csv)")
        #expect(!csv.contains(marker))
        #expect(try run("admin", ["report", "honorarium", "--org", "Blindeforbundet", "--period", "soon"], expect: 64).contains("--period takes a year"))
        let voided = try run("admin", ["honorarium", "void", "--org", "Blindeforbundet", "--assignment", id, "--reason", "Counted by mistake"])
        #expect(voided.contains("Voided.") && voided.contains(": 0 counted assignments."), "\(voided)")
        #expect(voided.contains("voided ") && voided.contains(": Counted by mistake."))
        #expect(try run("admin", ["honorarium", "void", "--org", "Blindeforbundet", "--assignment", id, "--reason", "Again"], expect: 1).contains("voided already"))

        // Mistakes get a message a person understands, and a non-zero exit.
        #expect(try run("ola", ["open", "not-an-id", "--passphrase-file", passphrase.path], expect: 64).contains("is not an assignment id"))
        #expect(try run("kari", ["send", "--to", "nobody", "--title", "Oppdrag 2", "--payload", "/nonexistent", "--passphrase-file", passphrase.path], expect: 64)
            .contains("Cannot read the payload file"))
        #expect(try run("stranger", ["inbox"], expect: 1).contains("This device is not signed in."))
        #expect(try run("kari", ["cancel", id, "--reason", "Too late"], expect: 1).contains("cannot"))
        #expect(try run("kari", ["status", "--status", "completed"], expect: 64).contains("Please provide one of 'dispatched', 'delivered', 'read' or 'acknowledged'"))

        // A second assignment, which Ola declines on the teaser; Kari sees the decline in her status.
        try #"{"contact_name": "Per \#(marker)"}"#.write(to: payload, atomically: true, encoding: .utf8)
        let second = try run("kari", ["send", "--to", "ola", "--title", "Oppdrag 2", "--payload", payload.path, "--passphrase-file", passphrase.path])
        try FileManager.default.removeItem(at: payload)
        let secondID = try #require(second.split(separator: "\n").first?.split(separator: " ").last.map { String($0.dropLast()) })
        #expect(try run("ola", ["sync"]).contains("New assignments downloaded: 1."))
        #expect(try run("ola", ["decline", secondID, "--reason", "busy"], expect: 64).contains("no_capacity"))
        #expect(try run("ola", ["decline", secondID, "--reason", "too_far"]).hasPrefix("Declined: Oppdrag 2. The coordinator has been told"))
        #expect(!(try run("ola", ["open", secondID, "--passphrase-file", passphrase.path], expect: 1)).contains(marker), "a declined case cannot be opened")
        let declinedStatus = try run("kari", ["status"])
        #expect(declinedStatus.contains("Declined in the last 30 days, waiting to be sent to someone else: 1."), "\(declinedStatus)")
        #expect(declinedStatus.contains("Declined 1. Oppdrag 2. by ola. reason too far."), "\(declinedStatus)")
        #expect(declinedStatus.isPlainText && !declinedStatus.contains(marker))
        // Ola is the only peer mentor, and the one who declined: nobody to suggest.
        #expect(try run("kari", ["suggest", secondID]).hasPrefix("Nobody to suggest"))
        #expect(try run("ola", ["suggest", secondID], expect: 1).contains("not allowed"))

        // A second peer mentor joins; Kari reassigns the declined case to him from her own copy.
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "per", "--role", "peer_mentor"]).status == 0)
        _ = try run("per", ["keys", "generate", "--passphrase-file", passphrase.path, "--kdf-profile", "interactive"])
        _ = try run("per", ["login", "--server", address, "--token-stdin"], input: try token("per") + "\n")
        _ = try run("per", ["keys", "register"])
        #expect(try run("kari", ["suggest", secondID]).contains("1. per."))
        #expect(try run("kari", ["reassign", secondID, "--to", "ola", "--passphrase-file", passphrase.path], expect: 1).contains("already with this peer mentor"))
        let reassigned = try run("kari", ["reassign", secondID, "--to", "per", "--passphrase-file", passphrase.path])
        #expect(reassigned.contains("Sent again to per as a new assignment: Oppdrag 2.") && reassigned.contains("The old assignment was already closed."), "\(reassigned)")
        #expect(try run("per", ["sync"]).contains("New assignments downloaded: 1."))
        #expect(try run("kari", ["reassign", secondID, "--to", "per", "--passphrase-file", passphrase.path], expect: 1).contains("holds no copy"))
        #expect(!(try run("kari", ["status"])).contains("Declined in the last 30 days"), "reassigned: no longer waiting")

        // Ola's device removed two copies (the completed and the declined one); the receipts are signed with his key.
        let waiting = try run("ola", ["sync"])
        #expect(waiting.contains("2 erasure receipts waiting to be signed with your key. Run dispatch sync --sign"), "\(waiting)")
        #expect(try run("ola", ["sync", "--sign", "--passphrase-file", passphrase.path]).contains("Erasure receipts sent: 2."))
        #expect(try run("admin", ["sweep", "keys", "--report"]).hasPrefix("No device is overdue"))
        #expect((try JSONSerialization.jsonObject(with: Data(try run("admin", ["sweep", "keys", "--report", "--json"]).utf8)) as? [Any])?.isEmpty == true)
        #expect(try run("admin", ["org", "set", "--org", "Blindeforbundet", "--erasure-confirmation-days", "0"], expect: 1).contains("erasure_confirmation_days"))
        #expect(try run("admin", ["org", "set", "--org", "Blindeforbundet", "--erasure-confirmation-days", "7"]).contains("overdue after 7 days"))

        // The admin's view of notifications and the webhook.
        let notifications = try run("admin", ["notifications", "list", "--org", "Blindeforbundet"])
        #expect(notifications.contains("assignment dispatched"), "\(notifications)")
        #expect(!notifications.contains(marker))
        let webhook = try run("admin", ["org", "webhook", "--org", "Blindeforbundet", "--url", "https://hooks.example.org/dispatch"])
        #expect(webhook.contains("Signing secret, version 1: whsec_"))
        let rotated = try run("admin", ["org", "webhook", "--org", "Blindeforbundet", "--rotate-secret"])
        #expect(rotated.contains("Signing secret, version 2: whsec_"))
        #expect(try run("admin", ["org", "webhook", "--org", "Blindeforbundet", "--url", "http://hooks.example.org/x"], expect: 1).contains("https://"))
        #expect(try run("admin", ["org", "webhook", "--org", "Blindeforbundet", "--remove"]).contains("has no webhook"))
        #expect(try run("admin", ["notifications", "requeue", "--org", "Blindeforbundet"]).contains("0 dead notifications will be sent again."))

        for output in outputs { #expect(output.isPlainText, "\(output)") }
        server.stop()
        let log = try String(contentsOf: server.log, encoding: .utf8)
        #expect(log.contains("/v1/assignments"), "the server logged its requests")
        #expect(!log.contains(marker), "the case information is not in the server's log")
        #expect(!log.contains("Storgata"))
    }
}
