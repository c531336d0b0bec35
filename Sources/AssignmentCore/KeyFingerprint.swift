/// The SHA-256 fingerprint of a device's public keys (computed by the Envelope layer).
///
/// Shown three ways: lowercase hex (the stored and exchanged form, as the seeds say), hex in groups
/// of four for reading on a screen, and ``readAloud``: six groups of five digits, short enough to
/// read over the phone when a coordinator verifies a peer mentor's new device.
public struct KeyFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    public static let byteCount = 32

    public let bytes: [UInt8]

    /// `nil` unless exactly 32 bytes are given.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// Parses 64 hexadecimal digits (either case); `nil` for anything else.
    public init?(hex: String) {
        guard let bytes = Hex.decode(hex), bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// 64 lowercase hexadecimal digits.
    public var hex: String { Hex.encode(bytes) }

    public var description: String { hex }

    /// The hex form in sixteen groups of four, separated by spaces.
    public var groupedHex: String {
        let hex = Array(self.hex)
        return stride(from: 0, to: hex.count, by: 4).map { String(hex[$0..<$0 + 4]) }.joined(separator: " ")
    }

    /// Six groups of five decimal digits, derived from the first 30 bytes: each group is a 5-byte
    /// big-endian number modulo 100 000. About 99 bits: enough to notice a substituted key, short
    /// enough to read aloud. Both sides compute it from the fingerprint they hold and compare.
    public var readAloud: [String] {
        (0..<6).map { group in
            var value: UInt64 = 0
            for byte in bytes[(group * 5)..<(group * 5 + 5)] {
                value = value << 8 | UInt64(byte)
            }
            let digits = String(value % 100_000)
            return String(repeating: "0", count: 5 - digits.count) + digits
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let value = KeyFingerprint(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a key fingerprint is 64 hexadecimal digits"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
