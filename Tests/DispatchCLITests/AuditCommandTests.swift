import Foundation
import Testing

/// `dispatch audit …`, through the built executable: what a compliance officer runs.
@Suite("Audit commands", .serialized)
struct AuditCommandTests {
    @Test("extract to a folder, verify it offline and against the trusted key, find a changed entry, verify the live chain")
    func extractAndVerify() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["org", "create", "--name", "Blindeforbundet"]).status == 0)
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "mentor", "--role", "peer_mentor"]).status == 0)
        #expect(try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "mentor"]).status == 0)
        // Days of an extract are the organisation's (Europe/Oslo by default), not UTC's: between 23:00
        // and 24:00 UTC it is already tomorrow in Oslo, and today's entries are in tomorrow there.
        #expect(try runner.run(["org", "show", "--org", "Blindeforbundet"]).output.contains("Time zone: Europe/Oslo."))
        let oslo = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Europe/Oslo")!, from: Date())
        let today = String(format: "%04d-%02d-%02d", oslo.year!, oslo.month!, oslo.day!)
        let out = NSTemporaryDirectory() + "extract-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }

        let key = try runner.run(["audit", "key"])
        #expect(key.status == 0)
        let publicKey = key.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(publicKey.range(of: "^[0-9a-f]{64}$", options: .regularExpression) != nil)

        let extract = try runner.run(["audit", "extract", "--org", "Blindeforbundet", "--from", "2020-01-01", "--to", today, "--out", out])
        #expect(extract.status == 0, "\(extract.errors)")
        #expect(extract.output.isPlainText)
        #expect(extract.output.contains("Signed by the audit key \(publicKey)."))
        let verified = try runner.run(["audit", "verify", out, "--key", publicKey])
        #expect(verified.status == 0, "\(verified.output)\(verified.errors)")
        #expect(verified.output.contains("is intact"))

        let entries = out + "/entries.jsonl"
        let text = try String(contentsOfFile: entries, encoding: .utf8)
        // Pulling the extract is in the audit trail, and so in an extract that reaches today.
        #expect(text.components(separatedBy: "\n").last { !$0.isEmpty }?.contains(#""action":"audit.extract_pulled""#) == true)
        #expect(text.contains(#""via":"cli""#))
        var lines = text.components(separatedBy: "\n")
        #expect(lines.count > 3)
        lines[1] = lines[1].replacingOccurrences(of: "\"action\":\"", with: "\"action\":\"x")
        try lines.joined(separator: "\n").write(toFile: entries, atomically: true, encoding: .utf8)
        let broken = try runner.run(["audit", "verify", out])
        #expect(broken.status == 1)
        #expect(broken.output.contains("is NOT intact") && broken.output.contains("was changed after it was written"), "\(broken.output)")
        let json = try runner.run(["audit", "verify", out, "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])?["intact"] as? Bool == false)

        let live = try runner.run(["audit", "verify", "--live", "--org", "Blindeforbundet"])
        #expect(live.status == 0 && live.output.contains("The audit chain of Blindeforbundet is intact"), "\(live.output)\(live.errors)")
        #expect(!live.output.contains("not linked"), "the extract linked everything before it")

        // No server runs here, so a new entry waits to be linked, and the live check says so.
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "second", "--role", "peer_mentor"]).status == 0)
        let waiting = try runner.run(["audit", "verify", "--live", "--org", "Blindeforbundet"])
        #expect(waiting.status == 0 && waiting.output.contains("1 newer entry is not linked into the chain yet"), "\(waiting.output)")
        #expect(waiting.output.isPlainText)
        let waitingJSON = try runner.run(["audit", "verify", "--live", "--org", "Blindeforbundet", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(waitingJSON.output.utf8)) as? [String: Any])?["unlinked_count"] as? Int == 1)
        #expect(try runner.run(["jobs", "run", "--once"]).status == 0)
        let linked = try runner.run(["audit", "verify", "--live", "--org", "Blindeforbundet", "--json"])
        let linkedObject = try JSONSerialization.jsonObject(with: Data(linked.output.utf8)) as? [String: Any]
        #expect(linkedObject?["unlinked_count"] as? Int == 0)
        #expect(linkedObject?["intact"] as? Bool == true)

        let again = try runner.run(["audit", "extract", "--org", "Blindeforbundet", "--from", "2020-01-01", "--to", today, "--out", out])
        #expect(again.status == 1 && again.errors.contains("is not empty"))
        let badDate = try runner.run(["audit", "extract", "--org", "Blindeforbundet", "--from", "yesterday", "--to", today, "--out", out + "-2"])
        #expect(badDate.status == 1 && badDate.errors.contains("is not a date"))
        #expect(!FileManager.default.fileExists(atPath: out + "-2"), "nothing half-written")
        #expect(try runner.run(["audit", "verify"]).status == 64)
        #expect(try runner.run(["audit", "verify", "/nonexistent"]).errors.contains("There is no audit extract at /nonexistent."))
    }
}
