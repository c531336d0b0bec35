import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Why a private file could not be used.
public enum PrivateFileError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(path: String)
    case notOwned(path: String)
    case tooOpen(path: String, mode: UInt16)
    case unusable(path: String, reason: String)

    public var reason: String {
        switch self {
        case .missing: "it does not exist"
        case .notOwned: "it belongs to another user"
        case .tooOpen(let path, let mode): "other users can read it (mode \(String(mode, radix: 8))); run chmod 600 \(path)"
        case .unusable(_, let reason): reason
        }
    }

    public var description: String {
        switch self {
        case .missing(let path), .notOwned(let path), .tooOpen(let path, _), .unusable(let path, _): "Cannot use \(path): \(reason)."
        }
    }
}

/// Files only their owner may read: keystores, the server key, a device's session and cache.
///
/// Reading checks the open descriptor itself (a regular file, owned by this user, no permission
/// bits for group or others), so a file swapped between a check and the read is still caught.
/// Writing goes to a 0600 temporary file in the same folder (made 0700 if new), is synced, and is
/// renamed into place, so a crash never leaves half a file.
public enum PrivateFile {
    public static func read(at path: String, maximumBytes: Int) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT { throw PrivateFileError.missing(path: path) }
            throw PrivateFileError.unusable(path: path, reason: String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw PrivateFileError.unusable(path: path, reason: String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw PrivateFileError.unusable(path: path, reason: "it is not a regular file") }
        guard info.st_uid == geteuid() else { throw PrivateFileError.notOwned(path: path) }
        let mode = UInt16(info.st_mode & 0o777)
        guard mode & 0o077 == 0 else { throw PrivateFileError.tooOpen(path: path, mode: mode) }
        var bytes = [UInt8](repeating: 0, count: maximumBytes + 1)
        var total = 0
        while total < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + total, $0.count - total) }
            if count < 0 { throw PrivateFileError.unusable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            total += count
        }
        return Array(bytes.prefix(total))
    }

    public static func write(_ bytes: [UInt8], to path: String) throws {
        _ = try write(bytes, to: path, replacing: true)
    }

    /// Writes the file only if there is none yet (an exclusive link of the finished temporary
    /// file, so two processes creating it at once cannot both win). Returns `false` when a file was
    /// already there; it is left as it is.
    public static func create(_ bytes: [UInt8], at path: String) throws -> Bool {
        try write(bytes, to: path, replacing: false)
    }

    private static func write(_ bytes: [UInt8], to path: String, replacing: Bool) throws -> Bool {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw PrivateFileError.unusable(path: path, reason: "cannot create the folder \(folder)")
            }
        }
        let temporary = folder + "/." + url.lastPathComponent + ".\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw PrivateFileError.unusable(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        let written = bytes.isEmpty ? 0 : bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
        if written != bytes.count { failure = "the disk did not take the whole file" }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        var created = true
        if failure == nil {
            if replacing {
                if rename(temporary, path) != 0 { failure = String(cString: strerror(errno)) }
            } else {
                if link(temporary, path) != 0 {
                    if errno == EEXIST { created = false } else { failure = String(cString: strerror(errno)) }
                }
                unlink(temporary)
            }
        }
        if let failure {
            unlink(temporary)
            throw PrivateFileError.unusable(path: path, reason: failure)
        }
        return created
    }

    /// Overwrites the file with zeros before removing it (best effort: a journaling or
    /// copy-on-write file system may keep old blocks; the contents are ciphertext anyway).
    public static func remove(at path: String) {
        let descriptor = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        if descriptor >= 0 {
            var info = stat()
            if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 {
                let zeros = [UInt8](repeating: 0, count: Int(info.st_size))
                _ = zeros.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress!, $0.count) }
                fsync(descriptor)
            }
            close(descriptor)
        }
        unlink(path)
    }
}
