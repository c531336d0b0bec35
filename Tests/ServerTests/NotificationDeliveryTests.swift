import AssignmentCore
import AsyncHTTPClient
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import Jobs
import HummingbirdTesting
import Logging
import Postgres
import Server
import Storage
import Testing

/// The outbox through the real webhook channel, to a real HTTP receiver on this machine.
@Suite("Notification delivery")
struct NotificationDeliveryTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    /// A webhook receiver: records what it is sent, answers with the statuses it is told to.
    actor Receiver {
        struct Delivery: Sendable {
            var signature: String?
            var notificationID: String?
            var body: [UInt8]
        }
        var deliveries: [Delivery] = []
        var answers: [HTTPResponse.Status] = []

        func answer(_ statuses: [HTTPResponse.Status]) { answers = statuses }
        func receive(_ delivery: Delivery) -> HTTPResponse.Status {
            deliveries.append(delivery)
            return answers.isEmpty ? .noContent : answers.removeFirst()
        }
    }

    func receiverApplication(_ receiver: Receiver) -> some ApplicationProtocol {
        let router = Router()
        router.post("/hook") { request, context -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let status = await receiver.receive(.init(
                signature: request.headers.first { $0.name.canonicalName == "dispatch-signature" }?.value,
                notificationID: request.headers.first { $0.name.canonicalName == "dispatch-notification-id" }?.value,
                body: Array(buffer: body)))
            return Response(status: status)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test("every status change reaches the webhook, signed, with ids and a generic text only; failures retry, then dead-letter")
    func webhook() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let marker = "MARKER\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock, payload: #"{"contact_name":"\#(marker)"}"#)
        let database = accounts.database
        let serverKey = try ServerKey.generate()
        let receiver = Receiver()
        let notifications = NotificationStore(database: database)
        let clock = self.clock

        try await withHTTPClient { httpClient in
        try await receiverApplication(receiver).test(.live) { hookClient in
            let port = try #require(hookClient.port)
            let setting = try await accounts.setWebhook(of: world.organization.id, url: "http://127.0.0.1:\(port)/hook", rotateSecret: false, serverKeyVersion: 1, at: clock.now)
            let secret = try serverKey.webhookSecret(organization: world.organization.id.uuid, version: setting.secretVersion, serverKeyVersion: 1)
            let service = NotificationDeliveryJob(
                notifications: notifications,
                channel: OrganizationNotificationChannel(
                    webhook: WebhookNotificationChannel(httpClient: httpClient, serverKey: serverKey), log: LogNotificationChannel(logger: TestPostgres.logger)),
                now: { clock.now }, logger: TestPostgres.logger)

            let id = AssignmentID(UUID())
            try await application.test(.router) { client in
                try await world.registerDevices(client)
                #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id, title: "Oppdrag \(marker.prefix(0))42"), as: world.coordinatorToken).status == .created)
                var headers = HTTPFields()
                headers[.authorization] = "Bearer \(world.mentorToken)"
                clock.advance(by: 1)
                _ = try await client.execute(uri: "/v1/assignments/\(id)/envelope?device=\(world.mentorDevice.fingerprint.hex)", method: .get, headers: headers)
                for step in ["read", "acknowledge", "contact"] {
                    clock.advance(by: 1)
                    #expect(try await world.post(client, "/v1/assignments/\(id)/\(step)", body: "", as: world.mentorToken).status == .ok, "\(step)")
                }
            }
            let report = try await service.deliverDue()
            #expect(report.delivered == 5)
            let deliveries = await receiver.deliveries
            let kinds = try deliveries.map { delivery in
                let header = try #require(delivery.signature)
                #expect(WebhookSignature.isValid(header: header, body: delivery.body, secret: secret, now: clock.now))
                #expect(!WebhookSignature.isValid(header: header, body: delivery.body, secret: try serverKey.webhookSecret(organization: world.organization.id.uuid, version: 2, serverKeyVersion: 1), now: clock.now))
                let json = try #require(try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: Any])
                #expect(json["notification_id"] == nil && json["id"] as? String == delivery.notificationID)
                #expect(json["assignment_id"] as? String == id.description)
                #expect(Set(json.keys) == ["id", "kind", "organization_id", "assignment_id", "recipient_user_id", "created_at", "attempt", "text"])
                #expect(!String(decoding: delivery.body, as: UTF8.self).contains("Oppdrag"), "no title in a notification")
                return json["kind"] as? String ?? ""
            }
            #expect(kinds == ["assignment_dispatched", "assignment_delivered", "assignment_read", "assignment_acknowledged", "assignment_contact_made"])
            #expect(try await service.deliverDue().attempted == 0, "delivered ones are not sent again")

            // A receiver that fails: retried with backoff, then dead-lettered and audited.
            await receiver.answer(Array(repeating: .serviceUnavailable, count: 20))
            let completion = try await AssignmentStore(database: database).transition(id, to: .completed, by: world.mentor, at: clock.now)
            #expect(completion.status == .completed)
            var attempts = 0
            for _ in 0..<12 {
                attempts += try await service.deliverDue().attempted
                clock.advance(by: 6 * 3600 + 1)
            }
            #expect(attempts == NotificationRetryPolicy().maximumAttempts)
            let dead = try await notifications.notifications(of: world.organization.id, status: "dead")
            #expect(dead.count == 1)
            #expect(dead.first?.lastError == "http_503")
            #expect(dead.first?.kind == "assignment_completed")
            #expect(try await count("SELECT count(*) AS n FROM audit_entries WHERE action = 'notification.dead_lettered'", database) == 1)

            // Fixed receiver: an admin requeues, and it arrives.
            await receiver.answer([])
            #expect(try await notifications.requeueDead(of: world.organization.id, at: clock.now) == 1)
            #expect(try await service.deliverDue().delivered == 1)
            let all = await receiver.deliveries
            #expect(!all.contains { String(decoding: $0.body, as: UTF8.self).contains(marker) })
        }
        }
    }

    @Test("two delivery services at once never take the same notification")
    func concurrentClaims() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        let database = accounts.database
        try await application.test(.router) { client in
            try await world.registerDevices(client)
            for _ in 0..<40 {
                #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: AssignmentID(UUID())), as: world.coordinatorToken).status == .created)
            }
        }
        let notifications = NotificationStore(database: database)
        let now = clock.now
        let claimed = try await withThrowingTaskGroup(of: [UUID].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var mine: [UUID] = []
                    while true {
                        let batch = try await notifications.claimDue(at: now, limit: 3, lease: 600)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == 40)
        #expect(Set(claimed).count == 40, "no notification was taken twice")
    }

    @Test("the server's own delivery service delivers the outbox while it runs")
    func serviceInsideTheServer() async throws {
        let databaseConfiguration = try await TestPostgres.databaseConfiguration()
        let log = LogRecorder()
        let clock = self.clock
        let application = try await buildApplication(
            configuration: ServerConfiguration(port: 0, database: databaseConfiguration, now: { clock.now }, notificationInterval: .milliseconds(50)),
            logger: log.logger())
        let database = try await Database.open(databaseConfiguration, logger: TestPostgres.logger)
        let accounts = AccountStore(database: database)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        try await application.test(.live) { client in
            try await world.registerDevices(client)
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: AssignmentID(UUID())), as: world.coordinatorToken).status == .created)
            var delivered: [NotificationRecord] = []
            for _ in 0..<100 {
                delivered = try await NotificationStore(database: database).notifications(of: world.organization.id, status: "delivered")
                if !delivered.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(delivered.map(\.kind) == ["assignment_dispatched"])
            #expect(log.text.contains("kind=assignment_dispatched"), "no webhook: the log channel")
        }
        try await database.close()
    }

    @Test("the server's own job runner sends reminders that fall due while it runs")
    func jobsInsideTheServer() async throws {
        let databaseConfiguration = try await TestPostgres.databaseConfiguration()
        let clock = self.clock
        let application = try await buildApplication(
            configuration: ServerConfiguration(
                port: 0, database: databaseConfiguration, now: { clock.now }, notificationInterval: nil, jobInterval: .milliseconds(50)),
            logger: TestPostgres.logger)
        let database = try await Database.open(databaseConfiguration, logger: TestPostgres.logger)
        let world = try await DispatchWorld.make(accounts: AccountStore(database: database), clock: clock)
        try await application.test(.live) { client in
            try await world.registerDevices(client)
            let id = AssignmentID(UUID())
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: id), as: world.coordinatorToken).status == .created)
            clock.advance(by: 10 * 86_400)
            var reminded = 0
            for _ in 0..<100 {
                reminded = try await AssignmentStore(database: database).assignment(id, as: world.coordinator).reminderCount
                if reminded > 0 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(reminded == 1)
        }
        try await database.close()
    }
}
