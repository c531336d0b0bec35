import Envelope
import Foundation
import Postgres
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
    /// The server's own secret, from which webhook signing secrets are derived (``ServerKey``);
    /// `nil` makes a throwaway one (tests), so the secrets change on every start.
    public var serverKey: ServerKey?
    /// How often the job runner checks the outbox for notifications to deliver; `nil` leaves
    /// delivery to the caller (tests call ``NotificationDeliveryJob/deliverDue()`` themselves).
    public var notificationInterval: Duration?
    /// How often the job runner's scheduled work (reminders, sweeps) runs; `nil` leaves it to the
    /// caller (tests call the jobs themselves, with their own clock). Both `nil`: no job runner.
    public var jobInterval: Duration?
    /// The address people reach the server at (`https://dispatch.example.org`), for the calendar
    /// feed addresses it hands out; `nil` uses the address each request came to.
    public var publicURL: String?
    /// How many failed bearer tokens one client address may present per minute before further
    /// failures are answered 429 (a valid token always gets in).
    public var signInFailureLimit: Int
    /// How often `serve` checks that the embedded PostgreSQL it runs on is still running, and
    /// starts it again when it is not (it was killed); `nil`: never (with `DATABASE_URL` it does
    /// nothing anyway).
    public var embeddedDatabaseCheckInterval: Duration?
    /// How often new audit entries are linked into their organisations' hash chains
    /// (``AuditChainer``); `nil`: not by this server (another process, or the test itself, does it).
    /// The default keeps the unlinked tail of the chain a quarter of a second long.
    public var auditLinkInterval: Duration?

    /// How often the web pages' live updates look for assignment changes the database announced
    /// (LISTEN/NOTIFY, ``AssignmentChangeListener``); `nil`: no live updates (the event stream stays
    /// open but quiet; most tests).
    public var liveUpdateInterval: Duration?

    public static let defaultSignInFailureLimit = 10

    public init(
        host: String = "127.0.0.1", port: Int = 8080, database: DatabaseConfiguration, now: @escaping @Sendable () -> Date = { Date() },
        serverKey: ServerKey? = nil, notificationInterval: Duration? = .seconds(5), jobInterval: Duration? = .seconds(60), publicURL: String? = nil,
        signInFailureLimit: Int = Self.defaultSignInFailureLimit, embeddedDatabaseCheckInterval: Duration? = .seconds(2),
        auditLinkInterval: Duration? = .milliseconds(250), liveUpdateInterval: Duration? = .milliseconds(200)
    ) {
        self.liveUpdateInterval = liveUpdateInterval
        self.auditLinkInterval = auditLinkInterval
        self.signInFailureLimit = signInFailureLimit
        self.embeddedDatabaseCheckInterval = embeddedDatabaseCheckInterval
        self.publicURL = publicURL
        self.host = host
        self.port = port
        self.database = database
        self.now = now
        self.serverKey = serverKey
        self.notificationInterval = notificationInterval
        self.jobInterval = jobInterval
    }
}
