import AssignmentCore
import DatabaseTestSupport
import Foundation
import Storage
import Testing

/// The server only ever holds ciphertext: a unique marker planted in a payload appears in no
/// column of any table, text or bytes, after the assignment has been dispatched, moved and cancelled.
@Suite("No plaintext in the database")
struct PlaintextMarkerTests {
    @Test("a payload's marker is found nowhere in the database")
    func markerNowhere() async throws {
        let database = try await TestPostgres.database()
        let org = try await StorageFixtures.seedOrganization(in: database)
        let marker = "MARKER\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let payload = #"{"contact_name":"Kari \#(marker)","address":"Gate \#(marker)","epikrise":"\#(marker)","version":1}"#
        let kept = try await StorageFixtures.dispatch(in: database, organization: org, payload: payload)
        let cancelled = try await StorageFixtures.dispatch(in: database, organization: org, payload: payload)
        try await StorageFixtures.move(kept, to: .read, in: database, organization: org, actor: .user(org.peerMentor), at: StorageFixtures.start + 60)
        try await StorageFixtures.move(cancelled, to: .cancelled, in: database, organization: org, actor: .user(org.coordinator), at: StorageFixtures.start + 60, reason: "Duplicate")

        let (hits, searched) = try await PlaintextSearch.columns(containing: marker, in: database)
        #expect(searched > 20, "the search covers the schema")
        #expect(hits.isEmpty, "the marker was found in \(hits)")
        try await database.close()
    }
}
