import AssignmentCore
import CSodium
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The erasure keys: one 32-byte key per ``ErasureEpoch`` (a UTC day), in a file beside the server
/// key, never in PostgreSQL (`docs/security.md`, "Erasure").
///
/// The server stores every sealed key only wrapped under the key of the day it was stored
/// (XChaCha20-Poly1305, bound to the assignment, the recipient and the day), and unwraps it in
/// memory when it hands the envelope out. The key sweep destroys a day's key once nothing sealed
/// that day is still live; from then on every copy of those wrapped keys, in the WAL, in archives
/// and in backups, opens nothing.
///
/// The file (mode 0600, replaced atomically) is shared by every process on the database, like
/// the server key: a day's key is made under an exclusive lock on `<file>.lock` after re-reading
/// the file, so two servers never make two keys for one day, and a process re-reads the file
/// whenever it changed, so a key another process made is found and a destroyed one is gone from
/// memory at the next use. Format, one line each:
///
/// ```
/// assignment-dispatch erasure keyring 1
/// 2026-11-30 <64 hex digits>
/// ```
public final class ErasureKeyring: @unchecked Sendable {
    // @unchecked: `state` is only touched under `lock`.
    public let path: String
    private let random: any RandomSource
    private let lock = NSLock()
    private var state = State(keys: [:], stamp: nil)

    static let header = "assignment-dispatch erasure keyring 1"
    static let keyByteCount = 32
    /// Names a key inside a wrapped sealed key, so that a key made anew for a day (after the
    /// keyring was lost) is told apart from the one that wrapped it.
    public static let keyIDByteCount = 8
    static let nonceByteCount = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    static let tagByteCount = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    /// Enough for 30 years of days.
    static let maximumEpochs = 11_000

    private struct State {
        var keys: [ErasureEpoch: SecretBytes]
        var stamp: FileStamp?
    }

    /// What identifies one version of the file: a replaced file has a new inode.
    private struct FileStamp: Equatable {
        var inode: UInt64
        var modified: Int
        var size: Int
    }

    /// Opens the keyring at `path`, creating an empty one (mode 0600) when there is none.
    public init(path: String, random: any RandomSource = SystemRandomSource()) throws {
        self.path = path
        self.random = random
        do {
            _ = try PrivateFile.create(Array((Self.header + "\n").utf8), at: path)
        } catch let error as PrivateFileError {
            throw EnvelopeError.erasureKeyringUnusable(path: path, reason: error.reason)
        }
        try lock.withLock { try reloadIfChanged() }
    }

    /// The days the keyring holds a key for, oldest first.
    public func epochs() throws -> [ErasureEpoch] {
        try lock.withLock {
            try reloadIfChanged()
            return state.keys.keys.sorted()
        }
    }

    // MARK: Wrapping

    /// Wraps a sealed key for storage, under the key of `epoch` (made if the keyring has none yet):
    /// the key's 8-byte id, a 24-byte random nonce, then the XChaCha20-Poly1305 ciphertext and tag.
    public func wrap(_ sealedKey: [UInt8], for context: SealedKeyContext, epoch: ErasureEpoch) throws -> [UInt8] {
        let key = try keyForSealing(epoch)
        var nonce = [UInt8](repeating: 0, count: Self.nonceByteCount)
        nonce.withUnsafeMutableBytes { random.fill($0) }
        let associatedData = context.associatedData(epoch: epoch)
        var output = [UInt8](repeating: 0, count: sealedKey.count + Self.tagByteCount)
        var length: UInt64 = 0
        _ = output.withUnsafeMutableBufferPointer { out in
            crypto_aead_xchacha20poly1305_ietf_encrypt(
                out.baseAddress!, &length, sealedKey, UInt64(sealedKey.count), associatedData, UInt64(associatedData.count), nil, nonce, key.unsafePointer)
        }
        return Self.keyID(of: key) + nonce + output.prefix(Int(length))
    }

    /// The sealed key inside `wrapped`. Throws ``EnvelopeError/erasureKeyMissing(epoch:)`` when the
    /// keyring has no key for `epoch` (destroyed, or the file was lost), and
    /// ``EnvelopeError/sealedKeyWrapInvalid`` when the wrapped bytes were changed or moved.
    public func unwrap(_ wrapped: [UInt8], for context: SealedKeyContext, epoch: ErasureEpoch) throws -> [UInt8] {
        guard wrapped.count > Self.keyIDByteCount + Self.nonceByteCount + Self.tagByteCount else { throw EnvelopeError.sealedKeyWrapInvalid }
        guard let key = try key(for: epoch), Self.keyID(of: key) == Array(wrapped.prefix(Self.keyIDByteCount)) else {
            throw EnvelopeError.erasureKeyMissing(epoch: epoch.description)
        }
        let nonce = Array(wrapped.dropFirst(Self.keyIDByteCount).prefix(Self.nonceByteCount))
        let ciphertext = Array(wrapped.dropFirst(Self.keyIDByteCount + Self.nonceByteCount))
        let associatedData = context.associatedData(epoch: epoch)
        var output = [UInt8](repeating: 0, count: ciphertext.count - Self.tagByteCount)
        var length: UInt64 = 0
        let status = output.withUnsafeMutableBufferPointer { out in
            crypto_aead_xchacha20poly1305_ietf_decrypt(
                out.baseAddress!, &length, nil, ciphertext, UInt64(ciphertext.count), associatedData, UInt64(associatedData.count), nonce, key.unsafePointer)
        }
        guard status == 0 else { throw EnvelopeError.sealedKeyWrapInvalid }
        return Array(output.prefix(Int(length)))
    }

    /// Whether the keyring holds the very key `keyID` names for `epoch` (`dispatch up` asks this of
    /// every day with live sealed keys).
    public func holds(_ epoch: ErasureEpoch, keyID: [UInt8]) throws -> Bool {
        guard let key = try key(for: epoch) else { return false }
        return Self.keyID(of: key) == keyID
    }

    static func keyID(of key: SecretBytes) -> [UInt8] {
        Array(HMACSHA256.authenticate(Array("dispatch.erasure-key-id.v1".utf8), keyBytes: key).prefix(keyIDByteCount))
    }

    // MARK: Keys

    /// The key of `epoch`, or `nil` when the keyring (as the file says now) has none.
    func key(for epoch: ErasureEpoch) throws -> SecretBytes? {
        try lock.withLock {
            try reloadIfChanged()
            return state.keys[epoch]
        }
    }

    /// The key of `epoch`, made and written to the file first if there is none.
    func keyForSealing(_ epoch: ErasureEpoch) throws -> SecretBytes {
        if let key = try key(for: epoch) { return key }
        return try lock.withLock {
            try withFileLock {
                state.stamp = nil
                try reloadIfChanged()
                if let key = state.keys[epoch] { return key }
                var keys = state.keys
                keys[epoch] = try SecretBytes(randomCount: Self.keyByteCount, from: random)
                try write(keys)
                return keys[epoch]!
            }
        }
    }

    /// Destroys the keys of `epochs`: the file is rewritten without them and the old file's bytes
    /// are overwritten with zeros (best effort: a journaling or copy-on-write file system may keep
    /// old blocks, and backups of this file keep what they hold: keep it out of database backups).
    /// Returns the epochs whose key was there.
    @discardableResult
    public func destroy(_ epochs: [ErasureEpoch]) throws -> [ErasureEpoch] {
        try lock.withLock {
            try withFileLock {
                state.stamp = nil
                try reloadIfChanged()
                let present = epochs.filter { state.keys[$0] != nil }
                guard !present.isEmpty else { return [] }
                var keys = state.keys
                for epoch in present { keys[epoch] = nil }
                let old = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
                defer { if old >= 0 { close(old) } }
                try write(keys)
                if old >= 0 {
                    var info = stat()
                    if fstat(old, &info) == 0, info.st_size > 0 {
                        let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                        _ = zeros.withUnsafeBytes { Glibc.pwrite(old, $0.baseAddress!, $0.count, 0) }
                        fsync(old)
                    }
                }
                return present
            }
        }
    }

    // MARK: The file

    /// Re-reads the file when it is not the one last read. Call with `lock` held.
    private func reloadIfChanged() throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { throw EnvelopeError.erasureKeyringUnusable(path: path, reason: "it does not exist (it was removed while the server ran)") }
            throw EnvelopeError.erasureKeyringUnusable(path: path, reason: String(cString: strerror(errno)))
        }
        let stamp = FileStamp(inode: UInt64(info.st_ino), modified: Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec), size: Int(info.st_size))
        guard stamp != state.stamp else { return }
        state = State(keys: try read(), stamp: stamp)
    }

    private func read() throws -> [ErasureEpoch: SecretBytes] {
        var bytes: [UInt8]
        do {
            bytes = try PrivateFile.read(at: path, maximumBytes: (Self.header.utf8.count + 1) + Self.maximumEpochs * 76)
        } catch let error as PrivateFileError {
            throw EnvelopeError.erasureKeyringUnusable(path: path, reason: error.reason)
        }
        defer { sodium_memzero(&bytes, bytes.count) }
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: true)
        guard let first = lines.first, String(decoding: first, as: UTF8.self) == Self.header else {
            throw EnvelopeError.erasureKeyringUnusable(path: path, reason: "it does not start with the line '\(Self.header)'")
        }
        lines.removeFirst()
        var keys: [ErasureEpoch: SecretBytes] = [:]
        for (index, line) in lines.enumerated() {
            let fields = line.split(separator: UInt8(ascii: " "))
            guard fields.count == 2, let epoch = ErasureEpoch(String(decoding: fields[0], as: UTF8.self)), fields[1].count == 2 * Self.keyByteCount,
                var key = Hex.decode(String(decoding: fields[1], as: UTF8.self)), keys[epoch] == nil
            else {
                throw EnvelopeError.erasureKeyringUnusable(path: path, reason: "line \(index + 2) is not a day and a 64-digit key, or repeats a day")
            }
            defer { sodium_memzero(&key, key.count) }
            keys[epoch] = try SecretBytes(copying: key)
        }
        return keys
    }

    private func write(_ keys: [ErasureEpoch: SecretBytes]) throws {
        var text = Array((Self.header + "\n").utf8)
        for epoch in keys.keys.sorted() {
            text += Array("\(epoch) ".utf8)
            keys[epoch]!.withUnsafeBytes { text += Array(Hex.encode(Array($0)).utf8) }
            text.append(UInt8(ascii: "\n"))
        }
        defer { sodium_memzero(&text, text.count) }
        do {
            try PrivateFile.write(text, to: path)
        } catch let error as PrivateFileError {
            throw EnvelopeError.erasureKeyringUnusable(path: path, reason: error.reason)
        }
        state.stamp = nil
        try reloadIfChanged()
    }

    /// Serialises changes between processes (and the threads of this one, through `lock`).
    private func withFileLock<Result>(_ body: () throws -> Result) throws -> Result {
        let descriptor = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw EnvelopeError.erasureKeyringUnusable(path: path, reason: "cannot open its lock file: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw EnvelopeError.erasureKeyringUnusable(path: path, reason: "cannot lock it") }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// What a wrapped sealed key is bound to, so that it cannot be moved to another assignment or
/// recipient (or day) and still unwrap.
public struct SealedKeyContext: Sendable, Hashable {
    public var assignment: UUID
    public var recipientFingerprint: [UInt8]

    public init(assignment: UUID, recipientFingerprint: [UInt8]) {
        self.assignment = assignment
        self.recipientFingerprint = recipientFingerprint
    }

    func associatedData(epoch: ErasureEpoch) -> [UInt8] {
        Array("dispatch.sealed-key-wrap.v1\n\(assignment.uuidString.lowercased())\n\(epoch)\n".utf8) + recipientFingerprint
    }
}
