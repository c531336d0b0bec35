import Logging
import ServiceLifecycle
import Storage

/// Links newly written audit entries into their organisations' chains, every `interval`
/// (docs/audit.md, "The chain").
///
/// Writers never wait for the chain: they append unlinked entries, and this service links what has
/// been committed since its last pass, a batch per organisation at a time until nothing is left.
/// It runs inside `dispatch serve` and `dispatch jobs run`; several of them on one database share
/// the work (an organisation being linked by one is skipped by the others). When the service group
/// shuts down it makes one last pass, after the HTTP server has stopped taking requests, so a
/// clean stop leaves nothing unlinked.
public struct AuditChainer: Service {
    let store: AuditChainStore
    let interval: Duration
    let batchSize: Int
    let logger: Logger

    public init(store: AuditChainStore, interval: Duration, batchSize: Int = 5_000, logger: Logger) {
        self.store = store
        self.interval = interval
        self.batchSize = batchSize
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await pass()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        if !Task.isCancelled { await pass() }
    }

    private func pass() async {
        do {
            _ = try await store.linkBacklog(batchSize: batchSize)
        } catch {
            logger.error("linking audit entries failed; trying again at the next interval", metadata: ["error_type": "\(type(of: error))"])
        }
    }
}
