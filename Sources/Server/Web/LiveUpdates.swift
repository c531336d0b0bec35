import AssignmentCore
import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import ServiceLifecycle

/// An assignment whose status (or contact) changed, as the database announces it on the
/// `dispatch_assignment_changed` channel (migration 0018): ids and the status, nothing else.
struct AssignmentChange: Sendable, Hashable, Decodable {
    var organizationID: OrganizationID
    var assignmentID: AssignmentID
    var localAssociationID: LocalAssociationID?
    var coordinatorID: UserID
    var peerMentorID: UserID
    var status: AssignmentStatus

    enum CodingKeys: String, CodingKey {
        case status
        case organizationID = "organization_id"
        case assignmentID = "assignment_id"
        case localAssociationID = "local_association_id"
        case coordinatorID = "coordinator_id"
        case peerMentorID = "peer_mentor_id"
    }

    /// Whether `user` may see this assignment, by the one visibility rule.
    func isVisible(to user: UserContext) -> Bool {
        AssignmentVisibility.isVisible(
            organizationID: organizationID, localAssociationID: localAssociationID, coordinatorID: coordinatorID, peerMentorID: peerMentorID, to: user)
    }
}

/// What an event stream of the pages sends.
enum LiveEvent: Sendable, Hashable {
    case change(AssignmentChange)
    /// Nothing happened for a while: a comment line keeps proxies from closing the stream.
    case keepAlive
}

/// Fans the database's assignment changes out to the pages' event streams (`GET /events`) of
/// this server instance. Each subscriber gets its own buffered stream; a slow one drops its oldest
/// changes rather than holding anyone up (the page can always be reloaded).
public final class LiveUpdates: Sendable {
    private struct Subscriber {
        var user: UserContext
        var continuation: AsyncStream<LiveEvent>.Continuation
    }

    private struct State {
        var next = 0
        var subscribers: [Int: Subscriber] = [:]
        var finished = false
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// A stream of the changes `user` may see, until the subscriber goes or the server stops.
    func subscribe(as user: UserContext) -> AsyncStream<LiveEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: LiveEvent.self, bufferingPolicy: .bufferingNewest(100))
        let id: Int? = state.withLockedValue { state in
            guard !state.finished else { return nil }
            state.next += 1
            state.subscribers[state.next] = Subscriber(user: user, continuation: continuation)
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLockedValue { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Hands `event` to every subscriber that may see it (a keep-alive to all).
    func publish(_ event: LiveEvent) {
        let subscribers = state.withLockedValue { Array($0.subscribers.values) }
        for subscriber in subscribers {
            if case .change(let change) = event, !change.isVisible(to: subscriber.user) { continue }
            subscriber.continuation.yield(event)
        }
    }

    /// Ends every stream (the server is stopping): open pages reconnect to another instance or
    /// when this one is back.
    func finish() {
        let subscribers = state.withLockedValue { state in
            state.finished = true
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for subscriber in subscribers { subscriber.continuation.finish() }
    }
}

/// Listens on the database's `dispatch_assignment_changed` channel and publishes every change to
/// ``LiveUpdates``: because the database sends it when the changing transaction commits, a change
/// made through any server instance (or a sweep, or the command line) reaches the pages of every
/// instance. Polls its own connection every `interval`; a lost connection (the database was
/// restarted) is made again after a second, then less often while it keeps failing (up to every ten
/// seconds). At shutdown it ends every event stream.
struct AssignmentChangeListener: Service {
    static let channel = "dispatch_assignment_changed"
    static let keepAliveInterval = Duration.seconds(15)

    let database: Database
    let updates: LiveUpdates
    let interval: Duration
    let logger: Logger

    func run() async throws {
        defer { updates.finish() }
        // After a failure, wait 1, 2, 4, 8, then 10 seconds between attempts: a database that is
        // away is not asked a hundred times a minute.
        var retryDelay = Duration.seconds(1)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let listener = try await database.listen(to: Self.channel)
                retryDelay = .seconds(1)
                var quietSince = ContinuousClock.now
                do {
                    while !Task.isShuttingDownGracefully && !Task.isCancelled {
                        let notifications = try await listener.poll()
                        for notification in notifications { publish(notification.payload) }
                        if !notifications.isEmpty {
                            quietSince = .now
                        } else if ContinuousClock.now - quietSince >= Self.keepAliveInterval {
                            updates.publish(.keepAlive)
                            quietSince = .now
                        }
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
                    }
                } catch {
                    await listener.close()
                    throw error
                }
                await listener.close()
            } catch is CancellationError {
                return
            } catch {
                logger.warning("listening for assignment changes failed; trying again", metadata: ["error_type": "\(type(of: error))", "retry_in": "\(retryDelay)"])
                let delay = retryDelay
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                retryDelay = min(retryDelay * 2, .seconds(10))
            }
        }
    }

    private func publish(_ payload: String) {
        guard let change = try? JSONDecoder().decode(AssignmentChange.self, from: Data(payload.utf8)) else {
            logger.warning("an assignment change could not be read")
            return
        }
        updates.publish(.change(change))
    }
}
