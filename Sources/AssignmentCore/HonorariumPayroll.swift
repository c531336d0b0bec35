import Foundation

/// A payroll period: a year (`2026`), a quarter (`2026-Q1`) or a month (`2026-03`). Amounts fall in
/// the month an assignment was counted, in the organisation's time zone; tiers still count per
/// calendar year (``HonorariumPolicy``).
public enum HonorariumPeriod: Sendable, Hashable, CustomStringConvertible {
    case year(Int)
    case quarter(year: Int, quarter: Int)
    case month(year: Int, month: Int)

    /// Parses `2026`, `2026-Q1` … `2026-Q4` or `2026-01` … `2026-12`.
    public init(_ text: String) throws {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard let first = parts.first, first.count == 4, let year = Int(first), (2000...2999).contains(year) else { throw HonorariumError.periodInvalid }
        switch parts.count {
        case 1:
            self = .year(year)
        case 2 where parts[1].count == 2 && parts[1].first == "Q":
            guard let quarter = Int(parts[1].dropFirst()), (1...4).contains(quarter) else { throw HonorariumError.periodInvalid }
            self = .quarter(year: year, quarter: quarter)
        case 2 where parts[1].count == 2:
            guard let month = Int(parts[1]), (1...12).contains(month) else { throw HonorariumError.periodInvalid }
            self = .month(year: year, month: month)
        default:
            throw HonorariumError.periodInvalid
        }
    }

    public var year: Int {
        switch self {
        case .year(let year), .quarter(let year, _), .month(let year, _): year
        }
    }

    /// The months it covers, as `2026-03`.
    public var months: [String] {
        let numbers: ClosedRange<Int> =
            switch self {
            case .year: 1...12
            case .quarter(_, let quarter): (quarter * 3 - 2)...(quarter * 3)
            case .month(_, let month): month...month
            }
        return numbers.map { String(format: "%04d-%02d", year, $0) }
    }

    /// The month after `2026-12`, as text: `2027-01`.
    public static func month(after month: String) -> String? {
        guard case .month(let year, let number) = try? HonorariumPeriod(month) else { return nil }
        return number == 12 ? String(format: "%04d-01", year + 1) : String(format: "%04d-%02d", year, number + 1)
    }

    public var description: String {
        switch self {
        case .year(let year): String(format: "%04d", year)
        case .quarter(let year, let quarter): String(format: "%04d-Q%d", year, quarter)
        case .month(let year, let month): String(format: "%04d-%02d", year, month)
        }
    }
}

/// One rate of an organisation's honorarium rates, in øre (hundredths of a krone; never floating
/// point).
public struct HonorariumRate: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// From the `threshold`th counted assignment of the year on, each counted assignment pays
        /// `amountOre` (until a band with a higher threshold takes over).
        case band
        /// Reaching tier `threshold` pays `amountOre` once.
        case tierBonus = "tier_bonus"
    }

    public var kind: Kind
    public var threshold: Int
    public var amountOre: Int
    /// The payroll system's line type (*lønnsart*), if the organisation uses one.
    public var payCode: String?

    public init(kind: Kind, threshold: Int, amountOre: Int, payCode: String? = nil) {
        self.kind = kind
        self.threshold = threshold
        self.amountOre = amountOre
        self.payCode = payCode
    }

    enum CodingKeys: String, CodingKey {
        case kind, threshold
        case amountOre = "amount_ore"
        case payCode = "pay_code"
    }
}

/// An organisation's rates from a day on (in its time zone), until a later set takes over: a change
/// of rates applies to assignments counted from its `validFrom`.
public struct HonorariumRateSet: Sendable, Hashable, Codable {
    /// `2026-03-15`.
    public var validFrom: String
    public var currency: String
    public var rates: [HonorariumRate]

    public static let maximumRates = 40
    public static let maximumAmountOre = 100_000_000

    public init(validFrom: String, currency: String = "NOK", rates: [HonorariumRate]) {
        self.validFrom = validFrom
        self.currency = currency
        self.rates = rates
    }

    /// Parses the command line's form: rates separated by commas, each `band:FROM:ØRE[:PAYCODE]` or
    /// `bonus:TIER:ØRE[:PAYCODE]`, such as `band:3:50000:LA101,bonus:15:200000:LA110`.
    public static func parse(_ text: String, validFrom: String, currency: String = "NOK") throws -> HonorariumRateSet {
        let rates = try text.components(separatedBy: ",").map { item -> HonorariumRate in
            let fields = item.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (3...4).contains(fields.count), let kind = ["band": HonorariumRate.Kind.band, "bonus": .tierBonus][fields[0]] else {
                throw HonorariumError.ratesInvalid("each rate is band:FROM:ØRE or bonus:TIER:ØRE, with an optional :PAYCODE, not '\(item.prefix(40))'")
            }
            guard let threshold = Int(fields[1]) else { throw HonorariumError.ratesInvalid("'\(fields[1].prefix(20))' is not a whole number of assignments") }
            guard !fields[2].isEmpty, fields[2].allSatisfy({ $0.isASCII && $0.isNumber }), let amount = Int(fields[2]) else {
                throw HonorariumError.ratesInvalid("amounts are whole øre (50000 is 500 kroner), not '\(fields[2].prefix(20))'")
            }
            return HonorariumRate(kind: kind, threshold: threshold, amountOre: amount, payCode: fields.count == 4 ? fields[3] : nil)
        }
        let set = HonorariumRateSet(validFrom: validFrom, currency: currency, rates: rates)
        try set.validate()
        return set
    }

    /// Throws `honorarium_rates_invalid` naming the first problem.
    public func validate() throws {
        guard ErasureEpoch(validFrom) != nil else { throw HonorariumError.ratesInvalid("the day rates are valid from is written like 2026-03-01") }
        guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            throw HonorariumError.ratesInvalid("the currency is a three-letter code such as NOK")
        }
        guard rates.count <= Self.maximumRates else { throw HonorariumError.ratesInvalid("at most \(Self.maximumRates) rates") }
        for rate in rates {
            guard (1...10_000).contains(rate.threshold) else { throw HonorariumError.ratesInvalid("a count or tier is between 1 and 10000") }
            guard (0...Self.maximumAmountOre).contains(rate.amountOre) else {
                throw HonorariumError.ratesInvalid("an amount is between 0 and \(Self.maximumAmountOre) øre")
            }
            if let payCode = rate.payCode {
                guard (1...20).contains(payCode.count), payCode.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }) else {
                    throw HonorariumError.ratesInvalid("a pay code is 1 to 20 letters, digits, dots, dashes or underscores")
                }
            }
        }
        let keys = rates.map { "\($0.kind.rawValue):\($0.threshold)" }
        guard Set(keys).count == keys.count else {
            throw HonorariumError.ratesInvalid("two rates of the same kind start at the same count or tier; give each once")
        }
    }

    /// The band that pays for the `number`th counted assignment of the year: the one with the
    /// highest threshold not above it (none below the lowest band).
    public func band(for number: Int) -> HonorariumRate? {
        rates.filter { $0.kind == .band && $0.threshold <= number }.max { $0.threshold < $1.threshold }
    }

    /// The bonus for reaching `tier`, if any.
    public func bonus(for tier: Int) -> HonorariumRate? {
        rates.first { $0.kind == .tierBonus && $0.threshold == tier }
    }
}

/// One line of a peer mentor's payroll for a period.
public struct HonorariumLine: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case band
        case tierBonus = "tier_bonus"
        /// A correction of a paid month, paid back (a negative amount) in a later month.
        case adjustment
        case total
    }

    public var kind: Kind
    /// Adjustments: what they correct (a band or a tier bonus).
    public var corrects: Kind?
    /// Adjustments: the paid month the corrected assignment or tier was counted in.
    public var correctsPeriod: String?
    /// Bands: the count the band starts at. Bonuses: the tier.
    public var threshold: Int?
    /// The first day of the rates that applied.
    public var rateValidFrom: String?
    public var count: Int
    public var rateOre: Int?
    public var amountOre: Int
    public var payCode: String?
}

/// How counted assignments become money (docs/honorarium.md): the one place the rates are applied.
public enum HonorariumPayroll {
    /// A counted assignment: its number in the year's count and the day it was counted.
    public struct Counted: Sendable, Hashable {
        public var number: Int
        public var day: String
        public init(number: Int, day: String) {
            self.number = number
            self.day = day
        }
    }

    /// A tier crossed, and the day.
    public struct Crossing: Sendable, Hashable {
        public var tier: Int
        public var day: String
        public init(tier: Int, day: String) {
            self.tier = tier
            self.day = day
        }
    }

    /// A correction to pay back: a voided assignment (its number in the year and the day it was
    /// counted) or a reversed tier (the tier and the day it was crossed), counted in the paid month
    /// `correctsPeriod`.
    public struct Adjustment: Sendable, Hashable {
        public enum Subject: Sendable, Hashable {
            case assignment(number: Int)
            case tier(Int)
        }

        public var subject: Subject
        public var day: String
        public var correctsPeriod: String

        public init(_ subject: Subject, day: String, correctsPeriod: String) {
            self.subject = subject
            self.day = day
            self.correctsPeriod = correctsPeriod
        }
    }

    /// The set of rates in force on `day` (`2026-03-15`): the one with the latest start not after it.
    public static func rates(on day: String, in sets: [HonorariumRateSet]) -> HonorariumRateSet? {
        sets.filter { $0.validFrom <= day }.max { $0.validFrom < $1.validFrom }
    }

    /// One peer mentor's lines for a period: a band line per band and rate that paid, a bonus line
    /// per tier bonus, an adjustment line per corrected paid month, band or bonus and rate (what
    /// that month paid for it, negative), then the total (the counted assignments less the
    /// corrected ones, and the sum). Amounts in øre.
    public static func lines(counted: [Counted], crossings: [Crossing], adjustments: [Adjustment] = [], rateSets: [HonorariumRateSet]) -> [HonorariumLine] {
        var lines: [HonorariumLine] = []
        func add(_ kind: HonorariumLine.Kind, _ rate: HonorariumRate, from validFrom: String, corrects: HonorariumLine.Kind? = nil, in period: String? = nil) {
            let sign = kind == .adjustment ? -1 : 1
            if let index = lines.firstIndex(where: {
                $0.kind == kind && $0.corrects == corrects && $0.correctsPeriod == period && $0.threshold == rate.threshold && $0.rateValidFrom == validFrom
                    && $0.rateOre == rate.amountOre && $0.payCode == rate.payCode
            }) {
                lines[index].count += sign
                lines[index].amountOre += sign * rate.amountOre
            } else {
                lines.append(
                    HonorariumLine(
                        kind: kind, corrects: corrects, correctsPeriod: period, threshold: rate.threshold, rateValidFrom: validFrom, count: sign,
                        rateOre: rate.amountOre, amountOre: sign * rate.amountOre, payCode: rate.payCode))
            }
        }
        for assignment in counted.sorted(by: { ($0.day, $0.number) < ($1.day, $1.number) }) {
            guard let set = rates(on: assignment.day, in: rateSets), let band = set.band(for: assignment.number) else { continue }
            add(.band, band, from: set.validFrom)
        }
        for crossing in crossings.sorted(by: { ($0.day, $0.tier) < ($1.day, $1.tier) }) {
            guard let set = rates(on: crossing.day, in: rateSets), let bonus = set.bonus(for: crossing.tier) else { continue }
            add(.tierBonus, bonus, from: set.validFrom)
        }
        for adjustment in adjustments.sorted(by: { ($0.correctsPeriod, $0.day) < ($1.correctsPeriod, $1.day) }) {
            guard let set = rates(on: adjustment.day, in: rateSets) else { continue }
            switch adjustment.subject {
            case .assignment(let number):
                if let band = set.band(for: number) { add(.adjustment, band, from: set.validFrom, corrects: .band, in: adjustment.correctsPeriod) }
            case .tier(let tier):
                if let bonus = set.bonus(for: tier) { add(.adjustment, bonus, from: set.validFrom, corrects: .tierBonus, in: adjustment.correctsPeriod) }
            }
        }
        let order: [HonorariumLine.Kind: Int] = [.band: 0, .tierBonus: 1, .adjustment: 2]
        lines.sort {
            (order[$0.kind] ?? 3, $0.correctsPeriod ?? "", order[$0.corrects ?? .total] ?? 3, $0.threshold ?? 0, $0.rateValidFrom ?? "")
                < (order[$1.kind] ?? 3, $1.correctsPeriod ?? "", order[$1.corrects ?? .total] ?? 3, $1.threshold ?? 0, $1.rateValidFrom ?? "")
        }
        let corrected = adjustments.filter { if case .assignment = $0.subject { true } else { false } }.count
        lines.append(
            HonorariumLine(
                kind: .total, corrects: nil, correctsPeriod: nil, threshold: nil, rateValidFrom: nil, count: counted.count - corrected, rateOre: nil,
                amountOre: lines.reduce(0) { $0 + $1.amountOre }, payCode: nil))
        return lines
    }

    /// An amount in øre as currency units with two decimals: `123450` is `1234.50` (or `1234,50`).
    public static func text(ore: Int, decimalSeparator: String = ".") -> String {
        let sign = ore < 0 ? "-" : ""
        let magnitude = ore.magnitude
        let cents = magnitude % 100
        return sign + String(magnitude / 100) + decimalSeparator + (cents < 10 ? "0" : "") + String(cents)
    }
}
