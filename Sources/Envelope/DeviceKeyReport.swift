import AssignmentCore

/// What `dispatch keys generate` and `dispatch keys show` tell the person: where the keystore is,
/// and the fingerprint in the forms used to verify it over the phone.
public struct DeviceKeyReport: Sendable, Codable, Hashable {
    public var keystore: String
    public var fingerprint: String
    public var fingerprintGrouped: String
    public var readAloud: [String]
    public var encryptionPublicKey: String
    public var signingPublicKey: String
    /// Whether the device has an X-Wing key (it can receive format 2, post-quantum envelopes).
    public var postQuantum: Bool

    public init(keystore: String, publicKeys: DevicePublicKeys) {
        let fingerprint = publicKeys.fingerprint
        self.keystore = keystore
        self.fingerprint = fingerprint.hex
        self.fingerprintGrouped = fingerprint.groupedHex
        self.readAloud = fingerprint.readAloud
        self.encryptionPublicKey = Hex.encode(publicKeys.encryptionKey)
        self.signingPublicKey = Hex.encode(publicKeys.signingKey)
        self.postQuantum = publicKeys.isPostQuantum
    }

    /// Generates a new key pair and stores it encrypted under `passphrase`.
    public static func generate(
        at path: String, passphrase: SecretBytes, hardness: KeystoreHardness, overwrite: Bool,
        random: some RandomSource = SystemRandomSource()
    ) throws -> DeviceKeyReport {
        let keys = try DeviceKeyPair.generate(random: random)
        try Keystore.create(at: path, keys: keys, passphrase: passphrase, hardness: hardness, overwrite: overwrite, random: random)
        return DeviceKeyReport(keystore: path, publicKeys: keys.publicKeys)
    }

    /// Reads the public keys of an existing keystore (no passphrase needed).
    public static func show(at path: String) throws -> DeviceKeyReport {
        DeviceKeyReport(keystore: path, publicKeys: try Keystore.publicKeys(at: path))
    }

    /// Linear text for a screen reader: the read-aloud digits come first after the path, as the
    /// thing a person most often needs.
    public var plainText: String {
        [
            "Keystore: \(keystore).",
            "Fingerprint to read aloud: \(readAloud.joined(separator: " ")).",
            "Full fingerprint: \(fingerprintGrouped).",
            "Encryption public key: \(encryptionPublicKey).",
            "Signing public key: \(signingPublicKey).",
            postQuantum
                ? "Post-quantum key: yes. Assignments to this device can use format 2."
                : "Post-quantum key: no. Run dispatch keys upgrade, then dispatch keys register.",
        ].joined(separator: "\n")
    }
}
