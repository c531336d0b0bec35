import Foundation
import Testing

/// `dispatch server-key show|rotate`, through the built executable, with what depends on the key
/// around it: audit extracts, webhook secrets and feeds (docs/security.md, "Rotating the server key").
@Suite("Server key commands", .serialized)
struct ServerKeyCommandTests {
    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("a rotation signs new extracts with a new key while old extracts, webhook secrets and feeds keep working")
    func rotation() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["org", "create", "--name", "Blindeforbundet"]).status == 0)
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "mentor", "--role", "peer_mentor"]).status == 0)
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "mentor2", "--role", "peer_mentor"]).status == 0)
        let feedBefore = try json(try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "mentor", "--json"]).output)
        #expect((feedBefore["feed"] as? [String: Any])?["server_key_version"] as? Int == 1)
        let webhook = try runner.run(["org", "webhook", "--org", "Blindeforbundet", "--url", "http://127.0.0.1:9/hook", "--json"])
        #expect(webhook.status == 0, "\(webhook.errors)")
        let secretBefore = try #require(try json(webhook.output)["secret"] as? String)
        let oldKey = try runner.run(["audit", "key"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let oldExtract = NSTemporaryDirectory() + "extract-old-\(UUID().uuidString)"
        let newExtract = NSTemporaryDirectory() + "extract-new-\(UUID().uuidString)"
        defer {
            try? FileManager.default.removeItem(atPath: oldExtract)
            try? FileManager.default.removeItem(atPath: newExtract)
        }
        #expect(try runner.run(["audit", "extract", "--org", "Blindeforbundet", "--from", "2020-01-01", "--to", "2099-12-31", "--out", oldExtract]).status == 0)

        let rotated = try runner.run(["server-key", "rotate"])
        #expect(rotated.status == 0, "\(rotated.errors)")
        #expect(rotated.output.isPlainText)
        #expect(rotated.output.contains("version 2 is current") && rotated.output.contains("Restart every server"), "\(rotated.output)")
        let shown = try json(try runner.run(["server-key", "show", "--json"]).output)
        let versions = try #require(shown["versions"] as? [[String: Any]])
        #expect(shown["current_version"] as? Int == 2)
        #expect(versions.map { $0["audit_public_key"] as? String }.first == oldKey, "version 1 still derives the old audit key")
        #expect(!(try runner.run(["server-key", "show"]).output.contains(secretBefore)), "no secret is ever printed")

        // Audit: new extracts are signed by, and name, the new key; old ones still verify with the old key.
        let newKey = try runner.run(["audit", "key"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newKey != oldKey && versions.last?["audit_public_key"] as? String == newKey)
        let extract = try runner.run(["audit", "extract", "--org", "Blindeforbundet", "--from", "2020-01-01", "--to", "2099-12-31", "--out", newExtract])
        #expect(extract.status == 0 && extract.output.contains("Signed by the audit key \(newKey)."), "\(extract.output)\(extract.errors)")
        #expect(try runner.run(["audit", "verify", newExtract, "--key", newKey]).status == 0)
        #expect(try runner.run(["audit", "verify", newExtract, "--key", oldKey]).status == 1, "the old key does not vouch for a new extract")
        #expect(try runner.run(["audit", "verify", oldExtract, "--key", oldKey]).status == 0, "an old extract still verifies with the key it names")

        // Webhooks: the secret made before the rotation is unchanged until it is rotated itself.
        let after = try runner.run(["org", "webhook", "--org", "Blindeforbundet", "--json"])
        #expect(try json(after.output)["secret"] as? String == secretBefore)
        let moved = try runner.run(["org", "webhook", "--org", "Blindeforbundet", "--url", "http://127.0.0.1:9/other", "--json"])
        #expect(try json(moved.output)["secret"] as? String == secretBefore, "a new address alone keeps the secret")
        let renewed = try runner.run(["org", "webhook", "--org", "Blindeforbundet", "--rotate-secret", "--json"])
        #expect(try json(renewed.output)["secret"] as? String != secretBefore)

        // Feeds: the existing one keeps version 1 (its event UIDs); a new one is made with version 2.
        let live = try json(try runner.run(["feed", "show", "--org", "Blindeforbundet", "--handle", "mentor", "--json"]).output)
        #expect(live["server_key_version"] as? Int == 1)
        let fresh = try json(try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "mentor2", "--json"]).output)
        #expect((fresh["feed"] as? [String: Any])?["server_key_version"] as? Int == 2)
    }

    @Test("a damaged, missing or too open key file is refused with a clear message and left as it is")
    func badFiles() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let folder = NSTemporaryDirectory() + "server-key-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/server.key"
        let missing = try runner.run(["server-key", "rotate"], environment: ["DISPATCH_SERVER_KEY_FILE": path])
        #expect(missing.status != 0 && missing.errors.contains(path), "\(missing.errors)")
        #expect(!FileManager.default.fileExists(atPath: path), "rotating makes no key where there was none")

        #expect(FileManager.default.createFile(atPath: path, contents: Data(repeating: 7, count: 33), attributes: [.posixPermissions: 0o600]))
        let damaged = try runner.run(["server-key", "rotate"], environment: ["DISPATCH_SERVER_KEY_FILE": path])
        #expect(damaged.status != 0 && damaged.errors.contains("not a whole number of 32-byte keys"), "\(damaged.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 7, count: 33), "left as it was")

        try Data(repeating: 7, count: 32).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o644)
        let open = try runner.run(["server-key", "show"], environment: ["DISPATCH_SERVER_KEY_FILE": path])
        #expect(open.status != 0 && open.errors.contains("server key"), "\(open.errors)")
    }
}
