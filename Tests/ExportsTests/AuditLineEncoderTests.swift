import AssignmentCore
import DatabaseTestSupport
@testable import Exports
import Foundation
import Storage
import Testing

/// The extract's hand-written line encoder against `JSONEncoder`, which wrote the lines before
/// (and still writes the odd ones): the same bytes for every entry, so extracts, their checksums and
/// the committed example extract (Reports/) do not change with the encoder.
@Suite("Audit line encoder")
struct AuditLineEncoderTests {
    func lines(_ entry: AuditChain.Entry) throws -> (fast: String, reference: String) {
        var fast = ""
        var reference = ""
        try AuditLineEncoder.append(entry, to: &fast)
        try AuditLineEncoder.appendThroughJSONEncoder(entry, to: &reference)
        return (fast, reference)
    }

    @Test("every entry of a real history gives the bytes JSONEncoder gives")
    func realHistory() async throws {
        let start = Date(timeIntervalSince1970: 1_795_000_000)
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let done = try await world.acknowledged(at: start)
        _ = try await world.store.transition(done, to: .completed, by: world.mentor, at: start + 600)
        let cancelled = try await world.dispatch(at: start + 700)
        _ = try await world.store.transition(cancelled, to: .cancelled, by: world.coordinator, at: start + 800, reason: "Feil mottaker")
        _ = try await AuditChainStore(database: database).linkBacklog()
        let entries = try await database.transaction(.scheduler) { try AuditChain.entries(of: world.id, on: $0) }
        #expect(entries.count > 8)
        #expect(Set(entries.map(\.action)).count > 4, "several kinds of entry and details")
        for entry in entries {
            let (fast, reference) = try lines(entry)
            #expect(fast == reference, "\(entry.action)")
        }
    }

    @Test("escapes, null fields, legacy text and details beyond plain ASCII give the bytes JSONEncoder gives")
    func oddEntries() throws {
        let base = AuditChain.Entry(
            organizationID: UUID().uuidString.lowercased(), sequence: 42, occurredAt: "2026-11-30T23:00:00.000001Z", actorID: nil, actorRole: "system",
            action: "assignment.status_changed", subjectType: "assignment", subjectID: nil, details: #"{"from":"read","to":"cancelled"}"#,
            previousHash: String(repeating: "ab", count: 32), entryHash: String(repeating: "cd", count: 32))
        var variants = [base]
        for legacy in [#"{"from" : null, "to" : "dispatched"}"#, "{\"a\" : \"line\\nbreak\ttab\u{1}\u{1f}\"}", "{\"path\" : \"a/b\", \"q\" : \"\\\"\"}"] {
            var entry = base
            entry.legacyDetails = legacy
            variants.append(entry)
        }
        for details in [#"{"name":"Åse Ødegård"}"#, #"{"text":"a\"b\\c\nd\u0001"}"#, #"{"url":"https://a/b"}"#, #"{"b":[1,true,null,{"a":"x"}],"a":-3}"#, #"{}"#] {
            var entry = base
            entry.details = try #require(AuditDetailsJSON(text: details)).canonicalText
            entry.actorID = UUID().uuidString.lowercased()
            entry.subjectID = UUID().uuidString.lowercased()
            variants.append(entry)
        }
        for entry in variants {
            let (fast, reference) = try lines(entry)
            #expect(fast == reference, "\(entry.details) \(entry.legacyDetails ?? "")")
            #expect(fast.hasSuffix("}\n") && fast.filter { $0 == "\n" }.count == 1)
        }
        #expect(AuditLineEncoder.isPlain(base.details))
        #expect(!AuditLineEncoder.isPlain(#"{"name":"Åse"}"#))
    }
}
