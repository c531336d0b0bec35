import Foundation
import Logging

/// `dispatch db start|stop|status`: control of the embedded cluster itself.
public struct EmbeddedDatabaseReport: Sendable, Codable, Hashable {
    public var dataFolder: String
    /// "not created", "stopped" or "running".
    public var state: String
    public var processID: Int32?
    public var connectionURI: String
    /// What the command did: "started", "was already running", "stopped", "was not running", or nil for status.
    public var action: String?

    /// Starts the cluster in the background (creating and migrating it on first use); it keeps
    /// running until ``stop(_:)``.
    public static func start(_ cluster: ManagedCluster, migrator: Migrator, now: Date) throws -> EmbeddedDatabaseReport {
        let wasRunning: Bool = if case .running = cluster.state() { true } else { false }
        _ = try cluster.acquire(detached: true)
        let connection = try PostgresConnection(connectionString: cluster.connectionString())
        try migrator.migrate(on: connection, now: now)
        var report = status(cluster)
        report.action = wasRunning ? "was already running" : "started"
        return report
    }

    public static func stop(_ cluster: ManagedCluster) throws -> EmbeddedDatabaseReport {
        let stopped = try cluster.stop()
        var report = status(cluster)
        report.action = stopped ? "stopped" : "was not running"
        return report
    }

    public static func status(_ cluster: ManagedCluster) -> EmbeddedDatabaseReport {
        let (state, pid): (String, Int32?) = switch cluster.state() {
        case .notInitialized: ("not created", nil)
        case .stopped: ("stopped", nil)
        case .running(let pid): ("running", pid)
        }
        return EmbeddedDatabaseReport(
            dataFolder: cluster.dataDirectory, state: state, processID: pid, connectionURI: cluster.connectionURI, action: nil)
    }
}
