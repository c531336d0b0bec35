import AssignmentCore
import AsyncHTTPClient
import Envelope
import Foundation
import Logging
import NIOCore
import Postgres
import Server
import Storage

/// Dispatches over HTTP against `pgbench` running the same SQL (``DispatchBaseline``), in
/// alternation: the highest rate the service sustains with `connections` clients (closed loop),
/// pgbench's rate with as many connections, and then the latency at half the service's highest
/// rate (open loop). Every dispatch carries a pre-sealed 2 KiB case and an `Idempotency-Key`, as
/// the device client sends them, into one organisation: the case where the organisation's audit
/// chain would serialise dispatches if anything did.
struct DispatchBenchmark {
    struct Result: Sendable, Encodable {
        var connections: Int
        var maximum: HTTPLoad.Result
        var pgbenchPerSecond: Double
        var ratio: Double { pgbenchPerSecond > 0 ? maximum.perSecond / pgbenchPerSecond : 0 }
        var halfRate: HTTPLoad.Result

        enum CodingKeys: String, CodingKey {
            case connections, maximum, ratio
            case pgbenchPerSecond = "pgbench_per_second"
            case halfRate = "half_rate"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(connections, forKey: .connections)
            try container.encode(maximum, forKey: .maximum)
            try container.encode(pgbenchPerSecond, forKey: .pgbenchPerSecond)
            try container.encode(ratio, forKey: .ratio)
            try container.encode(halfRate, forKey: .halfRate)
        }
    }

    let database: Database
    let server: ServerConfiguration
    let tools: BenchmarkTools
    var connections = 16
    var duration: Duration = .seconds(5)
    var rounds = 3

    func run(logger: Logger, progress: @escaping @Sendable (String) -> Void) async throws -> Result {
        let time = Date()
        let world = try await BenchmarkOrganization.make(named: "Dispatch benchmark", database: database, at: time)
        let token = try await AccountStore(database: database).issueToken(for: "coordinator", in: world.organization.id, lifetime: 86_400, at: time).token

        // Every request a distinct assignment, sealed beforehand as the coordinator's device would.
        let perRound = 2_000 * Int(BenchmarkStatistics.seconds(duration))
        progress("Dispatch: sealing \(perRound * (rounds + 1)) envelopes…")
        let payload = Array(#"{"contact_name":"Kari Nordmann","epikrise":"\#(String(repeating: "x", count: 2_000))","version":1}"#.utf8)
        let bodies: [ByteBuffer] = try (0..<(perRound * (rounds + 1))).map { index in
            let id = UUID()
            let envelope = try world.seal(payload, for: id)
            return ByteBuffer(
                string: #"{"id":"\#(id)","recipient_id":"\#(world.mentor.id)","title":"Oppdrag \#(index)","envelope":"\#(Data(envelope.serialized).base64EncodedString())"}"#)
        }
        let script = tools.scratch + "/dispatch.pgbench"
        try DispatchBaseline.pgbenchScript(
            DispatchBaseline.Subject(
                organization: world.organization.id, coordinator: world.coordinator.id, mentor: world.mentor.id, mentorKey: world.mentorKey.id,
                mentorFingerprint: world.device.fingerprint, senderFingerprint: world.sender.fingerprint, token: token)
        ).write(toFile: script, atomically: true, encoding: .utf8)

        let connections = connections, duration = duration, rounds = rounds
        return try await BenchmarkServer.serving(server, logger: logger) { base in
            let load = HTTPLoad(connections: connections)
            do {
                @Sendable func request(_ index: Int) -> HTTPClientRequest {
                    var request = HTTPClientRequest(url: base + "/v1/assignments")
                    request.method = .POST
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.headers.add(name: "Idempotency-Key", value: "bench-\(index)")
                    request.body = .bytes(bodies[index % bodies.count])
                    return request
                }
                var maxima: [HTTPLoad.Result] = [], baselines: [Double] = []
                for round in 0..<rounds {
                    progress("Dispatch, round \(round + 1) of \(rounds): \(connections) clients over HTTP, then pgbench…")
                    let offset = round * perRound
                    let result = try await load.closedLoop(connections: connections, duration: duration, expecting: .created) { request(offset + $0) }
                    guard result.requests < perRound else { throw BenchmarkError.unexpectedAnswer("more dispatches than sealed envelopes") }
                    maxima.append(result)
                    baselines.append(try tools.pgbench(script: script, connections: connections, seconds: Int(BenchmarkStatistics.seconds(duration))))
                }
                let maximum = maxima.sorted { $0.perSecond < $1.perSecond }[maxima.count / 2]
                let half = maximum.perSecond / 2
                progress("Dispatch: \(Int(half)) a second for the latency…")
                let offset = rounds * perRound
                let halfRate = try await load.openLoop(rate: half, duration: duration, connections: 256, expecting: .created) { request(offset + $0) }
                try await load.shutdown()
                return Result(connections: connections, maximum: maximum, pgbenchPerSecond: BenchmarkStatistics.median(baselines), halfRate: halfRate)
            } catch {
                try? await load.shutdown()
                throw error
            }
        }
    }
}
