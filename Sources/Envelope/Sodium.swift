import AssignmentCore
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

    /// SHA-256 over data that arrives in pieces (a file or a response being streamed), in
    /// constant memory.
    public struct Hasher: Sendable {
        private var state = crypto_hash_sha256_state()

        public init() {
            crypto_hash_sha256_init(&state)
        }

        public mutating func update(_ bytes: some Collection<UInt8>) {
            let input = Array(bytes)
            input.withUnsafeBufferPointer { buffer in
                _ = crypto_hash_sha256_update(&state, buffer.baseAddress, UInt64(buffer.count))
            }
        }

        public mutating func finalize() -> [UInt8] {
            var output = [UInt8](repeating: 0, count: SHA256.byteCount)
            output.withUnsafeMutableBufferPointer { buffer in
                _ = crypto_hash_sha256_final(&state, buffer.baseAddress!)
            }
            return output
        }
    }

    /// Lowercase hex of the hash.
    public static func hexHash(_ bytes: some Collection<UInt8>) -> String {
        Hex.encode(hash(bytes))
    }
}
