import AssignmentCore
import AsyncHTTPClient
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Server
import Storage
import Testing

/// The pages' live updates (docs/web.md, "Live updates"): a status change committed through one
/// server instance reaches an event stream served by another, because the database announces it
/// (LISTEN/NOTIFY), and a stream carries only what its user may see.
@Suite("Live updates across server instances")
struct LiveUpdatesTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    @Test("a change made through one instance reaches a page's event stream on the other; another organisation's change does not; stopping the server ends the stream", .timeLimit(.minutes(3)))
    func acrossInstances() async throws {
        let configuration = try await TestPostgres.databaseConfiguration()
        let clock = self.clock
        func server() async throws -> some ApplicationProtocol {
            try await buildApplication(
                configuration: ServerConfiguration(
                    port: 0, database: configuration, now: { clock.now }, notificationInterval: nil, jobInterval: nil,
                    embeddedDatabaseCheckInterval: nil, auditLinkInterval: nil, liveUpdateInterval: .milliseconds(50)),
                logger: TestPostgres.logger)
        }
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let accounts = AccountStore(database: database)
        let a = try await TestOrganization.make(in: database, at: clock.now)
        let b = try await TestOrganization.make(in: database, at: clock.now, name: "B")
        let seen = try await a.dispatch(at: clock.now)
        let hidden = try await b.dispatch(at: clock.now)
        let mentorToken = try await accounts.issueToken(for: "mentor", in: a.id, lifetime: 86_400, at: clock.now).token
        let session = try #require(
            try await WebSessionStore(database: database).signIn(
                token: try await accounts.issueToken(for: "coord", in: a.id, lifetime: 86_400, at: clock.now).token, language: .en, at: clock.now))

        let first = try await server()
        let second = try await server()
        try await withHTTPClient { http in
            try await first.test(.live) { one in
                // The stream is still open when the second instance stops: the stop does not wait
                // for the browser to go (it would hang here), and the stream ends.
                let rest = try await second.test(.live) { two in
                    // Both instances listen before anything changes: a change committed before a
                    // listener's LISTEN is not announced to it (PostgreSQL keeps no backlog).
                    let deadline = ContinuousClock.now + .seconds(60)
                    while try await Self.listeners(on: database) < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                    #expect(try await Self.listeners(on: database) == 2, "both instances listen")
                    var request = HTTPClientRequest(url: "http://127.0.0.1:\(try #require(two.port))/events")
                    request.headers.add(name: "Cookie", value: "dispatch_session=\(session.secret)")
                    let response = try await http.execute(request, timeout: .seconds(30))
                    #expect(response.status == .ok)
                    #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
                    var body = response.body.makeAsyncIterator()
                    var received = ""
                    while !received.contains("retry:") { received += String(buffer: try #require(try await body.next())) }

                    // B's change first, then A's, both through the first instance.
                    _ = try await b.store.transition(hidden, to: .read, by: b.mentor, at: clock.now)
                    let read = try await one.execute(
                        uri: "/v1/assignments/\(seen)/read", method: .post, headers: [.authorization: "Bearer \(mentorToken)"], body: nil)
                    #expect(read.status == .ok)
                    let expected = #"event: assignment"# + "\n" + #"data: {"id":"\#(seen)","status":"read"}"#
                    let arrival = ContinuousClock.now + .seconds(10)
                    while !received.contains(expected), ContinuousClock.now < arrival {
                        guard let chunk = try await body.next() else { break }
                        received += String(buffer: chunk)
                    }
                    #expect(received.contains(expected), "the change reached the other instance's stream: \(received)")
                    #expect(!received.contains(hidden.description), "another organisation's change never reaches the stream")
                    #expect(!received.contains("Oppdrag"), "the stream carries ids and statuses only")
                    return body
                }
                var ended = rest
                while try await ended.next() != nil {}
            }
        }
        try await database.close()
    }

    /// How many sessions of this database listen for assignment changes.
    static func listeners(on database: Database) async throws -> Int {
        let superuser = try TestPostgres.superuserConnection(to: database)
        defer { superuser.close() }
        return try superuser.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %dispatch_assignment_changed%'"
        ).first!.decode("n", as: Int.self)
    }
}
