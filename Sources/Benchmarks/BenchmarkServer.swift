import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import NIOCore
import Server
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The real application (``buildApplication(configuration:logger:)``, what `dispatch serve` runs),
/// served on a free loopback port for the length of `body`, in this process, on the benchmark's
/// throwaway database. The job runner and notification delivery are off: the benchmark measures
/// requests, not background work.
enum BenchmarkServer {
    static func serving<Result: Sendable>(
        _ configuration: ServerConfiguration, logger: Logger, _ body: @escaping @Sendable (String) async throws -> Result
    ) async throws -> Result {
        var configuration = configuration
        configuration.port = try freePort()
        configuration.host = "127.0.0.1"
        configuration.notificationInterval = nil
        configuration.jobInterval = nil
        configuration.embeddedDatabaseCheckInterval = nil
        let application = try await buildApplication(configuration: configuration, logger: logger)
        let base = "http://127.0.0.1:\(configuration.port)"
        let group = ServiceGroup(services: [application], logger: logger)
        return try await withThrowingTaskGroup(of: Result?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                do {
                    try await waitUntilHealthy(base)
                    let result = try await body(base)
                    await group.triggerGracefulShutdown()
                    return result
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
            }
            var result: Result?
            while let next = try await tasks.next() {
                if let next { result = next }
            }
            return result!
        }
    }

    /// A port nothing listens on now (the kernel's choice for port 0).
    static func freePort() throws -> Int {
        let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketDescriptor >= 0 else { throw BenchmarkError.noFreePort }
        defer { close(socketDescriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketDescriptor, $0, length) == 0 && getsockname(socketDescriptor, $0, &length) == 0 }
        }
        guard bound else { throw BenchmarkError.noFreePort }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func waitUntilHealthy(_ base: String) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let request = HTTPClientRequest(url: base + "/healthz")
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkError.serverDidNotStart
    }
}
