/// The two envelope formats (`docs/envelope.md`). Everything that differs between them is here;
/// the layout around the sealed keys, the payload cipher, the signature and the associated data
/// are the same.
public enum EnvelopeFormat: UInt8, Sendable, Hashable, CaseIterable {
    /// Each device's content key sealed with X25519 (`crypto_box_seal`).
    case v1 = 1
    /// Each device's content key wrapped with HPKE (RFC 9180, base mode) over the X-Wing KEM
    /// (ML-KEM-768 with X25519), HKDF-SHA256 and AES-256-GCM: post-quantum and classical at once.
    case v2 = 2

    /// The version byte; the algorithm byte is the same number.
    public var version: UInt8 { rawValue }
    public var algorithm: UInt8 { rawValue }

    /// The algorithm id stored with each assignment.
    public var algorithmName: String {
        switch self {
        case .v1: "ade1:xchacha20poly1305-ietf+x25519-sealedbox+ed25519"
        case .v2: "ade2:xchacha20poly1305-ietf+xwing-hpke-sha256-aes256gcm+ed25519"
        }
    }

    /// The bytes of one device's sealed content key.
    public var sealedKeyByteCount: Int {
        switch self {
        case .v1: 80
        case .v2: XWingKeyWrap.wrappedByteCount
        }
    }

    /// Whether it stays closed to an attacker with a quantum computer.
    public var isPostQuantum: Bool { self == .v2 }

    public init?(algorithmName: String) {
        guard let format = Self.allCases.first(where: { $0.algorithmName == algorithmName }) else { return nil }
        self = format
    }

    /// The format of a version and algorithm byte pair, if it is one.
    public init?(version: UInt8, algorithm: UInt8) {
        guard version == algorithm, let format = EnvelopeFormat(rawValue: version) else { return nil }
        self = format
    }
}
