import AssignmentCore
import Envelope
import DatabaseTestSupport
import Exports
import Foundation
import Storage
import Templates
import Testing

@Suite("CSV and the honorarium report")
struct HonorariumReportTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18

    @Test("RFC 4180 quoting of separators, quotes and line breaks; formula cells neutralised; the Excel variant")
    func csv() {
        let plain = CSVFormat.standard
        #expect(plain.line(["a", "b,c", "say \"hi\"", "two\nlines", "cr\rhere"]) == "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\rhere\"\r\n")
        for dangerous in ["=SUM(A1:A9)", "+47 41234567", "-2+3", "@cmd", "\tx", "\rx"] {
            #expect(plain.cell(dangerous).hasPrefix("'") || plain.cell(dangerous).hasPrefix("\"'"), "\(dangerous.debugDescription)")
        }
        #expect(plain.cell("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        #expect(plain.cell("Oppdrag 42") == "Oppdrag 42")
        #expect(plain.cell("") == "")
        // Plain numbers, negative amounts too, are data; anything more after a minus is not.
        for number in ["-500.00", "-500,00", "-3", "1250.50", "42"] { #expect(CSVFormat.excel.cell(number) == number, "\(number)") }
        for formula in ["-", "-.5", "-5.", "-5.0.1", "-1e3", "-5 ", "-١٢", "-77\r\n"] { #expect(plain.cell(formula).hasPrefix("'") || plain.cell(formula).hasPrefix("\"'"), "\(formula)") }
        let excel = CSVFormat.excel
        #expect(excel.line(["Bergen; Vest", "1,5"]) == "\"Bergen; Vest\";1,5\r\n")
        #expect(excel.byteOrderMark && !plain.byteOrderMark)
    }

    @Test("per peer mentor, a line per band and rate, per tier bonus, and a total, with amounts and pay codes; months, quarters, the year; Excel and nb")
    func report() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let accounts = AccountStore(database: database)
        _ = try await accounts.createLocalAssociation(in: world.id, name: "=HYPERLINK(\"http://evil\")", at: start)
        _ = try await accounts.addUser(to: world.id, handle: "anne", role: .peerMentor, localAssociation: "=HYPERLINK(\"http://evil\")", at: start)
        try await HonorariumStore(database: database).setRates(
            try HonorariumRateSet.parse("band:1:0,band:3:50000:LA101,bonus:3:100000:LA110", validFrom: "2026-01-01"), of: world.id, at: start)
        var counted: [AssignmentID] = []
        for index in 0..<4 {
            let id = try await world.acknowledged(at: start + Double(index) * 86_400)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: start + Double(index) * 86_400 + 3600)
            counted.append(id)
        }
        _ = try await HonorariumStore(database: database).void(counted[3], reason: "Counted twice", by: world.admin, at: start + 5 * 86_400)
        _ = try await world.acknowledged(at: start)  // acknowledged only: not counted

        func report(_ period: String, _ format: CSVFormat = .standard, _ language: Language = .en, pageSize: Int = 1) async throws -> (Int, [String]) {
            var text = ""
            let rows = try await HonorariumReport(database: database, pageSize: pageSize).write(organization: world.id, period: period, format: format, language: language) { text += $0 }
            return (rows, text.components(separatedBy: "\r\n"))
        }
        let (rows, lines) = try await report("2026")
        #expect(rows == 1, "the second peer mentor has nothing counted, so no lines")
        let who = "Blindeforbundet,2026,\(world.mentor.userID),mentor,"
        #expect(lines == [
            "organisation,period,peer_mentor_id,peer_mentor_handle,local_association,line,from_count,tier,rate_valid_from,count,rate,amount,currency,pay_code,corrects_period",
            who + ",band,1,,2026-01-01,2,0.00,0.00,NOK,,",
            who + ",band,3,,2026-01-01,1,500.00,500.00,NOK,LA101,",
            who + ",tier_bonus,,3,2026-01-01,1,1000.00,1000.00,NOK,LA110,",
            who + ",total,,,,3,,1500.00,NOK,,",
            "",
        ])
        #expect(try await report("2026-11").1.dropFirst().map { $0.replacingOccurrences(of: ",2026-11,", with: ",2026,") } == Array(lines.dropFirst()), "the month holds it all")
        #expect(try await report("2026-Q4").1.count == lines.count)
        #expect(try await report("2026-10").1.count == 2, "another month: the header only")
        let (_, excel) = try await report("2026", .excel)
        #expect(excel[0].hasPrefix("\u{FEFF}organisation;period;"))
        #expect(excel[3] == who.replacingOccurrences(of: ",", with: ";") + ";tier_bonus;;3;2026-01-01;1;1000,00;1000,00;NOK;LA110;", "a decimal comma for Excel")
        let (_, norwegian) = try await report("2026", .standard, .nb)
        #expect(norwegian[0] == "organisasjon,periode,likeperson_id,likeperson_brukernavn,lokallag,linje,fra_antall,nivå,sats_gjelder_fra,antall,sats,beløp,valuta,lønnsart,korrigerer_periode")
        #expect(Array(norwegian.dropFirst()) == Array(lines.dropFirst()), "only the headings change")
        #expect(try await report("2025").0 == 0)
        await #expect(throws: HonorariumError.periodInvalid) { _ = try await report("26") }
    }

    @Test("20 completions racing each other are paid exactly as 20 in a row")
    func racingCompletionsPayTheSame() async throws {
        let rates = try HonorariumRateSet.parse("band:1:10000,band:3:50000:LA101,band:15:80000:LA102,bonus:3:100000,bonus:15:200000", validFrom: "2026-01-01")
        func lines(racing: Bool) async throws -> [String] {
            let database = try await TestPostgres.database(maximumConnections: 8)
            let world = try await TestOrganization.make(in: database, at: start)
            try await HonorariumStore(database: database).setRates(rates, of: world.id, at: start)
            var ids: [AssignmentID] = []
            for _ in 0..<20 { ids.append(try await world.acknowledged(at: start)) }
            let (store, mentor, time) = (world.store, world.mentor, start + 1000)
            if racing {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for id in ids { group.addTask { _ = try await store.transition(id, to: .completed, by: mentor, at: time) } }
                    try await group.waitForAll()
                }
            } else {
                for id in ids { _ = try await store.transition(id, to: .completed, by: mentor, at: time) }
            }
            var text = ""
            _ = try await HonorariumReport(database: database).write(organization: world.id, period: "2026-11", format: .standard) { text += $0 }
            try await database.close()
            // Without the organisation's and the peer mentor's ids, which differ between the two runs.
            return text.components(separatedBy: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).dropFirst(3).joined(separator: ",") }
        }
        let raced = try await lines(racing: true)
        #expect(raced == (try await lines(racing: false)))
        #expect(raced.contains("mentor,,total,,,,20,,\(HonorariumPayroll.text(ore: 2 * 10000 + 12 * 50000 + 6 * 80000 + 100000 + 200000)),NOK,,"), "\(raced)")
    }

    /// An instant written out, such as `2026-03-02T10:00:00Z`.
    func at(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test("closing a month: a correction before it leaves the month, one after it keeps the closed file byte for byte and is paid back in the next open month")
    func closingAndAdjustments() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: at("2026-02-01T10:00:00Z"))
        let honorarium = HonorariumStore(database: database)
        try await honorarium.setRates(
            try HonorariumRateSet.parse("band:1:10000,band:3:50000:LA101,bonus:3:100000:LA110", validFrom: "2026-01-01"), of: world.id, at: at("2026-02-01T10:00:00Z"))
        var march: [AssignmentID] = []
        for day in 2...5 {
            let time = at("2026-03-0\(day)T10:00:00Z")
            let id = try await world.acknowledged(at: time)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: time + 600)
            march.append(id)
        }
        // Before closing: the fourth is voided, and March simply leaves it out.
        _ = try await honorarium.void(march[3], reason: "Counted twice by mistake", by: world.admin, at: at("2026-03-06T10:00:00Z"))
        let report = HonorariumReport(database: database)
        func text(_ period: String) async throws -> String {
            var text = ""
            _ = try await report.write(organization: world.id, period: period, format: .standard) { text += $0 }
            return text
        }
        let who = "Blindeforbundet,2026-03,\(world.mentor.userID),mentor,"
        let marchBefore = try await text("2026-03")
        #expect(marchBefore.contains(who + ",band,1,,2026-01-01,2,100.00,200.00,NOK,,\r\n"), "\(marchBefore)")
        #expect(marchBefore.contains(who + ",total,,,,3,,1700.00,NOK,,\r\n"), "\(marchBefore)")

        // Out of order, unfinished, not a month: refused, nothing recorded.
        for (period, time, problem) in [
            ("2026-04", at("2026-05-02T10:00:00Z"), "2026-03 is still open"), ("2026-03", at("2026-03-20T10:00:00Z"), "2026-03 is not over yet"),
            ("2026-Q1", at("2026-05-02T10:00:00Z"), "only a month"),
        ] {
            let error = try await #require(throws: HonorariumError.self) {
                _ = try await report.close(organization: world.id, period: period, format: .standard, at: time)
            }
            #expect(error.description.contains(problem), "\(period): \(error)")
        }
        #expect(try await report.store.closedMonths(of: world.id).isEmpty)

        let closed = try await report.close(organization: world.id, period: "2026-03", format: .standard, at: at("2026-04-01T12:00:00Z"))
        #expect(closed.file == marchBefore)
        #expect(closed.sha256 == SHA256.hexHash(Array(marchBefore.utf8)))
        #expect(try await world.count("SELECT count(*) AS n FROM audit_entries WHERE action = 'honorarium.period_closed' AND details->>'file_sha256' = '\(closed.sha256)'") == 1)
        await #expect(throws: HonorariumError.closeRefused("2026-03 is closed already")) {
            _ = try await report.close(organization: world.id, period: "2026-03", format: .standard, at: at("2026-04-02T12:00:00Z"))
        }

        // After closing: the first is voided, which also takes the count below tier 3.
        _ = try await honorarium.void(march[0], reason: "Not eligible after all", by: world.admin, at: at("2026-04-03T10:00:00Z"))
        #expect(try await text("2026-03") == closed.file, "the closed month's report never changes")
        let april = try await text("2026-04")
        let aprilWho = who.replacingOccurrences(of: ",2026-03,", with: ",2026-04,")
        #expect(april.contains(aprilWho + ",adjustment,1,,2026-01-01,-1,100.00,-100.00,NOK,,2026-03\r\n"), "\(april)")
        #expect(april.contains(aprilWho + ",adjustment,,3,2026-01-01,-1,1000.00,-1000.00,NOK,LA110,2026-03\r\n"), "\(april)")
        #expect(april.contains(aprilWho + ",total,,,,-1,,-1100.00,NOK,,\r\n"), "\(april)")

        // Rates cannot be changed for a paid month; from the next one they can.
        await #expect(throws: HonorariumError.self) {
            try await honorarium.setRates(try HonorariumRateSet.parse("band:1:20000", validFrom: "2026-03-15"), of: world.id, at: at("2026-04-04T10:00:00Z"))
        }
        try await honorarium.setRates(try HonorariumRateSet.parse("band:1:20000", validFrom: "2026-04-01"), of: world.id, at: at("2026-04-04T10:00:00Z"))
        #expect(try await text("2026-03") == closed.file)
        _ = try await report.close(organization: world.id, period: "2026-04", format: .standard, at: at("2026-05-02T10:00:00Z"))
        #expect(try await report.store.closedMonths(of: world.id) == ["2026-03", "2026-04"])
    }

    @Test("a completion at 23:30 UTC on 31 December is January's in Oslo: the count starts again at 1 and is priced as the first of the new year")
    func newYearInOslo() async throws {
        let database = try await TestPostgres.database()
        let newYearsEve = Date(timeIntervalSince1970: 1_798_759_800)  // 2026-12-31 23:30 UTC = 2027-01-01 00:30 in Oslo
        let world = try await TestOrganization.make(in: database, at: newYearsEve - 30 * 86_400)
        try await HonorariumStore(database: database).setRates(
            try HonorariumRateSet.parse("band:1:10000,band:3:50000", validFrom: "2026-01-01"), of: world.id, at: newYearsEve - 30 * 86_400)
        for day in [3.0, 2, 1] {
            let id = try await world.acknowledged(at: newYearsEve - day * 86_400)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: newYearsEve - day * 86_400 + 600)
        }
        let late = try await world.acknowledged(at: newYearsEve - 3600)
        _ = try await world.store.transition(late, to: .completed, by: world.mentor, at: newYearsEve)
        var december = ""
        _ = try await HonorariumReport(database: database).write(organization: world.id, period: "2026-12", format: .standard) { december += $0 }
        #expect(december.contains(",total,,,,3,,700.00,NOK,,"), "1st and 2nd at 100.00, the 3rd at 500.00: \(december)")
        var january = ""
        _ = try await HonorariumReport(database: database).write(organization: world.id, period: "2027-01", format: .standard) { january += $0 }
        #expect(january.contains(",band,1,,2026-01-01,1,100.00,100.00,NOK,,"), "number 1 of 2027: \(january)")
    }

    @Test("pages of any size give the same report, and a hostile association name is neutralised")
    func paging() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let accounts = AccountStore(database: database)
        _ = try await accounts.createLocalAssociation(in: world.id, name: "=cmd|' /C calc'!A0", at: start)
        let keys = DeviceKeyStore(database: database)
        for handle in ["ada", "bo", "cy", "di", "ed"] {
            let mentor = try await accounts.addUser(to: world.id, handle: handle, role: .peerMentor, localAssociation: "=cmd|' /C calc'!A0", at: start).context
            let device = try DeviceKeyPair.generate()
            _ = try await keys.register(device.publicKeys, label: nil, for: mentor, at: start)
            let id = AssignmentID(UUID())
            let envelope = try EnvelopeSealer().seal(
                payload: Array("{}".utf8), assignmentID: id.uuid, organizationID: world.id.uuid, sender: world.coordinatorDevice, recipients: [device.publicKeys])
            _ = try await world.store.dispatch(DispatchSubmission(id: id, recipientID: mentor.userID, title: "Oppdrag", envelope: envelope.serialized), by: world.coordinator, at: start)
            _ = try await world.store.transition(id, to: .read, by: mentor, at: start + 60)
            _ = try await world.store.transition(id, to: .acknowledged, by: mentor, at: start + 120)
            _ = try await world.store.transition(id, to: .completed, by: mentor, at: start + 180)
        }
        var reports: [String] = []
        for size in [1, 2, 3, 500] {
            var text = ""
            _ = try await HonorariumReport(database: database, pageSize: size).write(organization: world.id, period: "2026", format: .standard) { text += $0 }
            reports.append(text)
        }
        #expect(Set(reports).count == 1)
        let lines = reports[0].components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
        #expect(lines.map { $0.split(separator: ",")[3] } == ["ada", "bo", "cy", "di", "ed"])
        #expect(lines.allSatisfy { $0.contains(",\"'=cmd|' /C calc'!A0\",") || $0.contains(",'=cmd|' /C calc'!A0,") }, "\(lines.first ?? "")")
    }
}

/// Random cells through the CSV writer: read back by an RFC 4180 reader, every field is what was
/// written (with the apostrophe a formula-like cell gets), and no line breaks out of its record.
@Suite("Fuzzing the CSV writer")
struct CSVFuzzTests {
    /// A strict RFC 4180 reader for one record (with its CRLF), over Unicode scalars (a CR LF
    /// inside a quoted field is two of them, though one Swift `Character`).
    static func read(_ line: String, separator: Character) -> [String]? {
        let separator = separator.unicodeScalars.first!
        let quote: Unicode.Scalar = "\"", cr: Unicode.Scalar = "\r", lf: Unicode.Scalar = "\n"
        var scalars = Array(line.unicodeScalars)
        guard scalars.suffix(2) == [cr, lf] else { return nil }
        scalars.removeLast(2)
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var index = 0
        while index <= scalars.count {
            if index < scalars.count, scalars[index] == quote {
                index += 1
                while true {
                    guard index < scalars.count else { return nil }
                    if scalars[index] == quote {
                        if index + 1 < scalars.count, scalars[index + 1] == quote {
                            field.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    field.append(scalars[index])
                    index += 1
                }
                guard index == scalars.count || scalars[index] == separator else { return nil }
            } else {
                while index < scalars.count, scalars[index] != separator {
                    if [quote, cr, lf].contains(scalars[index]) { return nil }
                    field.append(scalars[index])
                    index += 1
                }
            }
            fields.append(String(field))
            field = String.UnicodeScalarView()
            index += 1
        }
        return fields
    }

    @Test("random cells survive the writer, formula-like ones neutralised, plain numbers kept")
    func randomCells() {
        var generator = SeededGenerator(seed: 4180)
        let alphabet = Array("ab,;\"'\r\n\t=+-@ 0123456789.æøÅ")
        for format in [CSVFormat.standard, .excel] {
            for _ in 0..<FuzzIterations.value {
                let fields = (0..<Int.random(in: 1...6, using: &generator)).map { _ in
                    String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
                }
                let line = format.line(fields)
                guard let back = Self.read(line, separator: format.separator) else {
                    Issue.record("not one RFC 4180 record: \(line.debugDescription)")
                    return
                }
                let expected = fields.map { field -> String in
                    // The whole cell, nothing after it (not even a line break): an independent spelling of the rule.
                    let number = field.wholeMatch(of: /-?[0-9]+([.,][0-9]+)?/) != nil
                    guard !number, let first = field.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) else { return field }
                    return "'" + field
                }
                #expect(back == expected, "\(fields) → \(line.debugDescription)")
            }
        }
    }
}
