import AssignmentCore
import Testing

@Suite("Honorarium payroll: periods, rates and lines")
struct HonorariumPayrollTests {
    let rates = try! HonorariumRateSet.parse("band:1:0,band:3:50000:LA101,band:15:80000:LA102,bonus:3:100000:LA110,bonus:15:200000:LA111", validFrom: "2026-01-01")

    @Test("periods: a year, a quarter or a month, and nothing else")
    func periods() throws {
        #expect(try HonorariumPeriod("2026").months.count == 12)
        #expect(try HonorariumPeriod("2026-Q2").months == ["2026-04", "2026-05", "2026-06"])
        #expect(try HonorariumPeriod("2026-03").months == ["2026-03"])
        #expect(try HonorariumPeriod("2026-03").description == "2026-03")
        for bad in ["26", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-3", "2026-03-01", "", "x026", "2026-q1", "1999"] {
            #expect(throws: HonorariumError.periodInvalid, "\(bad)") { try HonorariumPeriod(bad) }
        }
    }

    @Test("amounts at the tier boundaries: the 2nd, 3rd, 14th, 15th and 16th counted assignment")
    func boundaries() {
        func paid(_ number: Int) -> Int {
            HonorariumPayroll.lines(counted: [.init(number: number, day: "2026-05-01")], crossings: [], rateSets: [rates]).last!.amountOre
        }
        #expect(paid(2) == 0)
        #expect(paid(3) == 50000)
        #expect(paid(14) == 50000)
        #expect(paid(15) == 80000)
        #expect(paid(16) == 80000)
        let fifteen = HonorariumPayroll.lines(
            counted: (1...16).map { .init(number: $0, day: "2026-05-01") }, crossings: [.init(tier: 3, day: "2026-05-01"), .init(tier: 15, day: "2026-05-01")],
            rateSets: [rates])
        #expect(fifteen.map(\.kind) == [.band, .band, .band, .tierBonus, .tierBonus, .total])
        #expect(fifteen.map(\.count) == [2, 12, 2, 1, 1, 16])
        #expect(fifteen.map(\.payCode) == [nil, "LA101", "LA102", "LA110", "LA111", nil])
        #expect(fifteen.last?.amountOre == 12 * 50000 + 2 * 80000 + 100000 + 200000)
    }

    @Test("a rate change in the middle of a month applies to what is counted from that day, and each line says which rate")
    func rateChange() throws {
        let raise = try HonorariumRateSet.parse("band:1:0,band:3:60000:LA101", validFrom: "2026-05-15")
        let lines = HonorariumPayroll.lines(
            counted: [.init(number: 3, day: "2026-05-14"), .init(number: 4, day: "2026-05-15"), .init(number: 5, day: "2026-05-31")],
            crossings: [.init(tier: 3, day: "2026-05-14")], rateSets: [raise, rates])
        #expect(lines.filter { $0.kind == .band }.map { [$0.rateValidFrom, String($0.count), String($0.rateOre ?? -1)] } == [["2026-01-01", "1", "50000"], ["2026-05-15", "2", "60000"]])
        #expect(lines.last?.amountOre == 50000 + 2 * 60000 + 100000)
        #expect(HonorariumPayroll.lines(counted: [.init(number: 3, day: "2025-12-31")], crossings: [], rateSets: [rates]).last?.amountOre == 0, "before any rates: counted, unpaid")
    }

    @Test("rates are whole øre, each kind and threshold once, with clear errors")
    func badRates() {
        for (text, problem) in [
            ("band:3:-500", "whole øre"), ("band:3:500.5", "whole øre"), ("band:3:1e3", "whole øre"), ("band:3", "band:FROM:ØRE"), ("tip:3:500", "band:FROM:ØRE"),
            ("band:3:500,band:3:600", "same count or tier"), ("band:0:500", "between 1 and 10000"), ("band:3:100000001", "between 0 and"),
            ("band:3:500:lønn art", "pay code"), ("band:x:500", "whole number"),
        ] {
            #expect(throws: HonorariumError.self, "\(text)") { try HonorariumRateSet.parse(text, validFrom: "2026-01-01") }
            do { _ = try HonorariumRateSet.parse(text, validFrom: "2026-01-01") } catch { #expect("\(error)".contains(problem), "\(text): \(error)") }
        }
        #expect(throws: HonorariumError.self) { try HonorariumRateSet.parse("band:3:500", validFrom: "2026-02-30") }
        #expect(throws: HonorariumError.self) { try HonorariumRateSet.parse("band:3:500", validFrom: "2026-01-01", currency: "kr") }
    }

    @Test("øre as money: two decimals, the separator asked for, the sign kept")
    func money() {
        #expect(HonorariumPayroll.text(ore: 123450) == "1234.50")
        #expect(HonorariumPayroll.text(ore: 5, decimalSeparator: ",") == "0,05")
        #expect(HonorariumPayroll.text(ore: -50000) == "-500.00")
        #expect(HonorariumPayroll.text(ore: 0) == "0.00")
    }
}
