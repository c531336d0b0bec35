import Foundation

/// A typed UUID: `Identifier<Assignment>` and `Identifier<User>` cannot be mixed up, although both
/// are UUIDs on the wire and in the database.
///
/// The tag is a phantom type; only the UUID is stored, so every identifier is `Sendable` and
/// encodes as a plain UUID string.
public struct Identifier<Tag>: Hashable, Sendable, Codable, CustomStringConvertible {
    public let uuid: UUID

    public init(_ uuid: UUID) { self.uuid = uuid }

    /// Parses a UUID in its canonical textual form; `nil` for anything else.
    public init?(_ text: String) {
        guard let uuid = UUID(uuidString: text) else { return nil }
        self.uuid = uuid
    }

    /// Lowercase canonical form, as PostgreSQL prints it.
    public var description: String { uuid.uuidString.lowercased() }

    public init(from decoder: any Decoder) throws {
        uuid = try decoder.singleValueContainer().decode(UUID.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Phantom tags for the identifiers of each entity.
public enum OrganizationTag {}
public enum LocalAssociationTag {}
public enum UserTag {}
public enum DeviceKeyTag {}
public enum ContactTag {}
public enum AssignmentTag {}

public typealias OrganizationID = Identifier<OrganizationTag>
public typealias LocalAssociationID = Identifier<LocalAssociationTag>
public typealias UserID = Identifier<UserTag>
public typealias DeviceKeyID = Identifier<DeviceKeyTag>
public typealias ContactID = Identifier<ContactTag>
public typealias AssignmentID = Identifier<AssignmentTag>

extension UUID {
    /// A UUID from 16 bytes of a random source or a hash, with the version (4 for random, 5 for
    /// name-based) and variant bits set as RFC 9562 asks.
    public init(bytes: [UInt8], version: UInt8) {
        precondition(bytes.count >= 16, "a UUID is made of 16 bytes")
        var b = Array(bytes.prefix(16))
        b[6] = b[6] & 0x0f | (version << 4)
        b[8] = b[8] & 0x3f | 0x80
        self.init(uuid: (b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]))
    }
}
