import AssignmentCore
import Foundation
import Testing

@Suite("Value types")
struct ValueTests {
    let fixture = DomainFixture()

    @Test("fingerprints parse hex, print groups, and read aloud as six five-digit groups")
    func fingerprints() throws {
        let bytes = (0..<32).map { UInt8($0) }
        let fingerprint = try #require(KeyFingerprint(bytes: bytes))
        #expect(fingerprint.hex == "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
        #expect(KeyFingerprint(hex: fingerprint.hex.uppercased()) == fingerprint)
        #expect(fingerprint.groupedHex.hasPrefix("0001 0203 0405"))
        // Computed separately: int.from_bytes(bytes[5i:5i+5], "big") % 100000, zero-padded.
        #expect(fingerprint.readAloud == ["09060", "60585", "12110", "63635", "15160", "66685"])
        #expect(KeyFingerprint(hex: "zz") == nil)
        #expect(KeyFingerprint(hex: String(repeating: "g", count: 64)) == nil)
        #expect(KeyFingerprint(bytes: [1, 2, 3]) == nil)
        let decoded = try JSONDecoder().decode([KeyFingerprint].self, from: Data("[\"\(fingerprint.hex)\"]".utf8))
        #expect(decoded == [fingerprint])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([KeyFingerprint].self, from: Data("[\"abc\"]".utf8)) }
    }

    @Test("typed identifiers parse only UUIDs and print lowercase")
    func identifiers() throws {
        let id = try #require(AssignmentID("0F1E2D3C-4B5A-6978-8796-A5B4C3D2E1F0"))
        #expect(id.description == "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")
        #expect(AssignmentID("not-a-uuid") == nil)
        #expect(AssignmentID("'; DROP TABLE assignments; --") == nil)
    }

    @Test("timestamps out of order are refused")
    func timestampOrder() throws {
        try TimestampOrder.check(fixture.assignment(in: .completed))
        var skipped = fixture.assignment(in: .read)
        skipped.deliveredAt = nil
        #expect(throws: DomainError.timestampNotMonotonic) { try TimestampOrder.check(skipped) }
        var backwards = fixture.assignment(in: .acknowledged)
        backwards.acknowledgedAt = backwards.readAt! - 1
        #expect(throws: DomainError.timestampNotMonotonic) { try TimestampOrder.check(backwards) }
        var earlyContact = fixture.assignment(in: .read)
        earlyContact.contactMadeAt = earlyContact.readAt! - 1
        #expect(throws: DomainError.timestampNotMonotonic) { try TimestampOrder.check(earlyContact) }
    }

    @Test("the payload is withheld when cancelled, expired, destroyed, or before consent")
    func payloadAccess() throws {
        let now = DomainFixture.epoch + 86_400
        try PayloadAccess.check(fixture.assignment(in: .delivered), at: now)
        #expect(throws: DomainError.payloadCancelled) { try PayloadAccess.check(fixture.assignment(in: .cancelled), at: now) }
        #expect(throws: DomainError.payloadExpired) { try PayloadAccess.check(fixture.assignment(in: .expired), at: now) }
        #expect(throws: DomainError.payloadExpired) {
            try PayloadAccess.check(fixture.assignment(in: .delivered, expiresAt: now), at: now)
        }
        var destroyed = fixture.assignment(in: .read)
        destroyed.payloadDestroyedAt = now
        #expect(throws: DomainError.payloadDestroyed) { try PayloadAccess.check(destroyed, at: now) }
        var consent = fixture.assignment(in: .dispatched)
        consent.requiresConsent = true
        #expect(throws: DomainError.consentRequired) { try PayloadAccess.check(consent, at: now) }
        consent.consentGivenAt = now
        try PayloadAccess.check(consent, at: now)
    }

    @Test("every domain error has a distinct stable code and a message")
    func errorCodes() {
        let samples = DomainError.oneOfEach
        #expect(Set(samples.map(\.code)).count == samples.count)
        #expect(samples.allSatisfy { $0.code.allSatisfy { $0.isLowercase || $0 == "_" } && !$0.message.isEmpty })
    }

    @Test("the case payload encodes with snake_case keys and a version")
    func casePayload() throws {
        let payload = CasePayload(contactName: "Kari", address: "Gate 1", epikrise: "Notat")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(payload), as: UTF8.self)
        #expect(json == #"{"address":"Gate 1","contact_name":"Kari","epikrise":"Notat","version":1}"#)
        #expect(try JSONDecoder().decode(CasePayload.self, from: Data(json.utf8)) == payload)
    }
}
