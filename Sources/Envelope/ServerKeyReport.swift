import AssignmentCore

/// What `dispatch server-key show` and `dispatch server-key rotate` tell the operator: the key
/// file, its versions, which is current, and each version's public audit key (the key an extract
/// made with that version names and is verified with). Never a secret.
public struct ServerKeyReport: Sendable, Codable, Hashable {
    public struct Version: Sendable, Codable, Hashable {
        public var version: Int
        public var current: Bool
        /// Hex Ed25519 public key of the audit signing key derived from this version.
        public var auditPublicKey: String

        enum CodingKeys: String, CodingKey {
            case version, current
            case auditPublicKey = "audit_public_key"
        }
    }

    public var file: String
    public var currentVersion: Int
    public var versions: [Version]
    /// Whether this report follows a rotation (so the text says what to do next).
    public var rotated: Bool

    enum CodingKeys: String, CodingKey {
        case file, versions, rotated
        case currentVersion = "current_version"
    }

    public init(file: String, key: ServerKey, rotated: Bool) throws {
        self.file = file
        self.currentVersion = key.currentVersion
        self.versions = try (1...key.currentVersion).map { version in
            Version(version: version, current: version == key.currentVersion, auditPublicKey: Hex.encode(try key.auditSigningKey(version: version).publicKeys.signingKey))
        }
        self.rotated = rotated
    }

    /// The key at `path` (made when there is none, as a server's first start would).
    public static func show(at path: String) throws -> ServerKeyReport {
        try ServerKeyReport(file: path, key: try ServerKey.loadOrCreate(at: path), rotated: false)
    }

    /// Adds a version to the key at `path` (``ServerKey/rotate(at:random:)``).
    public static func rotate(at path: String, random: some RandomSource = SystemRandomSource()) throws -> ServerKeyReport {
        try ServerKeyReport(file: path, key: try ServerKey.rotate(at: path, random: random), rotated: true)
    }

    /// Linear text for a screen reader: one sentence per version, the current one said in words.
    public var plainText: String {
        var lines: [String] = []
        if rotated {
            lines.append("The server key now has \(versions.count) versions; version \(currentVersion) is current.")
            lines.append("New audit extracts, feeds and webhook secrets use it. Feeds and webhook secrets made before keep their version and keep working.")
            lines.append("Restart every server and job runner that shares \(file), so they load version \(currentVersion).")
        } else {
            lines.append("Server key \(file): \(versions.count == 1 ? "1 version" : "\(versions.count) versions"), version \(currentVersion) is current.")
        }
        for version in versions {
            lines.append("Version \(version.version)\(version.current ? ", current" : ""): audit public key \(version.auditPublicKey).")
        }
        return lines.joined(separator: "\n")
    }
}
