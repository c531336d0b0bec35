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
