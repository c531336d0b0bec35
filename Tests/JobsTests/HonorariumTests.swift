import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Storage
import Testing

/// Honorarium counting on real rows: tiers once, under races too, and corrections.
@Suite("Honorarium")
struct HonorariumTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    /// An organisation counting at `status`, with its honorarium store.
    func world(countAt status: AssignmentStatus = .completed) async throws -> (TestOrganization, HonorariumStore) {
        let database = try await TestPostgres.database(maximumConnections: 8)
        let world = try await TestOrganization.make(in: database, at: start) { $0.honorariumCountingStatus = status }
        return (world, HonorariumStore(database: database))
    }

    func acknowledged(_ world: TestOrganization, eligible: Bool = true) async throws -> AssignmentID {
        try await world.acknowledged(at: start, honorariumEligible: eligible)
    }

    @Test("the 3rd and the 15th completion each record one tier event and tell the admins; ineligible ones do not count")
    func tiers() async throws {
        let (world, honorarium) = try await world()
        _ = try await world.store.transition(try await acknowledged(world, eligible: false), to: .completed, by: world.mentor, at: start + 200)
        for number in 1...16 {
            let id = try await acknowledged(world)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: start + 200 + Double(number))
            let statement = try await honorarium.statement(of: "mentor", period: nil, as: world.mentor, at: start + 300)
            #expect(statement.counted == number)
            #expect(statement.tierReached == (number >= 15 ? 15 : number >= 3 ? 3 : nil))
        }
        let statement = try await honorarium.statement(of: "mentor", period: "2026", as: world.coordinator, at: start + 300)
        #expect(statement.tierEvents.map(\.tier) == [3, 15])
        #expect(statement.entries.map(\.number) == Array(1...16))
        #expect(statement.nextTier == nil)
        #expect(try await world.count("SELECT count(*) AS n FROM notifications WHERE kind = 'honorarium_tier_reached'") == 2)
        #expect(try await world.count("SELECT count(*) AS n FROM audit_entries WHERE action = 'honorarium.tier_reached'") == 2)
    }

    @Test("20 completions racing each other: every number once, each tier exactly once")
    func race() async throws {
        let (world, honorarium) = try await world()
        var ids: [AssignmentID] = []
        for _ in 0..<20 { ids.append(try await acknowledged(world)) }
        let store = world.store
        let mentor = world.mentor
        let time = start + 1000
        try await withThrowingTaskGroup(of: Void.self) { group in
            for id in ids { group.addTask { _ = try await store.transition(id, to: .completed, by: mentor, at: time) } }
            try await group.waitForAll()
        }
        let statement = try await honorarium.statement(of: "mentor", period: nil, as: world.admin, at: time)
        #expect(statement.counted == 20)
        #expect(Set(statement.entries.map(\.number)) == Set(1...20), "no number skipped or doubled")
        #expect(statement.tierEvents.map(\.tier).sorted() == [3, 15])
    }

    @Test("a correction takes the count down, reverses tiers no longer reached (kept, marked) and is audited; a new completion crosses again")
    func correction() async throws {
        let (world, honorarium) = try await world()
        var ids: [AssignmentID] = []
        for index in 0..<15 {
            let id = try await acknowledged(world)
            _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: start + 200 + Double(index))
            ids.append(id)
        }
        await #expect(throws: HonorariumError.adminRequired) { try await honorarium.void(ids[0], reason: "Counted by mistake", by: world.coordinator, at: start + 500) }
        let voided = try await honorarium.void(ids[0], reason: "Counted by mistake", by: world.admin, at: start + 500)
        #expect(voided.counted == 14)
        #expect(voided.tierReached == 3)
        #expect(voided.tierEvents.first { $0.tier == 15 }?.reversedAt == start + 500)
        #expect(voided.tierEvents.first { $0.tier == 15 }?.reversalReason == "Counted by mistake")
        #expect(voided.tierEvents.first { $0.tier == 3 }?.reversedAt == nil)
        #expect(voided.entries.first { $0.assignmentID == ids[0] }?.voidedAt != nil)
        await #expect(throws: HonorariumError.alreadyVoided) { try await honorarium.void(ids[0], reason: "Again", by: world.admin, at: start + 501) }
        let notCounted = try await acknowledged(world)
        await #expect(throws: HonorariumError.notCounted) { try await honorarium.void(notCounted, reason: "x", by: world.admin, at: start + 502) }
        await #expect { try await honorarium.void(ids[1], reason: "Ring 41234567", by: world.admin, at: start + 503) } throws: {
            ($0 as? DomainError)?.code == "personal_data_in_text"
        }
        #expect(try await world.count("SELECT count(*) AS n FROM audit_entries WHERE action = 'honorarium.voided'") == 1)

        _ = try await world.store.transition(notCounted, to: .completed, by: world.mentor, at: start + 600)
        let again = try await honorarium.statement(of: "mentor", period: nil, as: world.mentor, at: start + 600)
        #expect(again.counted == 15)
        #expect(again.tierEvents.filter { $0.tier == 15 }.count == 2, "the reversed event is kept, a new one recorded")
        #expect(again.tierEvents.filter { $0.tier == 15 && $0.reversedAt == nil }.count == 1)
    }

    @Test("where the organisation counts at acknowledgement, completion does not count again")
    func acknowledgedCounts() async throws {
        let (world, honorarium) = try await world(countAt: .acknowledged)
        let id = try await acknowledged(world)
        #expect(try await honorarium.statement(of: "mentor", period: nil, as: world.mentor, at: start + 200).counted == 1)
        _ = try await world.store.transition(id, to: .completed, by: world.mentor, at: start + 300)
        #expect(try await honorarium.statement(of: "mentor", period: nil, as: world.mentor, at: start + 300).counted == 1)
    }

    @Test("a peer mentor sees only their own statement; another organisation sees nothing")
    func privacy() async throws {
        let (world, honorarium) = try await world()
        let accounts = AccountStore(database: world.database)
        let other = try await accounts.addUser(to: world.id, handle: "mentor2", role: .peerMentor, at: start).context
        await #expect(throws: DomainError.notFound) { try await honorarium.statement(of: "mentor", period: nil, as: other, at: start) }
        let foreign = try await accounts.createOrganization(name: "Other", at: start)
        let stranger = try await accounts.addUser(to: foreign.id, handle: "admin", role: .organizationAdmin, at: start).context
        await #expect(throws: AccountError.self) { try await honorarium.statement(of: world.mentor.userID.description, period: nil, as: stranger, at: start) }
        await #expect(throws: HonorariumError.periodInvalid) { try await honorarium.statement(of: "mentor", period: "20x6", as: world.mentor, at: start) }
    }
}
