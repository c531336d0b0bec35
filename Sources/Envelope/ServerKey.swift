import AssignmentCore
import CSodium
import Foundation

/// The server's own secret: 32 random bytes in a file only the server's user can read
/// (`<data dir>/server.key` unless configured otherwise), made on first use.
///
/// Secrets the server needs are *derived* from it, so the database never holds one: today the
/// webhook signing secret of each organisation (``webhookSecret(organization:version:)``). Several
/// servers sharing one database must share this file. Losing it changes every derived secret
/// (organisations re-read their webhook secret); it never touches assignments, which the server
/// cannot open anyway.
public struct ServerKey: Sendable {
    public static let byteCount = 32
    let secret: SecretBytes

    public init(_ secret: SecretBytes) {
        precondition(secret.count == Self.byteCount, "a server key is 32 bytes")
        self.secret = secret
    }

    /// A fresh key (tests; the first start of a server).
    public static func generate(random: any RandomSource = SystemRandomSource()) throws -> ServerKey {
        ServerKey(try SecretBytes(randomCount: byteCount, from: random))
    }

    /// Reads the key at `path`, creating it (mode 0600) when there is none.
    public static func loadOrCreate(at path: String, random: any RandomSource = SystemRandomSource()) throws -> ServerKey {
        do {
            let bytes = try PrivateFile.read(at: path, maximumBytes: byteCount)
            guard bytes.count == byteCount else { throw EnvelopeError.serverKeyUnusable(path: path, reason: "it is not 32 bytes long") }
            return ServerKey(try SecretBytes(copying: bytes))
        } catch PrivateFileError.missing {
            let key = try generate(random: random)
            let created: Bool
            do {
                created = try key.secret.withUnsafeBytes { try PrivateFile.create(Array($0), at: path) }
            } catch let error as PrivateFileError {
                throw EnvelopeError.serverKeyUnusable(path: path, reason: error.reason)
            }
            // Another process made it first: everyone uses the one on disk.
            return created ? key : try loadOrCreate(at: path, random: random)
        } catch let error as PrivateFileError {
            throw EnvelopeError.serverKeyUnusable(path: path, reason: error.reason)
        }
    }

    /// HMAC-SHA-256 under the server key: the derivation every server secret goes through.
    func derive(_ label: String) -> [UInt8] {
        HMACSHA256.authenticate(Array(label.utf8), keyBytes: secret)
    }

    /// The secret an organisation's webhook receiver verifies signatures with: `whsec_` and 64 hex
    /// digits. Bumping `version` (a rotation) gives a new, unrelated secret.
    public func webhookSecret(organization: UUID, version: Int) -> String {
        "whsec_" + Hex.encode(derive("dispatch.webhook.v1:\(organization.uuidString.lowercased()):\(version)"))
    }
}

extension ServerKey {
    /// The Ed25519 key that signs audit extract manifests (docs/audit.md), derived from the server
    /// key: every server sharing the key file signs with the same key, and `dispatch audit key`
    /// prints its public half for anyone who verifies extracts. Only the signing half is used.
    public func auditSigningKey() throws -> DeviceKeyPair {
        try DeviceKeyPair(
            encryptionSeed: try SecretBytes(copying: derive("dispatch.audit-unused-box.v1")),
            signingSeed: try SecretBytes(copying: derive("dispatch.audit-signing.v1")))
    }

    /// The UID of one event of one calendar feed: 128 bits of HMAC under a key derived from the
    /// server key, over the feed's id, the assignment's id and the event's kind. Stable for as long
    /// as the feed lives (a calendar app updates the event instead of duplicating it), different in
    /// every other feed (two feeds cannot be joined on their UIDs), and meaningless without the
    /// server key (the assignment id cannot be read back out of it).
    public func calendarEventUID(feed: UUID, assignment: UUID, event: String) -> String {
        let key = derive("dispatch.calendar-uid.v1")
        let message = Array("\(feed.uuidString.lowercased())/\(assignment.uuidString.lowercased())/\(event)".utf8)
        return Hex.encode(Array(HMACSHA256.authenticate(message, key: key).prefix(16))) + "@assignment-dispatch"
    }
}

/// HMAC-SHA-256 (libsodium's `crypto_auth_hmacsha256`, which takes keys of any length).
public enum HMACSHA256 {
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        let keyBytes = Array(key)
        return keyBytes.withUnsafeBufferPointer { keyBuffer in
            mac(Array(message), key: keyBuffer.baseAddress, keyCount: keyBuffer.count)
        }
    }

    static func authenticate(_ message: some Collection<UInt8>, keyBytes: SecretBytes) -> [UInt8] {
        keyBytes.withUnsafeBytes { buffer in
            mac(Array(message), key: buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), keyCount: buffer.count)
        }
    }

    private static func mac(_ message: [UInt8], key: UnsafePointer<UInt8>?, keyCount: Int) -> [UInt8] {
        try? Sodium.ready()
        var state = crypto_auth_hmacsha256_state()
        var output = [UInt8](repeating: 0, count: Int(crypto_auth_hmacsha256_BYTES))
        let empty: [UInt8] = [0]
        empty.withUnsafeBufferPointer { fallback in
            _ = crypto_auth_hmacsha256_init(&state, key ?? fallback.baseAddress!, key == nil ? 0 : keyCount)
        }
        message.withUnsafeBufferPointer { _ = crypto_auth_hmacsha256_update(&state, $0.baseAddress, UInt64($0.count)) }
        crypto_auth_hmacsha256_final(&state, &output)
        return output
    }

    /// Compares two MACs in constant time.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.count == b.count && a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in sodium_memcmp(x.baseAddress, y.baseAddress, x.count) == 0 } }
    }
}

/// The signature on a webhook delivery: `Dispatch-Signature: t=<unix seconds>,v1=<hex>`, where the
/// hex is HMAC-SHA-256, keyed with the UTF-8 bytes of the organisation's `whsec_…` secret, of
/// `<t>.` followed by the body. The time is signed so that a receiver can refuse old replays.
public enum WebhookSignature {
    public static let headerName = "Dispatch-Signature"

    public static func header(body: some Collection<UInt8>, secret: String, at time: Date) -> String {
        let seconds = Int(time.timeIntervalSince1970)
        return "t=\(seconds),v1=" + Hex.encode(HMACSHA256.authenticate(Array("\(seconds).".utf8) + Array(body), key: Array(secret.utf8)))
    }

    /// What a receiver does: checks the header against the body and secret, and that the time is
    /// within `tolerance` of `now`.
    public static func isValid(header: String, body: some Collection<UInt8>, secret: String, now: Date, tolerance: TimeInterval = 300) -> Bool {
        var fields: [Substring: Substring] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard let t = fields["t"], let seconds = Int(t), let v1 = fields["v1"], let given = Hex.decode(String(v1)) else { return false }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else { return false }
        let expected = HMACSHA256.authenticate(Array("\(seconds).".utf8) + Array(body), key: Array(secret.utf8))
        return HMACSHA256.equal(expected, given)
    }
}
