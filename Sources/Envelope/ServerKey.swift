import AssignmentCore
import CSodium
import Foundation

/// The server's own secret: 32 random bytes in a file only the server's user can read
/// (`<data dir>/server.key` unless configured otherwise), made on first use.
///
/// Secrets the server needs are *derived* from it, so the database never holds one: the webhook
/// signing secret of each organisation, the audit signing key, the calendar UID key. Several servers
/// sharing one database must share this file. Losing it changes every derived secret; it never
/// touches assignments, which the server cannot open anyway.
///
/// The key has **versions** (docs/security.md, "Rotating the server key"): the file holds one
/// 32-byte key per version, oldest first, and `dispatch server-key rotate` appends a new one. The
/// newest signs new audit extracts and keys new feeds and new webhook secrets; every older version
/// stays, because feeds and webhook secrets record the version they were made with and keep using
/// it (a calendar app must not see its events change UID, a webhook receiver must not have to be
/// reconfigured), and old extracts name the public key that signed them.
public struct ServerKey: Sendable {
    public static let byteCount = 32
    /// How many versions a key file may hold.
    public static let maximumVersions = 64
    /// Version n is `versions[n - 1]`.
    let versions: [SecretBytes]

    public init(_ secret: SecretBytes) {
        self.init(versions: [secret])
    }

    init(versions: [SecretBytes]) {
        precondition(!versions.isEmpty && versions.count <= Self.maximumVersions, "a server key has 1 to 64 versions")
        precondition(versions.allSatisfy { $0.count == Self.byteCount }, "a server key is 32 bytes")
        self.versions = versions
    }

    /// The newest version: what new extracts, feeds and webhook secrets use.
    public var currentVersion: Int { versions.count }

    /// A fresh key (tests; the first start of a server).
    public static func generate(random: any RandomSource = SystemRandomSource()) throws -> ServerKey {
        ServerKey(try SecretBytes(randomCount: byteCount, from: random))
    }

    /// Reads the key at `path`, creating it (mode 0600) when there is none.
    public static func loadOrCreate(at path: String, random: any RandomSource = SystemRandomSource()) throws -> ServerKey {
        do {
            return try load(at: path)
        } catch PrivateFileError.missing {
            let key = try generate(random: random)
            let created: Bool
            do {
                created = try key.versions[0].withUnsafeBytes { try PrivateFile.create(Array($0), at: path) }
            } catch let error as PrivateFileError {
                throw EnvelopeError.serverKeyUnusable(path: path, reason: error.reason)
            }
            // Another process made it first: everyone uses the one on disk.
            return created ? key : try loadOrCreate(at: path, random: random)
        } catch let error as PrivateFileError {
            throw EnvelopeError.serverKeyUnusable(path: path, reason: error.reason)
        }
    }

    /// Adds a new version to the key at `path` (which must exist) and returns the key with it. The
    /// file is replaced atomically; running servers keep the versions they loaded until restarted.
    public static func rotate(at path: String, random: any RandomSource = SystemRandomSource()) throws -> ServerKey {
        do {
            let existing = try load(at: path)
            guard existing.versions.count < maximumVersions else {
                throw EnvelopeError.serverKeyUnusable(path: path, reason: "it already holds \(maximumVersions) versions, the most one file may")
            }
            let rotated = ServerKey(versions: existing.versions + [try SecretBytes(randomCount: byteCount, from: random)])
            var bytes: [UInt8] = []
            for version in rotated.versions { version.withUnsafeBytes { bytes += $0 } }
            defer { sodium_memzero(&bytes, bytes.count) }
            try PrivateFile.write(bytes, to: path)
            return rotated
        } catch let error as PrivateFileError {
            throw EnvelopeError.serverKeyUnusable(path: path, reason: error.reason)
        }
    }

    private static func load(at path: String) throws -> ServerKey {
        var bytes = try PrivateFile.read(at: path, maximumBytes: byteCount * maximumVersions)
        defer { sodium_memzero(&bytes, bytes.count) }
        guard !bytes.isEmpty, bytes.count % byteCount == 0 else {
            throw EnvelopeError.serverKeyUnusable(path: path, reason: "it is not a whole number of 32-byte keys")
        }
        return ServerKey(versions: try stride(from: 0, to: bytes.count, by: byteCount).map { try SecretBytes(copying: bytes[$0..<$0 + byteCount]) })
    }

    /// HMAC-SHA-256 under one version of the server key: the derivation every server secret goes
    /// through. A version this process does not hold (the file was rotated after it started) is an
    /// error that says to restart it.
    func derive(_ label: String, version: Int) throws -> [UInt8] {
        guard versions.indices.contains(version - 1) else { throw EnvelopeError.serverKeyVersionUnknown(version: version, newest: currentVersion) }
        return HMACSHA256.authenticate(Array(label.utf8), keyBytes: versions[version - 1])
    }

    /// The secret an organisation's webhook receiver verifies signatures with: `whsec_` and 64 hex
    /// digits, derived from the server key version the organisation's secret was made with. Bumping
    /// `version` (a rotation of the webhook secret) gives a new, unrelated secret.
    public func webhookSecret(organization: UUID, version: Int, serverKeyVersion: Int) throws -> String {
        "whsec_" + Hex.encode(try derive("dispatch.webhook.v1:\(organization.uuidString.lowercased()):\(version)", version: serverKeyVersion))
    }
}

extension ServerKey {
    /// The Ed25519 key that signs audit extract manifests (docs/audit.md), derived from a version of
    /// the server key (the newest unless another is asked for): every server sharing the key file
    /// signs with the same key, and `dispatch audit key` prints its public half for anyone who
    /// verifies extracts. Only the signing half is used.
    public func auditSigningKey(version: Int? = nil) throws -> DeviceKeyPair {
        let version = version ?? currentVersion
        return try DeviceKeyPair(
            encryptionSeed: try SecretBytes(copying: derive("dispatch.audit-unused-box.v1", version: version)),
            signingSeed: try SecretBytes(copying: derive("dispatch.audit-signing.v1", version: version)))
    }

    /// The UID of one event of one calendar feed: 128 bits of HMAC under a key derived from the
    /// server key version the feed was made with, over the feed's id, the assignment's id and the
    /// event's kind. Stable for as long as the feed lives (a calendar app updates the event instead
    /// of duplicating it, also across a rotation of the server key), different in every other feed
    /// (two feeds cannot be joined on their UIDs), and meaningless without the server key (the
    /// assignment id cannot be read back out of it).
    public func calendarEventUID(feed: UUID, assignment: UUID, event: String, serverKeyVersion: Int) throws -> String {
        let key = try derive("dispatch.calendar-uid.v1", version: serverKeyVersion)
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
