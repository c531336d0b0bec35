import AssignmentCore
import DatabaseTestSupport
import Envelope
import Exports
import Foundation
import Storage
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
        let excel = CSVFormat.excel
        #expect(excel.line(["Bergen; Vest", "1,5"]) == "\"Bergen; Vest\";1,5\r\n")
        #expect(excel.byteOrderMark && !plain.byteOrderMark)
    }

    @Test("one row per peer mentor with counted assignments: count, tier, the day each tier was crossed, corrections; paged; Excel")
    func report() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let accounts = AccountStore(database: database)
        _ = try await accounts.createLocalAssociation(in: world.id, name: "=HYPERLINK(\"http://evil\")", at: start)
        let second = try await accounts.addUser(to: world.id, handle: "anne", role: .peerMentor, localAssociation: "=HYPERLINK(\"http://evil\")", at: start)
        _ = second
        var counted: [AssignmentID] = []
        for index in 0..<4 {
            let id = try await world.acknowledged(at: start + Double(index) * 86_400)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: start + Double(index) * 86_400 + 3600)
            counted.append(id)
        }
        _ = try await HonorariumStore(database: database).void(counted[3], reason: "Counted twice", by: world.admin, at: start + 5 * 86_400)
        _ = try await world.acknowledged(at: start)  // acknowledged only: not counted

        var text = ""
        let rows = try await HonorariumReport(database: database, pageSize: 1).write(organization: world.id, period: "2026", format: .standard) { text += $0 }
        #expect(rows == 1, "the second peer mentor has nothing counted, so no row")
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines[0] == "organisation,period,peer_mentor_id,peer_mentor_handle,local_association,counted_assignments,tier_reached,tier_3_reached_on,tier_15_reached_on,first_counted_on,last_counted_on,voided_corrections")
        #expect(lines[1] == "Blindeforbundet,2026,\(world.mentor.userID),mentor,,3,3,2026-11-20,,2026-11-18,2026-11-20,1")
        #expect(lines.count == 3 && lines[2].isEmpty)

        var excel = ""
        _ = try await HonorariumReport(database: database).write(organization: world.id, period: "2026", format: .excel) { excel += $0 }
        #expect(excel.hasPrefix("\u{FEFF}organisation;period;"))
        #expect(excel.contains(";mentor;;3;3;2026-11-20;;"))
        var norwegian = ""
        _ = try await HonorariumReport(database: database).write(organization: world.id, period: "2026", format: .standard, language: .nb) { norwegian += $0 }
        #expect(norwegian.hasPrefix("organisasjon,periode,likeperson_id,likeperson_brukernavn,lokallag,tellende_oppdrag,nivå_nådd,nivå_3_nådd_dato,nivå_15_nådd_dato,"))
        #expect(norwegian.components(separatedBy: "\r\n")[1] == lines[1], "only the headings change")
        var empty = ""
        #expect(try await HonorariumReport(database: database).write(organization: world.id, period: "2025", format: .standard) { empty += $0 } == 0)
        #expect(empty.components(separatedBy: "\r\n").count == 2, "the header only")
        await #expect(throws: HonorariumError.periodInvalid) { try await HonorariumReport(database: database).write(organization: world.id, period: "26", format: .standard) { _ in } }
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
