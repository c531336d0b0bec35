import AssignmentCore
import Envelope
import Foundation
import Testing

@Suite("Erasure keyring")
struct ErasureKeyringTests {
    func path() -> String { NSTemporaryDirectory() + "dispatch-keyring-\(UUID().uuidString)/erasure.keyring" }
    let day = ErasureEpoch(containing: Date(timeIntervalSince1970: 1_795_000_000))
    let context = SealedKeyContext(assignment: UUID(), recipientFingerprint: Array(repeating: 7, count: 32))
    let sealedKey = (0..<80).map { UInt8($0) }

    @Test("a key is made once per day, even by two keyrings on one file at once, and each finds the other's")
    func oneKeyPerDay() async throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path) }
        let first = try ErasureKeyring(path: file)
        let second = try ErasureKeyring(path: file)
        let wrapped = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, keyring) in [first, second].enumerated() {
                group.addTask { (index, try keyring.wrap(sealedKey, for: context, epoch: day)) }
            }
            return try await group.reduce(into: [Int: [UInt8]]()) { $0[$1.0] = $1.1 }
        }
        #expect(try first.unwrap(wrapped[1]!, for: context, epoch: day) == sealedKey, "one key: each unwraps what the other wrapped")
        #expect(try second.unwrap(wrapped[0]!, for: context, epoch: day) == sealedKey)
        #expect(try first.epochs() == [day] && second.epochs() == [day])
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2, "the header and one day")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
    }

    @Test("a wrapped key is bound to its assignment, recipient and day; changed bytes are refused")
    func binding() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path) }
        let keyring = try ErasureKeyring(path: file)
        let wrapped = try keyring.wrap(sealedKey, for: context, epoch: day)
        #expect(wrapped.count == 8 + 24 + 80 + 16)
        #expect(!Data(wrapped).contains(Data(sealedKey)))
        let elsewhere = SealedKeyContext(assignment: UUID(), recipientFingerprint: context.recipientFingerprint)
        #expect(throws: EnvelopeError.sealedKeyWrapInvalid) { try keyring.unwrap(wrapped, for: elsewhere, epoch: day) }
        var flipped = wrapped
        flipped[40] ^= 1
        #expect(throws: EnvelopeError.sealedKeyWrapInvalid) { try keyring.unwrap(flipped, for: context, epoch: day) }
        #expect(throws: EnvelopeError.erasureKeyMissing(epoch: "2026-11-19")) {
            try keyring.unwrap(wrapped, for: context, epoch: ErasureEpoch(day: day.day + 1))
        }
        #expect(throws: EnvelopeError.sealedKeyWrapInvalid) { try keyring.unwrap(Array(wrapped.prefix(20)), for: context, epoch: day) }
    }

    @Test("destroying a day's key: every keyring on the file loses it, its wrapped keys open nothing, and a new key that day is another key")
    func destroy() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path) }
        let first = try ErasureKeyring(path: file)
        let second = try ErasureKeyring(path: file)
        let wrapped = try first.wrap(sealedKey, for: context, epoch: day)
        let before = try String(contentsOfFile: file, encoding: .utf8)
        #expect(try second.unwrap(wrapped, for: context, epoch: day) == sealedKey)
        #expect(try first.destroy([day, ErasureEpoch(day: 1)]) == [day], "only what was there")
        #expect(try second.epochs().isEmpty, "the other keyring re-reads the file")
        #expect(throws: EnvelopeError.erasureKeyMissing(epoch: day.description)) { try second.unwrap(wrapped, for: context, epoch: day) }
        let hex = String(before.split(separator: "\n")[1].split(separator: " ")[1])
        #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains(hex))
        _ = try second.wrap(sealedKey, for: context, epoch: day)
        #expect(throws: EnvelopeError.erasureKeyMissing(epoch: day.description)) { try first.unwrap(wrapped, for: context, epoch: day) }
    }

    @Test("a damaged or too open keyring file is refused with a clear error, and left as it was")
    func damaged() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: file).deletingLastPathComponent().path) }
        _ = try ErasureKeyring(path: file)
        for (text, reason) in [
            ("something else\n", "does not start with"), ("assignment-dispatch erasure keyring 1\n2026-11-18 abcd\n", "line 2"),
            ("assignment-dispatch erasure keyring 1\n2026-13-01 \(String(repeating: "00", count: 32))\n", "line 2"),
        ] {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            chmod(file, 0o600)
            let error = try #require(throws: EnvelopeError.self) { try ErasureKeyring(path: file) }
            #expect(error.description.contains(reason), "\(error)")
            #expect(try String(contentsOfFile: file, encoding: .utf8) == text)
        }
        try Data("assignment-dispatch erasure keyring 1\n".utf8).write(to: URL(fileURLWithPath: file))
        chmod(file, 0o644)
        let open = try #require(throws: EnvelopeError.self) { try ErasureKeyring(path: file) }
        #expect(open.description.contains("chmod 600"))
    }
}
