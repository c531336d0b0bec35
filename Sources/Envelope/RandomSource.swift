import AssignmentCore
import CSodium
import Foundation

/// Where keys, nonces and ephemeral keys get their randomness. Production code uses
/// ``SystemRandomSource``; the known-answer test replays fixed bytes through ``ReplayRandomSource``
/// so that sealing becomes deterministic and its output can be compared byte for byte.
public protocol RandomSource: Sendable {
    /// Fills the buffer with random bytes.
    func fill(_ buffer: UnsafeMutableRawBufferPointer)
}

/// libsodium's `randombytes_buf`: the operating system's secure random generator.
public struct SystemRandomSource: RandomSource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        precondition(sodium_init() >= 0, "libsodium could not be initialised")
        randombytes_buf(base, buffer.count)
    }
}

/// Hands out a fixed sequence of bytes, in order, and stops the program if asked for more than it
/// holds. For known-answer tests only: it makes every "random" value of a seal reproducible.
public final class ReplayRandomSource: RandomSource, @unchecked Sendable {
    // Sendable: all state is behind `lock`.
    private let lock = NSLock()
    private let bytes: [UInt8]
    private var offset = 0

    public init(bytes: [UInt8]) { self.bytes = bytes }

    public var remaining: Int { lock.withLock { bytes.count - offset } }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        lock.withLock {
            precondition(offset + buffer.count <= bytes.count, "ReplayRandomSource ran out of bytes")
            buffer.copyBytes(from: bytes[offset..<(offset + buffer.count)])
            offset += buffer.count
        }
    }
}

/// A reproducible stream of bytes from a seed (libsodium's `randombytes_buf_deterministic`, keyed by
/// SHA-256 of the seed and a call counter). For the demo data set only, whose reports must come out
/// byte for byte the same on every run; never for keys that protect anything.
public final class SeededRandomSource: RandomSource, @unchecked Sendable {
    // Sendable: all state is behind `lock`.
    private let lock = NSLock()
    private let seed: [UInt8]
    private var counter: UInt64 = 0

    public init(seed: String) { self.seed = Array(seed.utf8) }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let key = lock.withLock {
            counter += 1
            return SHA256.hash(seed + withUnsafeBytes(of: counter.bigEndian, Array.init))
        }
        precondition(sodium_init() >= 0, "libsodium could not be initialised")
        key.withUnsafeBufferPointer { randombytes_buf_deterministic(base, buffer.count, $0.baseAddress!) }
    }

    /// A version 4 UUID from the stream.
    public func uuid() -> UUID {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeMutableBytes { fill($0) }
        return UUID(bytes: bytes, version: 4)
    }
}
