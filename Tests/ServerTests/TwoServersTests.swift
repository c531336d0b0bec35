import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Server
import Storage
import Testing

/// Two server instances on one database, each with its job runner and notification delivery on,
/// as a deployment behind a load balancer runs them. On a cluster of its own: a 10-day jump on the
/// shared test cluster would make other tests' assignments due.
@Suite("Two servers on one database")
struct TwoServersTests {
    @Test("under load and across a 10-day jump, with both job runners on: every reminder is sent exactly once and every notification reaches the webhook exactly once")
    func remindersAndNotificationsExactlyOnce() async throws {
        let folder = "/tmp/dispatch-two-servers-\(UUID().uuidString.prefix(8))"
        defer { DatabaseOutageTests.remove(folder) }
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))
        let serverKey = try ServerKey.generate()
        let keyring = folder + "/erasure.keyring"
        func server(_ location: DatabaseConfiguration.Location) async throws -> some ApplicationProtocol {
            try await buildApplication(
                configuration: ServerConfiguration(
                    port: 0,
                    database: DatabaseConfiguration(
                        location: location, scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: keyring, maximumConnections: 4),
                    now: { clock.now }, serverKey: serverKey, notificationInterval: .milliseconds(40), jobInterval: .milliseconds(40)),
                logger: TestPostgres.logger)
        }
        let first = try await server(.embedded(dataDirectory: folder, binDirectory: nil))
        let cluster = try ManagedCluster(dataDirectory: folder, logger: TestPostgres.logger)
        let second = try await server(.external(connectionString: cluster.applicationConnectionString(), ownerConnectionString: cluster.ownerConnectionString()))
        let database = try await Database.open(
            DatabaseConfiguration(
                location: .external(connectionString: cluster.applicationConnectionString(), ownerConnectionString: cluster.ownerConnectionString()),
                scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: keyring, maximumConnections: 2),
            logger: TestPostgres.logger)
        let receiver = NotificationDeliveryTests.Receiver()
        let beforeJump = 120, afterJump = 60

        let (reminders, reminded, notifications, undelivered) = try await NotificationDeliveryTests().receiverApplication(receiver).test(.live) { hook in
        try await first.test(.live) { one in
        try await second.test(.live) { two in
            let accounts = AccountStore(database: database)
            let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
            _ = try await accounts.setWebhook(
                of: world.organization.id, url: "http://127.0.0.1:\(try #require(hook.port))/hook", rotateSecret: false, serverKeyVersion: 1, at: clock.now)
            try await world.registerDevices(one)

            /// Dispatches `count` assignments, alternating between the two servers, eight at a time.
            func dispatch(_ count: Int, as token: String) async throws -> [AssignmentID] {
                try await withThrowingTaskGroup(of: AssignmentID.self) { group in
                    for index in 0..<count {
                        if index >= 8 { _ = try await group.next() }
                        group.addTask {
                            let id = AssignmentID(UUID())
                            let body = try world.dispatchBody(id: id)
                            let response = index % 2 == 0
                                ? try await world.post(one, "/v1/assignments", body: body, as: token)
                                : try await world.post(two, "/v1/assignments", body: body, as: token)
                            guard response.status == .created else { throw TestFailure("dispatch answered \(response.status)") }
                            return id
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
            }
            _ = try await dispatch(beforeJump, as: world.coordinatorToken)
            // Time passes: what was being delivered is delivered before the ten days are over. (A
            // delivery still in flight when the clock jumps would outlive its lease, and be sent
            // again: delivery is at least once, docs/notifications.md.)
            let settled = ContinuousClock.now + .seconds(60)
            while await receiver.deliveries.count < beforeJump && ContinuousClock.now < settled { try await Task.sleep(for: .milliseconds(100)) }
            // Ten days later, with new dispatches still arriving at both servers while both runners work.
            clock.advance(by: 10 * 86_400 + 60)
            // (The day-long token of before has expired; the coordinator signs in again.)
            let token = try await accounts.issueToken(for: "coord", in: world.organization.id, lifetime: 86_400, at: clock.now).token
            _ = try await dispatch(afterJump, as: token)

            let expectedNotifications = beforeJump + afterJump + 2 * beforeJump  // one per dispatch, two per reminder
            var delivered = 0
            let deadline = ContinuousClock.now + .seconds(120)
            while delivered < expectedNotifications && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
                delivered = await receiver.deliveries.count
            }
            // Some more passes of both runners: nothing may be sent again.
            try await Task.sleep(for: .milliseconds(600))
            // (Counted while the first server, which owns the embedded database, still runs.)
            return try await database.withOwnerConnection { db in
                (try db.query("SELECT count(*) AS n FROM assignment_reminders").first!.decode("n", as: Int.self),
                 try db.query("SELECT count(*) AS n FROM assignments WHERE reminder_count = 1").first!.decode("n", as: Int.self),
                 try db.query("SELECT count(*) AS n FROM notifications").first!.decode("n", as: Int.self),
                 try db.query("SELECT count(*) AS n FROM notifications WHERE status <> 'delivered'").first!.decode("n", as: Int.self))
            }
        }
        }
        }
        try await database.close()
        #expect(reminders == beforeJump, "one reminder for each assignment dispatched before the jump, none for those after")
        #expect(reminded == beforeJump)
        #expect(notifications == beforeJump + afterJump + 2 * beforeJump)
        #expect(undelivered == 0)
        let deliveries = await receiver.deliveries.compactMap(\.notificationID)
        #expect(deliveries.count == notifications, "the webhook got every notification")
        #expect(Set(deliveries).count == deliveries.count, "and none twice")
    }
}
