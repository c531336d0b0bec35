import AssignmentCore
import AsyncHTTPClient
import Envelope
import Foundation
import Logging
import NIOCore
import Postgres
import Server
import Storage

/// A calendar app's poll of a feed with 50 open assignments: the conditional request answered
/// `304` (what nearly every poll is) and the full `200`, each against the same server's cheapest
/// endpoints in the same run, in alternation: `/metrics` (no database) and `/healthz` (one
/// trivial statement).
struct FeedBenchmark {
    struct Result: Sendable, Encodable {
        var connections: Int
        var openAssignments: Int
        var notModified: HTTPLoad.Result
        var full: HTTPLoad.Result
        var metrics: HTTPLoad.Result
        var health: HTTPLoad.Result

        enum CodingKeys: String, CodingKey {
            case connections, full, metrics, health
            case openAssignments = "open_assignments"
            case notModified = "not_modified"
        }
    }

    let database: Database
    let server: ServerConfiguration
    var connections = 16
    var duration: Duration = .seconds(5)
    var rounds = 3
    var openAssignments = 50

    func run(logger: Logger, progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        let time = Date()
        let world = try await BenchmarkOrganization.make(named: "Feed benchmark", database: database, at: time)
        let store = AssignmentStore(database: database)
        for index in 0..<openAssignments {
            let id = AssignmentID(UUID())
            let envelope = try world.seal(Array(#"{"contact_name":"Kari","version":1}"#.utf8), for: id.uuid)
            _ = try await store.dispatch(
                DispatchSubmission(id: id, recipientID: world.mentor.id, title: "Oppdrag \(index)", envelope: envelope.serialized), by: world.coordinator.context, at: time)
        }
        let feed = try await FeedStore(database: database).issue(for: "mentor", in: world.organization.id, language: nil, serverKeyVersion: 1, at: time)
        let path = "/feeds/\(feed.token).ics"

        let connections = connections, duration = duration, rounds = rounds, openAssignments = openAssignments
        return try await BenchmarkServer.serving(server, logger: logger) { base in
            let load = HTTPLoad(connections: connections)
            do {
                let first = try await load.client.execute(HTTPClientRequest(url: base + path), timeout: .seconds(10))
                let body = try await first.body.collect(upTo: 1 << 22)
                guard first.status == .ok, let tag = first.headers.first(name: "etag"),
                    String(buffer: body).components(separatedBy: "BEGIN:VEVENT").count - 1 >= openAssignments
                else { throw BenchmarkError.unexpectedAnswer("the feed answered \(first.status) without an event for each of \(openAssignments) assignments") }
                @Sendable func get(_ path: String, ifNoneMatch: String? = nil) -> HTTPClientRequest {
                    var request = HTTPClientRequest(url: base + path)
                    if let ifNoneMatch { request.headers.add(name: "If-None-Match", value: ifNoneMatch) }
                    return request
                }
                var notModified: [HTTPLoad.Result] = [], full: [HTTPLoad.Result] = [], metrics: [HTTPLoad.Result] = [], health: [HTTPLoad.Result] = []
                for round in 0..<rounds {
                    progress("Feeds, round \(round + 1) of \(rounds): 304, /metrics, /healthz, 200…")
                    notModified.append(try await load.closedLoop(connections: connections, duration: duration, expecting: .notModified) { _ in get(path, ifNoneMatch: tag) })
                    metrics.append(try await load.closedLoop(connections: connections, duration: duration, expecting: .ok) { _ in get("/metrics") })
                    health.append(try await load.closedLoop(connections: connections, duration: duration, expecting: .ok) { _ in get("/healthz") })
                    full.append(try await load.closedLoop(connections: connections, duration: duration, expecting: .ok) { _ in get(path) })
                }
                try await load.shutdown()
                func median(_ results: [HTTPLoad.Result]) -> HTTPLoad.Result { results.sorted { $0.perSecond < $1.perSecond }[results.count / 2] }
                return Result(
                    connections: connections, openAssignments: openAssignments, notModified: median(notModified), full: median(full),
                    metrics: median(metrics), health: median(health))
            } catch {
                try? await load.shutdown()
                throw error
            }
        }
    }
}
