import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Storage
import Testing

@Suite("Accounts and tokens")
struct AccountStoreTests {
    let now = StorageFixtures.start

    @Test("organisations, local associations and users are created once, with clear errors for duplicates")
    func creation() async throws {
        let database = try await TestPostgres.database()
        let store = AccountStore(database: database)
        let org = try await store.createOrganization(name: "Blindeforbundet", at: now)
        #expect(org.settings == OrganizationSettings())
        await #expect(throws: AccountError.organizationExists("BLINDEFORBUNDET")) { try await store.createOrganization(name: "BLINDEFORBUNDET", at: now) }
        #expect(try await store.organization("blindeforbundet").id == org.id)
        #expect(try await store.organization(org.id.description).name == "Blindeforbundet")
        await #expect(throws: AccountError.organizationNotFound("Nowhere")) { try await store.organization("Nowhere") }

        let oslo = try await store.createLocalAssociation(in: org.id, name: "Oslo", at: now)
        await #expect(throws: AccountError.localAssociationExists("Oslo")) { try await store.createLocalAssociation(in: org.id, name: "Oslo", at: now) }
        let coordinator = try await store.addUser(to: org.id, handle: "kari.k", role: .coordinator, localAssociation: "oslo", at: now)
        #expect(coordinator.localAssociationID == oslo)
        #expect(coordinator.status == .active)
        await #expect(throws: AccountError.handleTaken("kari.k")) { try await store.addUser(to: org.id, handle: "kari.k", role: .peerMentor, at: now) }
        await #expect(throws: AccountError.handleInvalid("Kari Nordmann")) { try await store.addUser(to: org.id, handle: "Kari Nordmann", role: .peerMentor, at: now) }
        await #expect(throws: AccountError.localAssociationNotFound("Bergen")) {
            try await store.addUser(to: org.id, handle: "ola", role: .peerMentor, localAssociation: "Bergen", at: now)
        }
        _ = try await AuditChainStore(database: database).linkBacklog()
        let actions = try await database.transaction(.scheduler) { db in
            try AuditChain.entries(of: org.id, on: db).map(\.action)
        }
        #expect(actions == ["organization.created", "local_association.created", "user.created"])
        try await database.close()
    }

    @Test("settings are validated and stored")
    func settings() async throws {
        let database = try await TestPostgres.database()
        let store = AccountStore(database: database)
        let org = try await store.createOrganization(name: "Org", at: now)
        var settings = org.settings
        settings.encryptedAssignmentsEnabled = false
        settings.reminderAfterDays = 7
        settings.honorariumTiers = [5, 10, 20]
        settings.honorariumCountingStatus = .acknowledged
        #expect(try await store.updateSettings(of: org.id, to: settings, at: now).settings == settings)
        settings.reminderAfterDays = 0
        await #expect(throws: DomainError.settingInvalid(name: "reminder_after_days", problem: "must be between 1 and 365")) {
            try await store.updateSettings(of: org.id, to: settings, at: now)
        }
        #expect(try await store.organization("Org").settings.reminderAfterDays == 7)
        try await database.close()
    }

    @Test("a token authenticates its user until it expires or is revoked, and only its hash is stored")
    func tokens() async throws {
        let database = try await TestPostgres.database()
        let store = AccountStore(database: database)
        let org = try await store.createOrganization(name: "Org", at: now)
        let mentor = try await store.addUser(to: org.id, handle: "likeperson1", role: .peerMentor, at: now)
        let issued = try await store.issueToken(for: "likeperson1", in: org.id, lifetime: 86_400, at: now)
        #expect(issued.token.hasPrefix("adt_") && issued.token.count == 47)
        #expect(try await store.authenticate(token: issued.token, at: now + 60) == mentor)
        #expect(try await store.authenticate(token: issued.token, at: now + 86_400) == nil, "expired")
        let otherLast: Character = issued.token.last == "B" ? "C" : "B"
        #expect(try await store.authenticate(token: issued.token.dropLast() + String(otherLast), at: now) == nil, "one character different")
        for junk in ["", "adt_", "Bearer x", String(repeating: "a", count: 10_000), "adt_" + String(repeating: "'", count: 43)] {
            #expect(try await store.authenticate(token: junk, at: now) == nil)
        }
        let stored = try await database.withOwnerConnection { db in
            try db.query("SELECT count(*) AS n FROM api_tokens WHERE position(convert_to($1, 'UTF8') IN token_hash) > 0 OR label = $1", [issued.token]).first!.decode("n", as: Int.self)
        }
        #expect(stored == 0)
        try await store.revokeToken(issued.id, in: org.id, at: now + 120)
        #expect(try await store.authenticate(token: issued.token, at: now + 180) == nil, "revoked")
        await #expect(throws: AccountError.tokenNotFound) { try await store.revokeToken(issued.id, in: org.id, at: now + 240) }
        await #expect(throws: AccountError.lifetimeInvalid) { try await store.issueToken(for: "likeperson1", in: org.id, lifetime: 60, at: now) }
        try await database.close()
    }

    @Test("pausing keeps access, deactivating ends it and revokes tokens, reactivating does not bring them back")
    func userStatus() async throws {
        let database = try await TestPostgres.database()
        let store = AccountStore(database: database)
        let org = try await store.createOrganization(name: "Org", at: now)
        _ = try await store.addUser(to: org.id, handle: "ola", role: .peerMentor, at: now)
        let token = try await store.issueToken(for: "ola", in: org.id, lifetime: 86_400, at: now).token
        #expect(try await store.setStatus(of: "ola", in: org.id, to: .paused, at: now).status == .paused)
        #expect(try await store.authenticate(token: token, at: now)?.status == .paused)
        _ = try await store.setStatus(of: "ola", in: org.id, to: .deactivated, at: now)
        #expect(try await store.authenticate(token: token, at: now) == nil)
        await #expect(throws: AccountError.userDeactivated("ola")) { try await store.issueToken(for: "ola", in: org.id, lifetime: 86_400, at: now) }
        _ = try await store.setStatus(of: "ola", in: org.id, to: .active, at: now)
        #expect(try await store.authenticate(token: token, at: now) == nil)
        await #expect(throws: AccountError.userNotFound("nobody")) { try await store.setStatus(of: "nobody", in: org.id, to: .paused, at: now) }
        try await database.close()
    }
}
