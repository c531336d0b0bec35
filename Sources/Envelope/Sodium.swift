import CSodium

/// libsodium's one-time initialisation. Every public entry point of this module that calls
/// libsodium goes through ``ready()`` first; `sodium_init` is idempotent and thread-safe, and the
/// static stores its first result.
enum Sodium {
    private static let initialization: Int32 = sodium_init()

    /// Initialises libsodium if needed; fails only when the system offers no secure randomness.
    static func ready() throws {
        guard initialization >= 0 else { throw EnvelopeError.cryptoUnavailable }
    }
}

/// SHA-256 (libsodium's `crypto_hash_sha256`).
public enum SHA256 {
    public static let byteCount = 32

    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        let input = Array(bytes)
        _ = input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                crypto_hash_sha256(outputBuffer.baseAddress!, inputBuffer.baseAddress, UInt64(inputBuffer.count))
            }
        }
        return output
    }

    /// Lowercase hex of the hash.
    public static func hexHash(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(hash(bytes))
    }
}

/// Hexadecimal encoding for keys, hashes and test vectors.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `nil` unless the text is an even number of hexadecimal digits.
    public static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
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
