import AssignmentCore
import Foundation
import Postgres

/// A request made under an `Idempotency-Key`: the key the client chose and a hash of the request,
/// so that the same key sent with a different request can be told apart from a retry.
public struct IdempotentRequest: Sendable, Hashable {
    public var key: String
    public var requestHash: [UInt8]

    /// Keys are 1 to 255 visible ASCII characters (a UUID is the usual choice).
    public init(key: String, requestHash: [UInt8]) throws {
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw IdempotencyError.keyInvalid
        }
        precondition(requestHash.count == 32, "the request hash is a SHA-256")
        self.key = key
        self.requestHash = requestHash
    }
}

/// The stored answer to a request that completed under an idempotency key.
public struct StoredResponse: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// What ``IdempotencyStore/claim(_:by:at:)`` decided.
public enum IdempotencyClaim: Sendable, Hashable {
    /// The key is new (or its earlier claim was abandoned): go ahead, then complete or release it.
    case claimed
    /// The same request completed before: answer with what it answered.
    case replay(StoredResponse)
}

/// Why a request under an idempotency key cannot go ahead.
public enum IdempotencyError: Error, Sendable, Hashable, CustomStringConvertible {
    case keyInvalid
    /// The same key is being worked on by another request right now.
    case inProgress
    /// The key was used for a different request.
    case keyReused

    public var code: String {
        switch self {
        case .keyInvalid: "idempotency_key_invalid"
        case .inProgress: "idempotency_key_in_progress"
        case .keyReused: "idempotency_key_reused"
        }
    }

    public var description: String {
        switch self {
        case .keyInvalid: "The Idempotency-Key header must be 1 to 255 visible ASCII characters, such as a UUID."
        case .inProgress: "A request with this Idempotency-Key is still being processed. Retry in a moment to get its result."
        case .keyReused: "This Idempotency-Key was used for a different request. Use a new key for a new request."
        }
    }
}

/// Idempotency keys (`Idempotency-Key`, docs/http.md), per user.
///
/// A request first *claims* its key in a transaction of its own, so that a concurrent duplicate
/// sees the claim and is told 409 at once instead of waiting. The work then *completes* the key in
/// its own transaction (``complete(_:by:response:at:on:)``), so that the stored answer exists exactly
/// when the work does. Work that fails *releases* the key, so a corrected retry can go ahead.
///
/// A claim that is still in progress after ``claimLifetime`` belongs to a server that died mid-way
/// and may be taken over. Keys are remembered for ``retention``; after that the key may be used
/// again for anything.
public struct IdempotencyStore: Sendable {
    public let database: Database
    public static let claimLifetime: TimeInterval = 60
    public static let retention: TimeInterval = 24 * 3600

    public init(database: Database) { self.database = database }

    public func claim(_ request: IdempotentRequest, by user: UserContext, at time: Date) async throws -> IdempotencyClaim {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            let inserted = try db.query(
                """
                INSERT INTO idempotency_keys (organization_id, user_id, idempotency_key, request_hash, state, created_at, claimed_until)
                VALUES ($1, $2, $3, $4, 'in_progress', $5, $6)
                ON CONFLICT (user_id, idempotency_key) DO NOTHING
                RETURNING 1 AS claimed
                """,
                [user.organizationID, user.userID, request.key, request.requestHash, time, time.addingTimeInterval(Self.claimLifetime)])
            if inserted.count > 0 { return .claimed }
            guard let row = try db.query(
                """
                SELECT request_hash, state, response_status, response_body, created_at, claimed_until FROM idempotency_keys
                 WHERE user_id = $1 AND idempotency_key = $2 FOR UPDATE
                """, [user.userID, request.key]).first
            else { throw IdempotencyError.inProgress }  // released between the two statements: a retry will claim it
            let forgotten = try row.decode("created_at", as: Date.self) < time.addingTimeInterval(-Self.retention)
            let abandoned = try row.decode("state", as: String.self) == "in_progress" && (try row.decode("claimed_until", as: Date.self)) <= time
            if forgotten || abandoned {
                try db.execute(
                    """
                    UPDATE idempotency_keys SET request_hash = $3, state = 'in_progress', response_status = NULL, response_body = NULL,
                           completed_at = NULL, created_at = $4, claimed_until = $5
                     WHERE user_id = $1 AND idempotency_key = $2
                    """,
                    [user.userID, request.key, request.requestHash, time, time.addingTimeInterval(Self.claimLifetime)])
                return .claimed
            }
            guard try row.decode("request_hash", as: [UInt8].self) == request.requestHash else { throw IdempotencyError.keyReused }
            guard let status = try row.decodeIfPresent("response_status", as: Int.self), let body = try row.decodeIfPresent("response_body", as: [UInt8].self)
            else { throw IdempotencyError.inProgress }
            return .replay(StoredResponse(status: status, body: body))
        }
    }

    /// Gives the key up after the work failed, so that a retry runs the work again.
    public func release(_ request: IdempotentRequest, by user: UserContext) async throws {
        try await database.transaction(.tenant(user.organizationID, actor: .user(user))) { db in
            try db.execute(
                "DELETE FROM idempotency_keys WHERE user_id = $1 AND idempotency_key = $2 AND state = 'in_progress'", [user.userID, request.key])
        }
    }

    /// Stores the answer, inside the transaction that did the work.
    static func complete(_ request: IdempotentRequest, by user: UserContext, response: StoredResponse, at time: Date, on db: PostgresConnection) throws {
        try db.execute(
            """
            UPDATE idempotency_keys SET state = 'completed', response_status = $3, response_body = $4, completed_at = $5
             WHERE user_id = $1 AND idempotency_key = $2 AND state = 'in_progress'
            """, [user.userID, request.key, response.status, response.body, time])
    }
}

/// Completing an idempotency key as part of a piece of work: the key, and how to render the answer
/// the work will give, so that the answer is stored in the work's own transaction.
public struct IdempotencyCompletion<Result>: Sendable {
    public var request: IdempotentRequest
    public var render: @Sendable (Result) throws -> StoredResponse

    public init(request: IdempotentRequest, render: @escaping @Sendable (Result) throws -> StoredResponse) {
        self.request = request
        self.render = render
    }
}
