import AssignmentCore
import Envelope
import Foundation
import Testing

/// A small seedable generator (SplitMix64), so that a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated input never crashes the parser, the verifier, the opener or the keystore
/// reader: each either succeeds or throws an `EnvelopeError`.
@Suite("Hostile input")
struct HostileInputTests {
    @Test("random bytes and mutated envelopes only ever throw EnvelopeError")
    func envelopeFuzz() throws {
        var random = SplitMix64(state: 0x5EED_0001)
        let sender = try DeviceKeyPair.generate()
        let recipient = try DeviceKeyPair.generate()
        let valid = try EnvelopeSealer().seal(
            payload: Array("fuzz".utf8), assignmentID: UUID(), organizationID: UUID(), sender: sender, recipients: [recipient.publicKeys])
        let bytes = valid.serialized
        var opened = 0
        for round in 0..<3000 {
            var input: [UInt8]
            switch round % 4 {
            case 0:
                input = (0..<Int.random(in: 0...600, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if round % 8 == 0, input.count >= 6 { input.replaceSubrange(0..<6, with: Array("ADE1".utf8) + [1, 1]) }
            case 1:
                input = bytes
                for _ in 0..<Int.random(in: 1...8, using: &random) {
                    input[Int.random(in: 0..<input.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
            case 2:
                input = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            default:
                input = bytes
                input.insert(contentsOf: (0..<Int.random(in: 1...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) },
                             at: Int.random(in: 0...input.count, using: &random))
            }
            // Two changes at one offset can cancel out; an unchanged envelope rightly opens.
            if input == bytes { continue }
            do {
                let envelope = try AssignmentEnvelope.parse(input)
                _ = try EnvelopeOpener.open(envelope, recipient: recipient, sender: sender.publicKeys, assignmentID: valid.assignmentID, organizationID: valid.organizationID)
                opened += 1
            } catch is EnvelopeError {
                continue
            }
        }
        #expect(opened == 0, "a changed envelope opened")
    }

    @Test("random keystore files only ever throw EnvelopeError")
    func keystoreFuzz() throws {
        var random = SplitMix64(state: 0x5EED_0002)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keystore-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("device.keystore").path
        let passphrase = try SecretBytes(utf8: "fuzzing passphrase")
        try Keystore.create(at: path, keys: try DeviceKeyPair.generate(), passphrase: passphrase, hardness: .testingOnly)
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        for round in 0..<200 {
            var bytes = original
            if round % 2 == 0 {
                bytes = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if round % 4 == 0, bytes.count >= 6 { bytes.replaceSubrange(0..<6, with: Array("ADK1".utf8) + [1, 1]) }
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: EnvelopeError.self) { try Keystore.unlock(at: path, passphrase: passphrase) }
        }
    }
}
