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
        let utf8 = Array(hex.utf8)
        guard utf8.count == Self.byteCount * 2 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        var index = 0
        while index < utf8.count {
            guard let high = Self.nibble(utf8[index]), let low = Self.nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self.bytes = bytes
    }

    /// 64 lowercase hexadecimal digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

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

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
