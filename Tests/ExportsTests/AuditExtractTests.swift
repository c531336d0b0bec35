import AssignmentCore
import DatabaseTestSupport
import Envelope
import Exports
import Foundation
import Postgres
import Storage
import Testing

@Suite("Audit extracts and verification")
struct AuditExtractTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18

    /// An organisation with some history: three assignments walked through their lifecycle.
    func history() async throws -> (TestOrganization, Database) {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        for index in 0..<3 {
            let id = try await world.acknowledged(at: start + Double(index) * 3600)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: start + Double(index) * 3600 + 600)
        }
        return (world, database)
    }

    func folder() -> String { NSTemporaryDirectory() + "audit-extract-\(UUID().uuidString)" }

    @Test("a clean extract verifies, in JSON Lines and CSV, as a folder and as the API's single file; pages of any size give the same bytes")
    func clean() async throws {
        let (world, database) = try await history()
        let key = try ServerKey.generate().auditSigningKey()
        let total = try await world.count("SELECT count(*) AS n FROM audit_entries WHERE organization_id = '\(world.id)'")
        var outputs: [String] = []
        for format in AuditExtractFormat.allCases {
            let path = folder()
            defer { try? FileManager.default.removeItem(atPath: path) }
            let signed = try await AuditExtract(database: database, signingKey: key)
                .writeFolder(at: path, organization: world.id, from: start - 86_400, to: start + 86_400, format: format, generatedAt: start + 86_400)
            #expect(signed.manifest.entryCount == total && signed.manifest.firstSequence == 1 && signed.manifest.lastSequence == total)
            #expect(signed.manifest.previousHash == String(repeating: "0", count: 64))
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: path)) == ["manifest.json", "manifest.sig", format.fileName])
            let result = try AuditExtractVerifier.verify(path: path, trustedKey: key.publicKeys.signingKey)
            #expect(result.intact, "\(result.problems)")
            #expect(result.entryCount == total)
            #expect(result.plainText(subject: "The extract").hasPrefix("The extract is intact: \(total) entries (entries 1 to \(total))"))
            outputs.append(try String(contentsOfFile: path + "/" + format.fileName, encoding: .utf8))
        }
        #expect(outputs[0].split(separator: "\n").count == total)
        #expect(outputs[1].components(separatedBy: "\r\n").first == "organization_id,sequence,occurred_at,actor_id,actor_role,action,subject_type,subject_id,details,previous_hash,entry_hash")

        var paged = ""
        _ = try await AuditExtract(database: database, signingKey: key, pageSize: 2)
            .write(organization: world.id, from: start - 86_400, to: start + 86_400, format: .jsonl, generatedAt: start) { paged += $0 }
        #expect(paged == outputs[0])

        let bundle = NSTemporaryDirectory() + "audit-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: bundle) }
        var text = ""
        try await AuditExtract(database: database, signingKey: key).writeBundle(organization: world.id, from: start - 86_400, to: start + 86_400, generatedAt: start) { text += $0 }
        try text.write(toFile: bundle, atomically: true, encoding: .utf8)
        #expect(try AuditExtractVerifier.verify(path: bundle).intact)
        #expect(try AuditExtractVerifier.verify(path: bundle, trustedKey: try ServerKey.generate().auditSigningKey().publicKeys.signingKey).problems
            .contains { $0.contains("not by the key you trust") })
    }

    @Test("a time range is a contiguous run of the chain; an empty range is a valid, empty extract")
    func ranges() async throws {
        let (world, database) = try await history()
        let key = try ServerKey.generate().auditSigningKey()
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // The second assignment's entries only (it started an hour in).
        let signed = try await AuditExtract(database: database, signingKey: key)
            .writeFolder(at: path, organization: world.id, from: start + 3600, to: start + 7200, format: .jsonl, generatedAt: start)
        let expected = try await world.count(
            "SELECT count(*) AS n FROM audit_entries WHERE organization_id = '\(world.id)' AND occurred_at >= '\(PostgresTimestamp.format(start + 3600))' AND occurred_at < '\(PostgresTimestamp.format(start + 7200))'")
        #expect(signed.manifest.entryCount == expected && expected > 0)
        #expect((signed.manifest.firstSequence ?? 0) > 1 && signed.manifest.previousHash != String(repeating: "0", count: 64))
        #expect(try AuditExtractVerifier.verify(path: path).intact, "a run from the middle of the chain verifies on its own")

        let empty = folder()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let none = try await AuditExtract(database: database, signingKey: key)
            .writeFolder(at: empty, organization: world.id, from: start - 10 * 86_400, to: start - 9 * 86_400, format: .csv, generatedAt: start)
        #expect(none.manifest.entryCount == 0 && none.manifest.firstSequence == nil)
        #expect(try AuditExtractVerifier.verify(path: empty).intact)

        await #expect(throws: AuditExtractError.folderNotEmpty(path)) {
            _ = try await AuditExtract(database: database, signingKey: key).writeFolder(at: path, organization: world.id, from: start, to: start + 1, format: .jsonl, generatedAt: start)
        }
        #expect(throws: AuditExtractError.rangeInvalid) { try AuditExtract.range(from: "2026-02-01", to: "2026-01-01", timeZone: TimeZone(identifier: "Europe/Oslo")!) }
        #expect(throws: AuditExtractError.dateInvalid("2026-02-30")) { try AuditExtract.range(from: "2026-02-30", to: "2026-03-01", timeZone: .gmt) }
        let days = try AuditExtract.range(from: "2026-01-01", to: "2026-01-01", timeZone: TimeZone(identifier: "Europe/Oslo")!)
        #expect(PostgresTimestamp.format(days.from) == "2025-12-31T23:00:00.000000Z" && days.to.timeIntervalSince(days.from) == 86_400, "a whole day in Oslo")
    }

    @Test("every kind of tampering is found and located: a changed, removed or inserted entry, a cut end, a changed manifest, another signer")
    func tampering() async throws {
        let (world, database) = try await history()
        let key = try ServerKey.generate().auditSigningKey()
        let original = folder()
        defer { try? FileManager.default.removeItem(atPath: original) }
        _ = try await AuditExtract(database: database, signingKey: key)
            .writeFolder(at: original, organization: world.id, from: start - 86_400, to: start + 86_400, format: .jsonl, generatedAt: start)
        let lines = try String(contentsOfFile: original + "/entries.jsonl", encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        func tampered(entries: (inout [String]) -> Void = { _ in }, manifest: ((String) -> String)? = nil, signature: String? = nil) throws -> [String] {
            let path = folder()
            defer { try? FileManager.default.removeItem(atPath: path) }
            try FileManager.default.copyItem(atPath: original, toPath: path)
            var changed = lines
            entries(&changed)
            try changed.joined(separator: "\n").write(toFile: path + "/entries.jsonl", atomically: true, encoding: .utf8)
            if let manifest {
                let text = try String(contentsOfFile: path + "/manifest.json", encoding: .utf8)
                try manifest(text).write(toFile: path + "/manifest.json", atomically: true, encoding: .utf8)
            }
            if let signature { try signature.write(toFile: path + "/manifest.sig", atomically: true, encoding: .utf8) }
            return try AuditExtractVerifier.verify(path: path).problems
        }

        #expect(try tampered().isEmpty, "an untouched copy is intact")
        let changed = try tampered { $0[4] = $0[4].replacingOccurrences(of: "\"actor_role\":\"[a-z_]+\"", with: "\"actor_role\":\"intruder\"", options: .regularExpression) }
        #expect(changed.contains("Line 5: Entry 5 was changed after it was written."), "\(changed)")
        let removed = try tampered { $0.remove(at: 2) }
        #expect(removed.contains { $0.hasPrefix("Line 3: Expected entry 3, found entry 4") }, "\(removed)")
        #expect(removed.contains { $0.contains("the manifest says \(lines.count - 1)") })
        let inserted = try tampered { $0.insert($0[1], at: 2) }
        #expect(inserted.contains { $0.hasPrefix("Line 3:") }, "\(inserted)")
        let cut = try tampered { $0.removeLast(2) }
        #expect(cut.contains { $0.contains("entries at the end were changed, removed or added") }, "\(cut)")
        let reordered = try tampered { $0.swapAt(1, 2) }
        #expect(reordered.contains { $0.hasPrefix("Line 2:") }, "\(reordered)")
        let manifest = try tampered(manifest: { $0.replacingOccurrences(of: "\"entry_count\":", with: "\"entry_count\":1") })
        #expect(manifest.contains { $0.contains("signature does not match") }, "\(manifest)")
        let forged = try tampered(signature: Hex.encode(try ServerKey.generate().auditSigningKey().sign(Array(try String(contentsOfFile: original + "/manifest.json", encoding: .utf8).dropLast().utf8))))
        #expect(forged.contains { $0.contains("signature does not match") })
        let garbage = try tampered { $0[0] = "not json" }
        #expect(garbage.contains("Line 1: not an audit entry."))

        #expect(throws: AuditVerifyError.missing("/nonexistent/extract")) { try AuditExtractVerifier.verify(path: "/nonexistent/extract") }
        let noManifest = folder()
        try FileManager.default.createDirectory(atPath: noManifest, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: noManifest) }
        #expect(throws: AuditVerifyError.self) { try AuditExtractVerifier.verify(path: noManifest) }
    }

    @Test("CSV extracts: a changed cell is found; commas, quotes and escaped line breaks in details come back exactly")
    func csvTampering() async throws {
        let (world, database) = try await history()
        // Details with every character CSV must quote (a line break is escaped inside JSON).
        try await database.transaction(.scheduler) { db in
            try db.execute(
                "INSERT INTO audit_entries (organization_id, occurred_at, actor_role, action, subject_type, details) VALUES ($1, $2, 'system', 'test.quoting', 'organization', $3)",
                [world.id, start + 100, "{\"note\":\"a, \\\"quoted\\\"\\nline\"}"])
        }
        let key = try ServerKey.generate().auditSigningKey()
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await AuditExtract(database: database, signingKey: key)
            .writeFolder(at: path, organization: world.id, from: start - 86_400, to: start + 86_400, format: .csv, generatedAt: start)
        #expect(try AuditExtractVerifier.verify(path: path).intact)
        var text = try String(contentsOfFile: path + "/entries.csv", encoding: .utf8)
        #expect(text.contains("\"\"completed\"\"}"))
        text = text.replacingOccurrences(of: "\"\"completed\"\"}", with: "\"\"cancelled\"\"}")
        try text.write(toFile: path + "/entries.csv", atomically: true, encoding: .utf8)
        let problems = try AuditExtractVerifier.verify(path: path).problems
        #expect(problems.contains { $0.contains("was changed after it was written") }, "\(problems)")
    }

    @Test("verify --live: a clean chain says so; a row changed or deleted behind the triggers' back is found by its sequence")
    func live() async throws {
        let (world, database) = try await history()
        let store = AuditExtractStore(database: database)
        let waiting = try await AuditExtractVerifier.verifyLive(store, organization: world.id, pageSize: 3)
        #expect(waiting.intact && waiting.entryCount == 0 && (waiting.unlinked?.unlinked ?? 0) > 10, "nothing linked yet: no chainer ran")
        _ = try await AuditChainStore(database: database).linkBacklog()
        let clean = try await AuditExtractVerifier.verifyLive(store, organization: world.id, pageSize: 3)
        #expect(clean.intact && clean.entryCount > 10 && clean.unlinked?.unlinked == 0)
        try await database.withOwnerConnection { db in
            try db.execute("ALTER TABLE audit_entries DISABLE TRIGGER USER")
            try db.execute("UPDATE audit_entries SET details = '{\"from\":\"read\",\"to\":\"cancelled\"}' WHERE organization_id = $1 AND sequence = 7", [world.id])
            try db.execute("DELETE FROM audit_entries WHERE organization_id = $1 AND sequence = 9", [world.id])
            try db.execute("ALTER TABLE audit_entries ENABLE TRIGGER USER")
        }
        let broken = try await AuditExtractVerifier.verifyLive(store, organization: world.id, pageSize: 3)
        #expect(broken.problems.contains("entry 7 was changed after it was written"), "\(broken.problems)")
        #expect(broken.problems.contains("expected entry 9, found entry 10 (entries are missing or repeated)"))
        #expect(broken.problems.contains { $0.hasPrefix("entry 10 does not follow") })
    }
}

@Suite("Audit extracts across migration 0006")
struct AuditExtractMigrationTests {
    func folder() -> String { NSTemporaryDirectory() + "audit-extract-\(UUID().uuidString)" }

    @Test("an extract of a chain written before and after 0006 verifies; so does the same extract in format 1, with details as strings")
    func oldAndNewFormats() async throws {
        let database = try await TestPostgres.emptyDatabase()
        let organization = try await AuditMigrationHistory.writeBeforeMigration6(in: database)
        try await database.prepareSchema(now: Date())
        try await AuditMigrationHistory.appendAfterMigration6(in: database, organization: organization)
        let key = try ServerKey.generate().auditSigningKey()
        let from = Date(timeIntervalSince1970: 1_789_000_000)
        let to = Date(timeIntervalSince1970: 1_791_000_000)

        for format in AuditExtractFormat.allCases {
            let path = folder()
            defer { try? FileManager.default.removeItem(atPath: path) }
            _ = try await AuditExtract(database: database, signingKey: key).writeFolder(at: path, organization: organization, from: from, to: to, format: format, generatedAt: to)
            let result = try AuditExtractVerifier.verify(path: path, trustedKey: key.publicKeys.signingKey)
            #expect(result.intact && result.entryCount == 4, "\(format): \(result.problems)")
        }

        // Format 2: details are objects; the one old non-canonical text travels as legacy_details.
        let path = folder()
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await AuditExtract(database: database, signingKey: key).writeFolder(at: path, organization: organization, from: from, to: to, format: .jsonl, generatedAt: to)
        let lines = try String(contentsOfFile: path + "/entries.jsonl", encoding: .utf8).split(separator: "\n").map(String.init)
        let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(objects.allSatisfy { $0["details"] is [String: Any] })
        #expect(objects.map { $0["legacy_details"] as? String } == [nil, #"{"from" : null, "to" : "dispatched"}"#, nil, nil])

        // What a format 1 extract of the same chain looked like: details as the hashed text, a string.
        func rewrite(_ change: (inout [String: Any]) -> Void) throws -> AuditVerification {
            let copy = folder()
            defer { try? FileManager.default.removeItem(atPath: copy) }
            try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
            var entries = ""
            for var object in objects {
                change(&object)
                entries += String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self) + "\n"
            }
            try entries.write(toFile: copy + "/entries.jsonl", atomically: true, encoding: .utf8)
            var manifest = try JSONDecoder().decode(AuditManifest.self, from: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json")))
            manifest.format = "assignment-dispatch-audit-extract/1"
            manifest.entriesSHA256 = SHA256.hexHash(Array(entries.utf8))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let manifestBytes = [UInt8](try encoder.encode(manifest))
            try (String(decoding: manifestBytes, as: UTF8.self) + "\n").write(toFile: copy + "/manifest.json", atomically: true, encoding: .utf8)
            try (Hex.encode(key.sign(manifestBytes)) + "\n").write(toFile: copy + "/manifest.sig", atomically: true, encoding: .utf8)
            return try AuditExtractVerifier.verify(path: copy, trustedKey: key.publicKeys.signingKey)
        }
        let formatOne = try rewrite { object in
            let details = object["details"] as! [String: Any]
            let canonical = AuditDetailsJSON(text: String(decoding: try! JSONSerialization.data(withJSONObject: details), as: UTF8.self))!.canonicalText
            object["details"] = (object.removeValue(forKey: "legacy_details") as? String) ?? canonical
        }
        #expect(formatOne.intact, "\(formatOne.problems)")
        // A legacy text that says something else than the object shown is found.
        let mismatch = try rewrite { object in
            if object["legacy_details"] != nil { object["details"] = ["from": "read", "to": "dispatched"] }
        }
        #expect(mismatch.problems.contains { $0.contains("details are not the ones its hash covers") }, "\(mismatch.problems)")
        try await database.close()
    }
}
