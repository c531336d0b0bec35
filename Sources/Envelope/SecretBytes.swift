import CSodium

/// Key material in memory that libsodium guards and wipes.
///
/// The bytes live in `sodium_malloc` memory (guard pages, locked against swapping where the system
/// allows) and are zeroed by `sodium_free` when the last reference goes away. Secrets are written
/// straight into this memory by the C calls that make them, so no copy is left behind in an array.
public final class SecretBytes: @unchecked Sendable {
    // Sendable: the pointer is fixed for the object's life and writes happen only while the object
    // is being made (inside the initialisers of this module), before it is shared.
    private let pointer: UnsafeMutableRawPointer
    public let count: Int

    /// Allocates `count` zeroed bytes and lets `fill` write the secret into them. When `fill`
    /// throws, the memory is wiped and freed here, before `self` exists (so `deinit` cannot free it
    /// a second time).
    init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        try Sodium.ready()
        guard let pointer = sodium_malloc(max(count, 1)) else { throw EnvelopeError.cryptoUnavailable }
        sodium_memzero(pointer, max(count, 1))
        do {
            try fill(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            sodium_free(pointer)
            throw error
        }
        self.pointer = pointer
        self.count = count
    }

    /// Fresh random bytes from `random`.
    public convenience init(randomCount count: Int, from random: any RandomSource) throws {
        try self.init(count: count) { random.fill($0) }
    }

    /// Copies the UTF-8 bytes of a passphrase into guarded memory. The caller's `String` cannot be
    /// wiped (Swift strings are immutable values), so passphrases should be read straight into
    /// ``SecretBytes`` where possible; see `PassphraseReader` in the command-line tool.
    public convenience init(utf8 text: String) throws {
        let bytes = Array(text.utf8)
        try self.init(count: bytes.count) { buffer in
            buffer.copyBytes(from: bytes)
        }
    }

    /// Copies `bytes` into guarded memory (used for seeds read from a test vector or a keystore).
    public convenience init(copying bytes: some Collection<UInt8>) throws {
        let array = Array(bytes)
        try self.init(count: array.count) { buffer in buffer.copyBytes(from: array) }
    }

    deinit {
        sodium_free(pointer)
    }

    /// Read access for the C calls that use the secret. Do not let the pointer escape.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    var unsafePointer: UnsafePointer<UInt8> { UnsafePointer(pointer.assumingMemoryBound(to: UInt8.self)) }

    /// Whether `other` holds the same bytes (compared in constant time when the lengths agree).
    func hasSameBytes(as other: SecretBytes) -> Bool {
        count == other.count && sodium_memcmp(pointer, other.pointer, count) == 0
    }
}
