import AssignmentCore
import Foundation
import Postgres

// How the domain's values are bound and read. Each decodes strictly: a value the code does not
// know is an error that says so (PostgresDecodable's RawRepresentable default), never a default.

extension Identifier: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { uuid.postgresValue }
    public init(postgresText text: String) throws { self.init(try UUID(postgresText: text)) }
}

extension AssignmentStatus: PostgresEncodable, PostgresDecodable {}
extension Priority: PostgresEncodable, PostgresDecodable {}
extension Role: PostgresEncodable, PostgresDecodable {}
extension UserStatus: PostgresEncodable, PostgresDecodable {}
extension DeviceKeyStatus: PostgresEncodable, PostgresDecodable {}
extension HonorariumRate.Kind: PostgresEncodable, PostgresDecodable {}
extension ErasureReason: PostgresEncodable, PostgresDecodable {}

/// Stored as `bytea`; anything but 32 bytes is an error, not a crash.
extension KeyFingerprint: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { .bytes(bytes) }
    public init(postgresText text: String) throws {
        guard let fingerprint = KeyFingerprint(bytes: try [UInt8](postgresText: text)) else {
            throw PostgresError(kind: .decoding, message: "a key fingerprint must be 32 bytes")
        }
        self = fingerprint
    }
}

/// Stored as `date` (the session's DateStyle is ISO, so it reads back as `2026-11-30`).
extension ErasureEpoch: PostgresEncodable, PostgresDecodable {
    public var postgresValue: PostgresValue { .text(description) }
    public init(postgresText text: String) throws {
        guard let epoch = ErasureEpoch(text) else { throw PostgresError(kind: .decoding, message: "expected a day such as 2026-11-30") }
        self = epoch
    }
}
