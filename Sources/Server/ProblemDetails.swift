import AssignmentCore
import Envelope
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime
import Postgres
import Storage

/// An RFC 9457 problem document: what every failed request answers with, as
/// `application/problem+json`. `code` is stable and is what clients switch on; `detail` is for
/// people. Neither ever contains personal data, a token, a key or internal text.
public struct ProblemDetails: Codable, Sendable, Hashable {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var code: String

    public init(status: HTTPResponse.Status, code: String, detail: String) {
        self.type = "https://assignment-dispatch.invalid/problems/\(code)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.code = code
    }

    public static let mediaType = "application/problem+json"
}

/// The one place where errors become HTTP answers.
///
/// - ``DomainError``: its stable code, with 403, 404, 409, 410 or 422 (``status(of:)``).
/// - ``RequestError`` (a body or parameter of the wrong shape): 400 or 422.
/// - ``DeviceKeyError``: 409, or 403 for someone else's key.
/// - ``AssignmentError``: 409 for an id or nonce used before, 422 for an unknown sender key.
/// - ``HonorariumError``: 403 for a non-admin correction, 409 for nothing (left) to void, 422 for a bad period.
/// - ``FeedError``: 404 for a feed that does not exist (or a token that opens none), 403 for someone
///   else's feed without being an admin, 422 for a bad language or a deactivated user.
/// - ``IdempotencyError``: 400 for a malformed key, 409 while the first request runs, 422 for a key
///   reused with another request.
/// - ``AccountError``: 404, 409 or 422.
/// - A database refusal that got past every check above (a constraint, the lifecycle trigger): a
///   4xx with a generic text, as a safety net.
/// - ``EnvelopeError``: 422 (413 for an oversized payload) with the envelope's code.
/// - Hummingbird's errors (`HTTPError` for an unknown route or a bad request, a body over the size
///   limit): their status, with a generic text, because their messages can quote the request.
/// - `DecodingError`: 400 `malformed_request`.
/// - Anything else: logged (its type, and the text of errors known to carry none of the request's
///   data) and answered with an empty 500.
public enum ProblemMapping {
    public static func status(of error: DomainError) -> HTTPResponse.Status {
        switch error {
        case .notFound:
            .notFound
        case .coordinatorRoleRequired, .assignmentsNotInRole, .outsideCoordinatorScope, .senderNotActive, .moduleDisabled, .actorNotPermitted,
            .complianceRoleRequired:
            .forbidden
        case .invalidTransition, .contactNotAllowed, .contactAlreadyRecorded, .timestampNotMonotonic, .expiryNotReached, .consentRequired,
            .consentNotApplicable, .erasureNotDue, .reassignNotAllowed, .alreadyReassigned:
            .conflict
        case .payloadExpired, .payloadCancelled, .payloadDestroyed, .payloadDeclined:
            .gone
        case .recipientNotPeerMentor, .recipientNotActive, .recipientCertificationExpired, .recipientHasNoKey, .keyFingerprintMismatch,
            .keyRevoked, .keyRetired, .reasonRequired, .openingTimeImpossible, .personalDataInText, .textInvalid, .expiryNotAfterDispatch, .expiryBeyondLifetime,
            .contactDeadlineNotAfterDispatch, .contactDeadlineAfterExpiry, .settingInvalid, .declineReasonInvalid, .erasureTimeImpossible,
            .erasureSignatureInvalid, .reassignToSamePeerMentor, .postQuantumRequired, .recipientKeyNotPostQuantum:
            .unprocessableContent
        }
    }

    /// The problem for an error, or `nil` for an unexpected one (answered with an empty 500).
    public static func problem(for error: any Error) -> ProblemDetails? {
        switch error {
        case let error as ServerError:
            // The generated server wraps what an operation throws; a request it could not decode
            // into the operation's input does not fit the contract.
            if let problem = problem(for: error.underlyingError) { return problem }
            guard error.operationInput == nil else { return nil }
            // The runtime's own words name only what the document names ("Missing required query
            // parameter named: device"); other causes can quote the request, so they stay generic.
            if !(error.underlyingError is DecodingError), error.causeDescription.hasPrefix("Missing required") {
                return ProblemDetails(status: .badRequest, code: "malformed_request", detail: error.causeDescription + ".")
            }
            return contractMismatch(error.underlyingError)
        case ServiceError.databaseUnavailable:
            return databaseUnavailable
        case let error as PostgresError where error.kind == .connection || unavailableStates.contains(error.sqlState ?? ""):
            return databaseUnavailable
        case let error as PostgresError where storageFullStates.contains(error.sqlState ?? ""):
            return databaseStorageFull
        case let error as DomainError:
            return ProblemDetails(status: status(of: error), code: error.code, detail: error.message)
        case let error as RequestError:
            return ProblemDetails(status: error.status, code: error.code, detail: error.description)
        case let error as AccountError:
            let status: HTTPResponse.Status = switch error {
            case .organizationNotFound, .localAssociationNotFound, .userNotFound, .tokenNotFound: .notFound
            case .organizationExists, .localAssociationExists, .handleTaken: .conflict
            case .handleInvalid, .lifetimeInvalid, .userDeactivated: .unprocessableContent
            }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as PostgresError where error.kind == .statement && databaseRefusals[error.sqlState ?? ""] != nil:
            // A safety net: input that got past the checks above but not past the database's own
            // constraints is still the client's mistake, not a server failure.
            let (status, code, detail) = databaseRefusals[error.sqlState!]!
            return ProblemDetails(status: status, code: code, detail: detail)
        case let error as AssignmentError:
            let status: HTTPResponse.Status = if case .senderKeyUnknown = error { .unprocessableContent } else { .conflict }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as HonorariumError:
            let status: HTTPResponse.Status = switch error {
            case .adminRequired: .forbidden
            case .notCounted, .alreadyVoided, .closeRefused: .conflict
            case .periodInvalid, .ratesInvalid: .unprocessableContent
            }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as FeedError:
            let status: HTTPResponse.Status = switch error {
            case .adminRequired: .forbidden
            case .noFeed: .notFound
            case .alreadyExists: .conflict
            case .languageInvalid, .userDeactivated: .unprocessableContent
            }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as IdempotencyError:
            let status: HTTPResponse.Status = switch error {
            case .keyInvalid: .badRequest
            case .inProgress: .conflict
            case .keyReused: .unprocessableContent
            }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as DeviceKeyError:
            let status: HTTPResponse.Status = if case .notYours = error { .forbidden } else { .conflict }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as EnvelopeError:
            // A server key version this process lacks is the server's own fault (restart it after a
            // rotation): logged, and an empty 500.
            if case .serverKeyVersionUnknown = error { return nil }
            // So are an unusable erasure keyring and a stored sealed key that does not unwrap.
            if case .erasureKeyringUnusable = error { return nil }
            if case .sealedKeyWrapInvalid = error { return nil }
            // A sealed key whose day's erasure key is gone cannot be handed out again: the
            // coordinator must send the case once more.
            if case .erasureKeyMissing = error {
                return ProblemDetails(
                    status: .gone, code: error.code,
                    detail: "The contents of this assignment can no longer be handed out from the server. Ask the coordinator to send it again.")
            }
            let status: HTTPResponse.Status = if case .payloadTooLarge = error { .contentTooLarge } else { .unprocessableContent }
            return ProblemDetails(status: status, code: error.code, detail: error.description)
        case let error as any HTTPResponseError:
            // Hummingbird's own errors (HTTPError, a body over the size limit…): their status, with
            // a generic text, because their messages can quote the request.
            return ProblemDetails(status: error.status, code: code(of: error.status), detail: detail(of: error.status))
        case let error as DecodingError:
            return contractMismatch(error)
        default:
            return nil
        }
    }

    /// The database is away, restarting or overloaded: the client should try again shortly.
    static let databaseUnavailable = ProblemDetails(
        status: .serviceUnavailable, code: "database_unavailable", detail: "The service cannot reach its database right now. Try again in a few seconds.")

    /// SQLSTATEs of a database that is away or overloaded rather than of a request that is wrong:
    /// a statement or lock timeout (57014, 55P03), a server shutting down or starting (57P01–57P03),
    /// and connection failures (class 08).
    static let unavailableStates: Set<String> = ["57014", "55P03", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]

    /// The database's disk is full: the statement failed, its transaction rolled back, so nothing
    /// of the request was saved, and the same request succeeds once there is space again.
    static let databaseStorageFull = ProblemDetails(
        status: .serviceUnavailable, code: "database_storage_full",
        detail: "The service's database has run out of disk space, so nothing of this request was saved. Try again later.")

    /// SQLSTATE of a full disk (disk_full: "could not extend file … No space left on device").
    static let storageFullStates: Set<String> = ["53100"]

    /// How long a client waits before trying again after a 503.
    static let retryAfterSeconds = 5

    /// A request that does not fit the contract: 400, saying which member when the decoder knows
    /// it (member names come from the document, never values from the request).
    static func contractMismatch(_ error: any Error) -> ProblemDetails {
        guard let error = error as? DecodingError else {
            return ProblemDetails(
                status: .badRequest, code: "malformed_request",
                detail: "The request does not fit the API description (GET /openapi.json): a parameter, header or body is missing or malformed.")
        }
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return ProblemDetails(status: .badRequest, code: "malformed_request", detail: "The member \(path(context.codingPath + [key])) is required.")
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return ProblemDetails(status: .badRequest, code: "malformed_request", detail: "The member \(path(context.codingPath)) has the wrong type.")
        case .dataCorrupted(let context) where context.debugDescription.hasPrefix("Additional properties are disabled"):
            return ProblemDetails(status: .badRequest, code: "unknown_member", detail: "The body has members this operation does not define.")
        case .dataCorrupted(let context) where !context.codingPath.isEmpty:
            return ProblemDetails(status: .badRequest, code: "malformed_request", detail: "The member \(path(context.codingPath)) is not valid.")
        default:
            return ProblemDetails(status: .badRequest, code: "malformed_request", detail: "The request body is not JSON of the expected shape.")
        }
    }

    /// Constraint violations and lifecycle refusals of the database (SQLSTATEs) as client errors,
    /// with generic texts: PostgreSQL's own message can quote a value.
    static let databaseRefusals: [String: (HTTPResponse.Status, String, String)] = [
        PostgresError.checkViolation: (.unprocessableContent, "invalid_value", "A value is outside what is allowed."),
        PostgresError.foreignKeyViolation: (.notFound, "not_found", "The request refers to something that does not exist in your organisation."),
        PostgresError.uniqueViolation: (.conflict, "conflict", "This exists already."),
        PostgresError.invalidTransition: (.conflict, "invalid_transition", "The assignment cannot make that move."),
        PostgresError.immutableColumn: (.conflict, "immutable_field", "That field cannot change any more."),
        PostgresError.timestampNotMonotonic: (.conflict, "timestamp_not_monotonic", "A change cannot be dated before the previous one."),
        "22001": (.unprocessableContent, "invalid_value", "A value is too long."),
        "22P02": (.badRequest, "malformed_request", "A value has the wrong form."),
    ]

    /// Builds the response for `error`, logging what is unexpected.
    public static func response(for error: any Error, logger: Logger) -> Response {
        guard let problem = problem(for: error) else {
            let error = (error as? ServerError)?.underlyingError ?? error
            var metadata: Logger.Metadata = ["error_type": "\(String(reflecting: type(of: error)))"]
            switch error {
            case let error as PostgresError: metadata["error"] = "\(error.description)"
            case let error as ManagedClusterError: metadata["error"] = "\(error.description)"
            case let error as MigrationError: metadata["error"] = "\(error.description)"
            default: break
            }
            logger.error("request failed with an unexpected error", metadata: metadata)
            return Response(status: .internalServerError)
        }
        if problem.status == 503 {
            let error = (error as? ServerError)?.underlyingError ?? error
            let message: Logger.Message = problem.code == databaseStorageFull.code
                ? "the database is out of disk space: free space on its data folder" : "the database is unavailable"
            logger.warning(message, metadata: ["error_type": "\(String(reflecting: type(of: error)))", "sqlstate": "\((error as? PostgresError)?.sqlState ?? "-")"])
        }
        var answer = response(for: problem)
        // Hummingbird's own errors carry headers that belong to the answer (`Allow` on a 405).
        if let error = error as? HTTPError {
            for field in error.headers where field.name != .contentType && field.name != .contentLength { answer.headers.append(field) }
        }
        return answer
    }

    /// The problem+json response of a problem.
    public static func response(for problem: ProblemDetails) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(problem)) ?? Data()
        var headers: HTTPFields = [.contentType: ProblemDetails.mediaType, .cacheControl: "no-store"]
        if problem.status == 503 { headers[.retryAfter] = String(retryAfterSeconds) }
        return Response(status: HTTPResponse.Status(code: problem.status), headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private static func code(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 408: "request_timeout"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 429: "too_many_requests"
        default: status.code >= 500 ? "server_error" : "http_\(status.code)"
        }
    }

    private static func detail(of status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "There is nothing at this address."
        case 405: "This address does not accept that method."
        case 413: "The request body is larger than \(DispatchRequestContext.maximumRequestBody / 1024) KiB."
        default: status.reasonPhrase
        }
    }
}

/// Turns every error thrown below it into a problem+json answer (``ProblemMapping``).
public struct ProblemResponseMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return ProblemMapping.response(for: error, logger: context.logger)
        }
    }
}
