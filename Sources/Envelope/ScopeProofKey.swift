import AssignmentCore

/// The key a process proves its transactions' scope to PostgreSQL with (migration 0009,
/// `docs/security.md`): HMAC-SHA-256 under a key derived from one version of the server key.
///
/// The database holds the same key, as HMAC pads, in a table only the schema owner can read, and
/// its row-level security policies accept a scope only with a valid proof. A statement smuggled
/// into the application's connection can change the scope setting, but cannot compute a proof:
/// the key is in this process and in the owner's table, never where the application role reads.
public struct ScopeProofKey: Sendable {
    /// Names the key in the database: 16 hex digits, not secret.
    public let id: String
    private let key: SecretBytes

    /// HMAC's block size; the pads the database stores are this long.
    static let blockSize = 64

    init(key: SecretBytes) {
        self.key = key
        self.id = Hex.encode(Array(HMACSHA256.authenticate(Array("dispatch.scope-key-id.v1".utf8), keyBytes: key).prefix(8)))
    }

    /// The proof of one transaction's scope, as lowercase hex: what `dispatch_verified_scope()`
    /// recomputes. The fields are joined by line feeds after the version tag; none may contain one.
    public func proof(scope: String, actorID: String, actorRole: String, transactionID: String) -> String {
        let message = ["dispatch-scope-v1", scope, actorID, actorRole, transactionID].joined(separator: "\n")
        return Hex.encode(HMACSHA256.authenticate(Array(message.utf8), keyBytes: key))
    }

    /// The key XOR ipad and XOR opad (RFC 2104), each 64 bytes: how the database keeps it, so that
    /// plain SQL (`sha256`) computes the same HMAC. As secret as the key itself.
    public func pads() -> (inner: [UInt8], outer: [UInt8]) {
        key.withUnsafeBytes { bytes in
            var inner = [UInt8](repeating: 0x36, count: Self.blockSize)
            var outer = [UInt8](repeating: 0x5c, count: Self.blockSize)
            for (index, byte) in bytes.enumerated() {
                inner[index] ^= byte
                outer[index] ^= byte
            }
            return (inner, outer)
        }
    }
}

extension ServerKey {
    /// The scope-proof key of every version of the server key, oldest first: the newest proves
    /// this process's transactions, and all are installed, so a process that still runs on an
    /// older version keeps working across a rotation.
    public func scopeProofKeys() throws -> [ScopeProofKey] {
        try (1...currentVersion).map { version in
            ScopeProofKey(key: try SecretBytes(copying: derive("dispatch.scope-proof.v1", version: version)))
        }
    }
}
