import AssignmentCore
import Envelope
import Foundation
import Testing

@Suite("Server key and webhook signatures")
struct ServerKeyTests {
    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "server-key-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("the key is made once, private, and read back the same; a readable or short file is refused")
    func file() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/server.key"
        let organization = UUID()
        let first = try ServerKey.loadOrCreate(at: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 32)
        let again = try ServerKey.loadOrCreate(at: path)
        #expect(try first.webhookSecret(organization: organization, version: 1, serverKeyVersion: 1) == again.webhookSecret(organization: organization, version: 1, serverKeyVersion: 1))

        chmod(path, 0o644)
        #expect { try ServerKey.loadOrCreate(at: path) } throws: { ($0 as? EnvelopeError)?.code == "server_key_unusable" }
        chmod(path, 0o600)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        #expect { try ServerKey.loadOrCreate(at: path) } throws: { ($0 as? EnvelopeError)?.code == "server_key_unusable" }
    }

    @Test("servers starting at the same moment all end up with the one key on disk")
    func concurrentCreation() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/server.key"
        let organization = UUID()
        let secrets = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try ServerKey.loadOrCreate(at: path).webhookSecret(organization: organization, version: 1, serverKeyVersion: 1) } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(secrets.count == 1)
        #expect(try secrets.first == (try ServerKey.loadOrCreate(at: path)).webhookSecret(organization: organization, version: 1, serverKeyVersion: 1))
        #expect((try FileManager.default.contentsOfDirectory(atPath: folder)) == ["server.key"], "no temporary files left behind")
    }

    @Test("secrets differ per organisation, version and server key")
    func secrets() throws {
        let key = try ServerKey.generate()
        let organization = UUID()
        let secret = try key.webhookSecret(organization: organization, version: 1, serverKeyVersion: 1)
        #expect(secret.hasPrefix("whsec_") && secret.count == 6 + 64)
        #expect(try secret != key.webhookSecret(organization: organization, version: 2, serverKeyVersion: 1))
        #expect(try secret != key.webhookSecret(organization: UUID(), version: 1, serverKeyVersion: 1))
        #expect(try secret != (try ServerKey.generate()).webhookSecret(organization: organization, version: 1, serverKeyVersion: 1))
    }

    @Test("a signature verifies for its body, secret and time only")
    func signatures() throws {
        let body = Array(#"{"id":"x"}"#.utf8)
        let now = Date(timeIntervalSince1970: 1_795_000_000)
        let header = WebhookSignature.header(body: body, secret: "whsec_a", at: now)
        #expect(header.hasPrefix("t=1795000000,v1="))
        #expect(WebhookSignature.isValid(header: header, body: body, secret: "whsec_a", now: now + 10))
        #expect(!WebhookSignature.isValid(header: header, body: body + [0x20], secret: "whsec_a", now: now))
        #expect(!WebhookSignature.isValid(header: header, body: body, secret: "whsec_b", now: now))
        #expect(!WebhookSignature.isValid(header: header, body: body, secret: "whsec_a", now: now + 600), "too old: a replay")
        #expect(!WebhookSignature.isValid(header: "garbage", body: body, secret: "whsec_a", now: now))
        // RFC 4231 test case 2, so receivers in any language can check their HMAC against ours.
        #expect(Hex.encode(HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
            == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("a rotation adds a version: version 1 derives what it always did, new derivations use version 2, and an unknown version is named")
    func rotation() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/server.key"
        let organization = UUID()
        let (feed, assignment) = (UUID(), UUID())
        let original = try ServerKey.loadOrCreate(at: path)
        let rotated = try ServerKey.rotate(at: path)
        #expect(original.currentVersion == 1 && rotated.currentVersion == 2)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == 64)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(try ServerKey.loadOrCreate(at: path).currentVersion == 2, "the file holds both versions")

        #expect(try rotated.webhookSecret(organization: organization, version: 1, serverKeyVersion: 1)
            == original.webhookSecret(organization: organization, version: 1, serverKeyVersion: 1))
        #expect(try rotated.calendarEventUID(feed: feed, assignment: assignment, event: "expiry", serverKeyVersion: 1)
            == original.calendarEventUID(feed: feed, assignment: assignment, event: "expiry", serverKeyVersion: 1))
        #expect(try rotated.auditSigningKey(version: 1).publicKeys == original.auditSigningKey().publicKeys)

        #expect(try rotated.webhookSecret(organization: organization, version: 1, serverKeyVersion: 2)
            != original.webhookSecret(organization: organization, version: 1, serverKeyVersion: 1))
        #expect(try rotated.auditSigningKey().publicKeys != original.auditSigningKey().publicKeys, "new extracts are signed with the new version")
        #expect(throws: EnvelopeError.serverKeyVersionUnknown(version: 2, newest: 1)) {
            try original.webhookSecret(organization: organization, version: 1, serverKeyVersion: 2)
        }
        #expect(throws: EnvelopeError.serverKeyVersionUnknown(version: 0, newest: 2)) {
            try rotated.auditSigningKey(version: 0)
        }
    }
}
