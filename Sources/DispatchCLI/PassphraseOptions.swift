import ArgumentParser
import Envelope
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where a passphrase comes from: the terminal (typed without echo), a file, or standard input.
///
/// The bytes are read into a buffer that is wiped after they have been copied into
/// ``SecretBytes``; the passphrase is never held in a `String`.
struct PassphraseOptions: ParsableArguments {
    @Option(help: "Read the passphrase from the first line of this file (keep it private).")
    var passphraseFile: String?

    @Flag(help: "Read the passphrase from the first line of standard input.")
    var passphraseStdin = false

    static let maximumBytes = 1024

    func read(confirming: Bool) throws -> SecretBytes {
        if passphraseFile != nil, passphraseStdin {
            throw ValidationError("Give either --passphrase-file or --passphrase-stdin, not both.")
        }
        if let passphraseFile {
            let descriptor = open(passphraseFile, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw ValidationError("Cannot read the passphrase file \(passphraseFile): \(String(cString: strerror(errno))).")
            }
            defer { close(descriptor) }
            return try readLine(from: descriptor)
        }
        if passphraseStdin { return try readLine(from: STDIN_FILENO) }
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("There is no terminal to ask for the passphrase. Use --passphrase-file or --passphrase-stdin.")
        }
        let first = try prompt("Passphrase: ")
        guard confirming else { return first }
        let second = try prompt("Passphrase again: ")
        let same = first.count == second.count && first.withUnsafeBytes { a in
            second.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
        guard same else { throw ValidationError("The two passphrases differ. Nothing was written.") }
        return first
    }

    /// Asks on standard error with echo off, restoring the terminal afterwards.
    private func prompt(_ text: String) throws -> SecretBytes {
        FileHandle.standardError.write(Data(text.utf8))
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return try readLine(from: STDIN_FILENO)
    }

    /// Reads up to the first line break (not included) into a wiped buffer.
    private func readLine(from descriptor: Int32) throws -> SecretBytes {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.maximumBytes + 1, alignment: 1)
        defer {
            memset(buffer.baseAddress!, 0, buffer.count)
            buffer.deallocate()
        }
        var length = 0
        var byte: UInt8 = 0
        while length <= Self.maximumBytes {
            let count = Glibc.read(descriptor, &byte, 1)
            if count < 0, errno == EINTR { continue }
            if count <= 0 || byte == UInt8(ascii: "\n") { break }
            buffer[length] = byte
            length += 1
        }
        byte = 0
        if length > 0, buffer[length - 1] == UInt8(ascii: "\r") { length -= 1 }
        guard length <= Self.maximumBytes else { throw ValidationError("The passphrase is longer than \(Self.maximumBytes) bytes.") }
        guard length > 0 else { throw ValidationError("The passphrase is empty.") }
        return try SecretBytes(copying: UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
    }
}
