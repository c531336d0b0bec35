import AssignmentCore
import Contract
import Foundation

// The device speaks the contract's own types (Sources/Contract/openapi.yaml); these are the names
// the device code and the command line know them by. Nothing here restates a member: the shapes
// are generated.

/// The signed-in user (`GET /v1/me`).
public typealias UserInfo = Components.Schemas.User
/// A registered device key.
public typealias KeyInfo = Components.Schemas.DeviceKey
/// `GET /v1/users/{user}/keys`.
public typealias UserKeys = Components.Schemas.UserKeys
/// An assignment's metadata.
public typealias AssignmentInfo = Components.Schemas.Assignment
/// A page of the status overview, and one line of it.
public typealias OverviewPage = Components.Schemas.Overview
public typealias OverviewItem = Components.Schemas.OverviewEntry
/// The overview's filters and page position (`GET /v1/assignments?…`).
public typealias OverviewFilter = Operations.Overview.Input.Query
/// One entry of an assignment's history (`GET /v1/assignments/{id}/history`).
public typealias HistoryEntry = Components.Schemas.HistoryEntry
/// A peer mentor who could take an assignment over (`GET /v1/assignments/{id}/suggestions`).
public typealias Suggestion = Components.Schemas.Suggestion
/// A user's live calendar feed, and a feed just made with its address (the only answer that has it).
public typealias FeedInfo = Components.Schemas.Feed
public typealias FeedAddressInfo = Components.Schemas.IssuedFeed

/// What a device reports about an assignment it holds.
public enum ReceiptAction: String, Sendable, Hashable, Codable, CaseIterable {
    case consent, read, acknowledge, contact, complete
    /// The decryption receipt, sent each time the case is decrypted on this device.
    case opened
}

/// Two raw public keys, before the envelope layer has checked them.
public struct DevicePublicKeysValue: Sendable, Hashable {
    public var encryption: [UInt8]
    public var signing: [UInt8]
    public var kem: [UInt8]?
}

extension Components.Schemas.DeviceKey {
    /// The public keys, with the fingerprint the server gave with them (checked by ``KeyPins``).
    public func publicKeys() throws -> (keys: DevicePublicKeysValue, fingerprint: KeyFingerprint) {
        guard let encryption = Data(base64Encoded: encryptionPublicKey), let signing = Data(base64Encoded: signingPublicKey),
            let fingerprint = KeyFingerprint(hex: fingerprint)
        else { throw DeviceClientError.unexpectedAnswer(status: 200) }
        var kem: [UInt8]?
        if let kemPublicKey {
            guard let data = Data(base64Encoded: kemPublicKey) else { throw DeviceClientError.unexpectedAnswer(status: 200) }
            kem = [UInt8](data)
        }
        return (DevicePublicKeysValue(encryption: [UInt8](encryption), signing: [UInt8](signing), kem: kem), fingerprint)
    }
}

extension Components.Schemas.Assignment {
    /// The assignment's id as the domain's type.
    public var assignmentID: AssignmentID? { UUID(uuidString: id).map(AssignmentID.init) }
}

extension Components.Schemas.OverviewEntry {
    public var assignmentID: AssignmentID? { UUID(uuidString: id).map(AssignmentID.init) }
}

/// An id in an answer, as the domain's type; an answer whose id is not a UUID is not one this
/// client understands.
func answerID<Tag>(_ text: String) throws -> Identifier<Tag> {
    guard let uuid = UUID(uuidString: text) else { throw DeviceClientError.unexpectedAnswer(status: 200) }
    return Identifier<Tag>(uuid)
}
