import Foundation

/// How many mutations a fuzz test tries: DISPATCH_FUZZ_ITERATIONS, or 3,000.
public enum FuzzIterations {
    public static let value = ProcessInfo.processInfo.environment["DISPATCH_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 3000
}

/// A small, fast generator with a fixed seed (SplitMix64), so a run can be replayed.
public struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutations for fuzzing: of JSON text (a character changed, removed or doubled, a cut, or a
/// JSON-shaped token inserted) and of binary files (flipped bits, a cut, inserted or repeated
/// bytes, a field overwritten, or random bytes).
public enum Mutation {
    static let tokens = ["null", "true", "-1", "1e309", "\"\"", "{}", "[]", "\"\\u0000\"", "9999999999999999999999", "\"2026-02-30\"", "0.5", ",", ":", "\""]

    /// One mutation of JSON text.
    public static func json(_ bytes: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return bytes }
        let at = Int.random(in: 0..<bytes.count, using: &generator)
        switch Int.random(in: 0..<5, using: &generator) {
        case 0: bytes[at] = UInt8.random(in: 0x20...0x7e, using: &generator)
        case 1: bytes.remove(at: at)
        case 2: bytes.insert(bytes[at], at: at)
        case 3: bytes = Array(bytes.prefix(at))
        default: bytes.insert(contentsOf: Array(tokens[Int.random(in: 0..<tokens.count, using: &generator)].utf8), at: at)
        }
        return bytes
    }

    /// One mutation of `bytes`: flipped bits, a cut, inserted or repeated bytes, or a field overwritten.
    public static func binary(_ bytes: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = bytes
        switch Int.random(in: 0..<6, using: &generator) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8(1 << Int.random(in: 0..<8, using: &generator))
            }
        case 1:
            bytes = Array(bytes.prefix(Int.random(in: 0..<max(1, bytes.count), using: &generator)))
        case 2:
            let at = Int.random(in: 0...bytes.count, using: &generator)
            bytes.insert(contentsOf: (0..<Int.random(in: 1...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }, at: at)
        case 3:
            let start = Int.random(in: 0..<max(1, bytes.count), using: &generator)
            let chunk = bytes[start..<min(bytes.count, start + Int.random(in: 1...48, using: &generator))]
            bytes.insert(contentsOf: chunk, at: Int.random(in: 0...bytes.count, using: &generator))
        case 4:
            let at = Int.random(in: 0..<max(1, min(bytes.count, 128)), using: &generator)
            for index in at..<min(bytes.count, at + 4) { bytes[index] = [0x00, 0xFF, 0x7F, 0x80][Int.random(in: 0..<4, using: &generator)] }
        default:
            bytes = (0..<Int.random(in: 0...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        return bytes
    }
}
