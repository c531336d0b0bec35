import Foundation
import Storage

/// Everything `buildApplication(configuration:logger:)` needs, read at the edge by the command
/// line (`docs/configuration.md`).
public struct ServerConfiguration: Sendable {
    /// The address to listen on; loopback by default, so nothing is exposed by accident.
    public var host: String
    /// The TCP port; 0 picks a free one (tests).
    public var port: Int
    public var database: DatabaseConfiguration
    /// The clock the rules read (token expiry, and later deadlines and reminders); tests move it.
    public var now: @Sendable () -> Date

    public init(host: String = "127.0.0.1", port: Int = 8080, database: DatabaseConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.host = host
        self.port = port
        self.database = database
        self.now = now
    }
}
