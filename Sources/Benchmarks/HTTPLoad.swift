import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A load generator on loopback: many requests over kept-alive connections, each timed from when
/// it was due to when its answer was read.
///
/// Closed loop (``closedLoop(connections:duration:expecting:request:)``): every connection sends
/// its next request as soon as the last is answered, which finds the highest rate the server
/// sustains. Open loop (``openLoop(rate:duration:connections:expecting:request:)``): requests are
/// due at a fixed rate whatever the answers do, so a slow answer cannot hide the queue behind it
/// (no coordinated omission); that is the latency a client sees at that rate.
struct HTTPLoad: Sendable {
    struct Result: Sendable, Encodable {
        var requests: Int
        var seconds: Double
        var perSecond: Double
        var p50Milliseconds: Double
        var p99Milliseconds: Double
        /// Answers with another status than expected, or failed connections.
        var unexpected: Int

        enum CodingKeys: String, CodingKey {
            case requests, seconds, unexpected
            case perSecond = "per_second"
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
        }
    }

    let client: HTTPClient

    init(connections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.redirectConfiguration = .disallow
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async throws { try await client.shutdown() }

    /// `connections` clients in a loop for `duration`; `request(n)` makes the n-th request.
    func closedLoop(
        connections: Int, duration: Duration, expecting status: HTTPResponseStatus, request: @escaping @Sendable (Int) -> HTTPClientRequest
    ) async throws -> Result {
        let counter = NIOLockedValueBox(0)
        let start = ContinuousClock.now
        let end = start + duration
        let outcomes = try await withThrowingTaskGroup(of: [(Double, Bool)].self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var mine: [(Double, Bool)] = []
                    while ContinuousClock.now < end {
                        let index = counter.withLockedValue { value -> Int in
                            defer { value += 1 }
                            return value
                        }
                        let sent = ContinuousClock.now
                        let ok = await send(request(index), expecting: status)
                        mine.append((BenchmarkStatistics.seconds(since: sent) * 1_000, ok))
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        return summary(outcomes, seconds: BenchmarkStatistics.seconds(since: start))
    }

    /// Requests due every 1/`rate` seconds for `duration`, at most `connections` in flight.
    func openLoop(
        rate: Double, duration: Duration, connections: Int, expecting status: HTTPResponseStatus,
        request: @escaping @Sendable (Int) -> HTTPClientRequest
    ) async throws -> Result {
        let total = Int(rate * BenchmarkStatistics.seconds(duration))
        let interval = 1 / rate
        let start = ContinuousClock.now
        let outcomes = try await withThrowingTaskGroup(of: (Double, Bool).self) { group in
            var outcomes: [(Double, Bool)] = []
            for index in 0..<total {
                let due = start + .seconds(Double(index) * interval)
                if index >= connections, let finished = try await group.next() { outcomes.append(finished) }
                try await Task.sleep(until: due, clock: .continuous)
                group.addTask {
                    let ok = await send(request(index), expecting: status)
                    return (BenchmarkStatistics.seconds(since: due) * 1_000, ok)
                }
            }
            for try await finished in group { outcomes.append(finished) }
            return outcomes
        }
        return summary(outcomes, seconds: BenchmarkStatistics.seconds(since: start))
    }

    private func send(_ request: HTTPClientRequest, expecting status: HTTPResponseStatus) async -> Bool {
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 22)
            return response.status == status
        } catch {
            return false
        }
    }

    private func summary(_ outcomes: [(Double, Bool)], seconds: Double) -> Result {
        let latencies = outcomes.map(\.0)
        return Result(
            requests: outcomes.count, seconds: seconds, perSecond: Double(outcomes.count) / seconds,
            p50Milliseconds: BenchmarkStatistics.percentile(50, of: latencies), p99Milliseconds: BenchmarkStatistics.percentile(99, of: latencies),
            unexpected: outcomes.filter { !$0.1 }.count)
    }
}
