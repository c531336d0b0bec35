import CSodium
import Foundation

/// A guarded region (`sodium_malloc`: guard pages, locked against swapping) that one sealer or
/// opener reuses for the secrets of each operation, wiped after every use.
///
/// Making and freeing such a region costs an mmap, three mprotects, an mlock, an munlock and an
/// munmap: 22 µs on these machines, as much as a third of what a seal or an open costs in
/// libsodium itself (docs/performance.md, "Envelope"). A workspace keeps its region between
/// operations, holding zeros: every byte an operation wrote is wiped with `sodium_memzero` before
/// the next one starts or the workspace goes away (`sodium_free` wipes it again), so a secret
/// lives no longer than it did in a region of its own. The region grows when an operation needs
/// more. An operation that finds the workspace busy (another thread is sealing with the same
/// sealer) gets a region of its own, as before, rather than waiting.
public final class GuardedWorkspace: @unchecked Sendable {
    // @unchecked Sendable: `pointer` and `capacity` are read and written only while `lock` is held.
    private let lock = NSLock()
    private var pointer: UnsafeMutableRawPointer?
    private var capacity = 0

    public init() {}

    deinit {
        if let pointer { sodium_free(pointer) }
    }

    /// Calls `body` with `count` zeroed guarded bytes, and wipes them afterwards, also when `body`
    /// throws.
    func withRegion<Result>(count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Result) throws -> Result {
        try Sodium.ready()
        guard lock.try() else {
            var result: Result?
            _ = try SecretBytes(count: count) { result = try body($0) }
            return result!
        }
        defer { lock.unlock() }
        let size = max(count, 1)
        if capacity < size {
            if let old = pointer { sodium_free(old) }
            pointer = nil
            capacity = 0
            guard let fresh = sodium_malloc(size) else { throw EnvelopeError.cryptoUnavailable }
            sodium_memzero(fresh, size)
            pointer = fresh
            capacity = size
        }
        let region = pointer!
        defer { sodium_memzero(region, size) }
        return try body(UnsafeMutableRawBufferPointer(start: region, count: count))
    }
}
