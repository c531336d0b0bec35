import AssignmentCore
import Envelope
import Foundation

/// The keys this device trusts, per user: trust on first use, then only what a person verified.
///
/// The first time the device meets a user, their current keys are pinned. After that, a key the
/// device has not pinned (a new phone, or a server handing out a substituted key) is refused with
/// ``DeviceClientError/keyChanged(handle:unverified:)`` until someone compares its fingerprint
/// aloud with its owner and runs `dispatch keys verify`. Pinned keys keep their public halves, so
/// a cached assignment can be checked and opened offline.
public struct KeyPins: Sendable, Hashable, Codable {
    public struct PinnedKey: Sendable, Hashable, Codable {
        public var fingerprint: String
        public var encryptionPublicKey: String
        public var signingPublicKey: String
        /// The X-Wing key, on devices that have one (absent in pins written before format 2).
        public var kemPublicKey: String?
        public var pinnedAt: Date

        enum CodingKeys: String, CodingKey {
            case fingerprint
            case encryptionPublicKey = "encryption_public_key"
            case signingPublicKey = "signing_public_key"
            case kemPublicKey = "kem_public_key"
            case pinnedAt = "pinned_at"
        }

        public func publicKeys() throws -> DevicePublicKeys {
            guard let encryption = Data(base64Encoded: encryptionPublicKey), let signing = Data(base64Encoded: signingPublicKey) else {
                throw DeviceClientError.storage("a pinned key is damaged")
            }
            var kem: [UInt8]?
            if let kemPublicKey {
                guard let data = Data(base64Encoded: kemPublicKey) else { throw DeviceClientError.storage("a pinned key is damaged") }
                kem = [UInt8](data)
            }
            let keys = try DevicePublicKeys(encryptionKey: [UInt8](encryption), signingKey: [UInt8](signing), kemKey: kem)
            guard keys.fingerprint.hex == fingerprint else { throw DeviceClientError.storage("a pinned key is damaged") }
            return keys
        }
    }

    public struct PinnedUser: Sendable, Hashable, Codable {
        public var handle: String
        public var keys: [PinnedKey]
    }

    public var users: [String: PinnedUser] = [:]

    public init() {}

    /// The user's active keys, all trusted: pinned now if the user is new to this device, or refused
    /// if any is not pinned. Each key's fingerprint is recomputed from its public keys, so a server
    /// cannot pair a key with another key's fingerprint.
    public mutating func trusted(_ user: UserKeys, at time: Date) throws -> [DevicePublicKeys] {
        let active = try user.keys.filter { $0.status == .active }.map(Self.checked)
        guard var pinned = users[user.userId.lowercased()] else {
            users[user.userId.lowercased()] = PinnedUser(handle: user.handle, keys: active.map { Self.pin($0, at: time) })
            return active.map(\.keys)
        }
        let known = Set(pinned.keys.map(\.fingerprint))
        let unverified = active.filter { !known.contains($0.keys.fingerprint.hex) }
        guard unverified.isEmpty else {
            throw DeviceClientError.keyChanged(handle: user.handle, unverified: unverified.map { $0.keys.fingerprint.readAloud.joined(separator: " ") })
        }
        pinned.handle = user.handle
        users[user.userId.lowercased()] = pinned
        return active.map(\.keys)
    }

    /// The pinned public keys with this fingerprint, if any user's pins hold it.
    public func pinnedKey(_ fingerprint: KeyFingerprint, of user: UserID) -> PinnedKey? {
        users[user.description]?.keys.first { $0.fingerprint == fingerprint.hex }
    }

    /// Whether the device has pinned anything for the user yet.
    public func knows(_ user: UserID) -> Bool { users[user.description] != nil }

    /// Pins the key of `user` whose fingerprint is `digits`: the six groups read aloud (spaces
    /// optional) or the 64 hex digits.
    public mutating func verify(_ user: UserKeys, fingerprint digits: String, at time: Date) throws -> KeyInfo {
        let given = digits.filter { !$0.isWhitespace && $0 != "-" }.lowercased()
        guard let key = user.keys.first(where: { $0.status == .active && ($0.fingerprintReadAloud.joined() == given || $0.fingerprint == given) }) else {
            throw DeviceClientError.fingerprintNotFound(handle: user.handle)
        }
        let checked = try Self.checked(key)
        var pinned = users[user.userId.lowercased()] ?? PinnedUser(handle: user.handle, keys: [])
        if !pinned.keys.contains(where: { $0.fingerprint == checked.keys.fingerprint.hex }) {
            pinned.keys.append(Self.pin(checked, at: time))
        }
        users[user.userId.lowercased()] = pinned
        return key
    }

    struct CheckedKey {
        var keys: DevicePublicKeys
        var info: KeyInfo
    }

    static func checked(_ key: KeyInfo) throws -> CheckedKey {
        let (raw, claimed) = try key.publicKeys()
        let keys = try DevicePublicKeys(encryptionKey: raw.encryption, signingKey: raw.signing, kemKey: raw.kem)
        guard keys.fingerprint == claimed else { throw DeviceClientError.unexpectedAnswer(status: 200) }
        return CheckedKey(keys: keys, info: key)
    }

    static func pin(_ key: CheckedKey, at time: Date) -> PinnedKey {
        PinnedKey(
            fingerprint: key.keys.fingerprint.hex, encryptionPublicKey: Data(key.keys.encryptionKey).base64EncodedString(),
            signingPublicKey: Data(key.keys.signingKey).base64EncodedString(), kemPublicKey: key.keys.kemKey.map { Data($0).base64EncodedString() },
            pinnedAt: time)
    }
}
