import Foundation

/// One UTC calendar day, the unit of crypto-shredding (`docs/security.md`, "Erasure"): every
/// sealed key the server stores is wrapped under the erasure key of the day it was stored, and
/// destroying that day's key makes every copy of those wrapped keys (in the WAL, in archives, in
/// backups) useless. UTC, not an organisation's zone, because one key serves every organisation.
public struct ErasureEpoch: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// Days since 1970-01-01.
    public let day: Int

    public init(day: Int) { self.day = day }

    /// The day that contains `time`.
    public init(containing time: Date) {
        day = Int((time.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// `2026-11-30`, or `nil` for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let dayOfMonth = Int(parts[2]),
            parts[0].count == 4, parts[1].count == 2, parts[2].count == 2
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: DateComponents(year: year, month: month, day: dayOfMonth)) else { return nil }
        self.init(containing: date)
        guard description == text else { return nil }
    }

    /// The first instant of the day.
    public var start: Date { Date(timeIntervalSince1970: Double(day) * 86_400) }
    /// The first instant of the next day: when the epoch stops taking new keys.
    public var end: Date { Date(timeIntervalSince1970: Double(day + 1) * 86_400) }

    public var description: String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: start)
        return String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
    }

    public static func < (a: ErasureEpoch, b: ErasureEpoch) -> Bool { a.day < b.day }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let epoch = ErasureEpoch(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a day such as 2026-11-30"))
        }
        self = epoch
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
