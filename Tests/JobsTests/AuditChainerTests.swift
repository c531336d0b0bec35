import AssignmentCore
import DatabaseTestSupport
import Foundation
import Jobs
import Logging
import ServiceLifecycle
import Storage
import Testing

/// The chainer as `dispatch serve` runs it: in a service group, linking what was written, and
/// linking the rest when the group stops.
@Suite("Audit chainer")
struct AuditChainerTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)

    @Test("the chainer links what writers append, and its last pass at shutdown leaves nothing unlinked")
    func linksAndDrainsAtShutdown() async throws {
        let world = try await TestOrganization.make(in: try await TestPostgres.database(), at: start)
        let store = AuditChainStore(database: world.database)
        for minute in 0..<3 { _ = try await world.dispatch(at: start + Double(minute) * 60) }
        #expect(try await store.backlog(of: world.id).unlinked > 0)

        // A pass at start, then none for an hour: only the first pass and the last one link.
        let chainer = AuditChainer(store: store, interval: .seconds(3_600), logger: Logger(label: "test"))
        let group = ServiceGroup(configuration: .init(services: [.init(service: chainer)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(30)
            while try await store.backlog(of: world.id).unlinked > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await store.backlog(of: world.id).unlinked == 0, "the first pass linked everything written before it")
            for minute in 3..<5 { _ = try await world.dispatch(at: start + Double(minute) * 60) }
            let waiting = try await store.backlog(of: world.id)
            #expect(waiting.unlinked > 0)
            #expect(waiting.oldestOccurredAt == start + 180)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try await store.backlog(of: world.id).unlinked == 0, "the last pass linked what was written since")
        let chain = try await world.database.transaction(.scheduler) { try AuditChain.entries(of: world.id, on: $0) }
        #expect(AuditChain.verify(chain).isEmpty)
        #expect(chain.filter { $0.action == "assignment.created" }.count == 5)
    }
}
