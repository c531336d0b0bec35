import AssignmentCore
import AsyncHTTPClient
import Contract
import Envelope
import Foundation
import HTTPTypes
import NIOCore
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// The `/v1` API as the device sees it: the client generated from the contract
/// (`Sources/Contract/openapi.yaml`) over AsyncHTTPClient, one method per operation the device
/// uses, answers as the contract's types. A problem document becomes
/// ``DeviceClientError/server(status:code:detail:)``, a network failure
/// ``DeviceClientError/unreachable``, anything else ``DeviceClientError/unexpectedAnswer(status:)``.
public struct DispatchAPI: Sendable {
    public let serverAddress: String
    let token: String
    let client: Client

    public init(serverAddress: String, token: String, httpClient: HTTPClient, timeout: TimeAmount = .seconds(30)) throws {
        self.serverAddress = try Self.normalise(serverAddress)
        self.token = token
        guard let url = URL(string: self.serverAddress) else { throw DeviceClientError.invalidServerAddress(serverAddress) }
        client = Client(
            serverURL: url, configuration: .contract,
            transport: AsyncHTTPClientTransport(configuration: .init(client: httpClient, timeout: timeout)),
            middlewares: [CredentialsMiddleware(token: token), ProblemMiddleware()])
    }

    /// `http(s)://host[:port]` without a trailing slash, or ``DeviceClientError/invalidServerAddress(_:)``.
    public static func normalise(_ address: String) throws -> String {
        var clean = address.trimmingCharacters(in: .whitespaces)
        while clean.hasSuffix("/") { clean.removeLast() }
        guard let url = URL(string: clean), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false,
            url.user == nil, url.query == nil
        else { throw DeviceClientError.invalidServerAddress(address) }
        return clean
    }

    // MARK: Operations

    public func me() async throws -> Components.Schemas.User {
        try await call { try await client.me().ok.body.json }
    }

    public func registerKey(_ keys: DevicePublicKeys, label: String?) async throws -> Components.Schemas.DeviceKey {
        let body = Components.Schemas.KeyRegistration(
            encryptionPublicKey: Data(keys.encryptionKey).base64EncodedString(), signingPublicKey: Data(keys.signingKey).base64EncodedString(),
            kemPublicKey: keys.kemKey.map { Data($0).base64EncodedString() }, label: label)
        return try await call { try await client.registerKey(body: .json(body)).created.body.json }
    }

    /// Retires one of the signed-in user's keys: it receives nothing new, and what was sealed to it still opens.
    public func retireKey(_ id: String) async throws -> Components.Schemas.DeviceKey {
        try await call { try await client.retireKey(path: .init(id: id)).ok.body.json }
    }

    /// A user's keys by handle or id; `includeInactive` adds retired and revoked ones (to check old signatures).
    public func keys(of user: String, includeInactive: Bool = false) async throws -> Components.Schemas.UserKeys {
        try await call {
            try await client.userKeys(path: .init(user: user), query: .init(status: includeInactive ? .all : nil)).ok.body.json
        }
    }

    public func dispatch(_ request: Components.Schemas.DispatchRequest, idempotencyKey: String) async throws -> Components.Schemas.Dispatched {
        try await call { try await client.dispatch(headers: .init(idempotencyKey: idempotencyKey), body: .json(request)).created.body.json }
    }

    public func overview(_ query: Operations.Overview.Input.Query) async throws -> Components.Schemas.Overview {
        try await call { try await client.overview(query: query).ok.body.json }
    }

    public func assignment(_ id: AssignmentID) async throws -> Components.Schemas.Assignment {
        try await call { try await client.assignment(path: .init(id: id.description)).ok.body.json }
    }

    /// The envelope for this device; the first download is the delivery receipt.
    public func envelope(_ id: AssignmentID, device: KeyFingerprint) async throws -> [UInt8] {
        try await call {
            let body = try await client.envelope(path: .init(id: id.description), query: .init(device: device.hex)).ok.body.binary
            return try await [UInt8](collecting: body, upTo: Self.maximumAnswer)
        }
    }

    /// Sends one receipt; a decryption receipt carries the device and the time the device made it.
    public func send(_ receipt: QueuedReceipt) async throws -> Components.Schemas.Assignment {
        let path = receipt.assignmentID.description
        return try await call {
            switch receipt.action {
            case .opened:
                guard let device = receipt.device else {
                    throw DeviceClientError.storage("A queued decryption receipt does not name its device; it cannot be sent.")
                }
                return try await client.opened(path: .init(id: path), body: .json(.init(device: device.hex, openedAt: receipt.madeAt))).ok.body.json
            case .consent: return try await client.consent(path: .init(id: path)).ok.body.json
            case .read: return try await client.read(path: .init(id: path)).ok.body.json
            case .acknowledge: return try await client.acknowledge(path: .init(id: path)).ok.body.json
            case .contact: return try await client.contact(path: .init(id: path)).ok.body.json
            case .complete: return try await client.complete(path: .init(id: path)).ok.body.json
            }
        }
    }

    public func history(_ id: AssignmentID) async throws -> [Components.Schemas.HistoryEntry] {
        try await call { try await client.history(path: .init(id: id.description)).ok.body.json }
    }

    public func suggestions(_ id: AssignmentID) async throws -> [Components.Schemas.Suggestion] {
        try await call { try await client.suggestions(path: .init(id: id.description)).ok.body.json }
    }

    public func decline(_ id: AssignmentID, reason: DeclineReason) async throws -> Components.Schemas.Assignment {
        try await call {
            try await client.decline(path: .init(id: id.description), body: .json(.init(reason: .init(rawValue: reason.rawValue)!))).ok.body.json
        }
    }

    /// Sends a signed erasure receipt.
    public func confirmErasure(_ receipt: ErasureReceipt, signature: [UInt8]) async throws -> Components.Schemas.ErasureConfirmation {
        let body = Components.Schemas.ErasureReceipt(
            device: receipt.device.hex, erasedAt: receipt.erasedAtDate, reason: .init(rawValue: receipt.reason.rawValue)!,
            signature: Base64EncodedData(signature))
        return try await call { try await client.confirmErasure(path: .init(id: receipt.assignmentID.uuidString.lowercased()), body: .json(body)).ok.body.json }
    }

    /// The organisation's closed assignments and which devices confirmed erasing them (admins, compliance officers).
    public func erasureConfirmations(limit: Int? = nil) async throws -> [Components.Schemas.ClosedAssignmentErasure] {
        try await call { try await client.erasureConfirmations(query: .init(limit: limit)).ok.body.json }
    }

    public func cancel(_ id: AssignmentID, reason: String) async throws -> Components.Schemas.Assignment {
        try await call { try await client.cancel(path: .init(id: id.description), body: .json(.init(reason: reason))).ok.body.json }
    }

    /// Makes or rotates a user's calendar feed (`me`, a handle or an id).
    public func issueFeed(for user: String, language: String?) async throws -> Components.Schemas.IssuedFeed {
        let settings = Components.Schemas.FeedSettings(language: try language.map { text in
            guard let language = Components.Schemas.Language(rawValue: text) else { throw DeviceClientError.server(status: 422, code: "language_invalid", detail: "The language is nb or en.") }
            return language
        })
        return try await call { try await client.issueFeed(path: .init(user: user), body: .json(settings)).created.body.json }
    }

    public func feed(of user: String) async throws -> Components.Schemas.Feed {
        try await call { try await client.showFeed(path: .init(user: user)).ok.body.json }
    }

    public func revokeFeed(of user: String) async throws {
        try await call { _ = try await client.revokeFeed(path: .init(user: user)).noContent }
    }

    // MARK: Errors

    /// The largest answer a device reads: an envelope is at most about 350 KiB.
    static let maximumAnswer = 4 * 1024 * 1024

    /// Runs one operation and turns what can go wrong into ``DeviceClientError``. A documented
    /// answer other than the one asked for never arrives here (``ProblemMiddleware`` throws it
    /// first); an undocumented one is an unexpected answer.
    func call<Answer>(_ operation: () async throws -> Answer) async throws -> Answer {
        do {
            return try await operation()
        } catch let error as ClientError {
            throw Self.deviceError(error.underlyingError, status: error.response.map { Int($0.status.code) })
        } catch let error as DeviceClientError {
            throw error
        } catch {
            throw DeviceClientError.unexpectedAnswer(status: 0)
        }
    }

    static func deviceError(_ error: any Error, status: Int?) -> DeviceClientError {
        switch error {
        case let error as DeviceClientError: error
        case is HTTPClientError, is ChannelError: .unreachable
        case let error as IOError where [ECONNREFUSED, ECONNRESET, EHOSTUNREACH, ENETUNREACH, ETIMEDOUT].contains(error.errnoCode): .unreachable
        default: .unexpectedAnswer(status: status ?? 0)
        }
    }
}

/// Sends the bearer token and names the client on every request.
struct CredentialsMiddleware: ClientMiddleware {
    let token: String

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.authorization] = "Bearer \(token)"
        request.headerFields[.userAgent] = "assignment-dispatch-device/1"
        return try await next(request, body, baseURL)
    }
}

/// Turns every answer that is not a success into the server's problem (its status, stable code
/// and words) before the generated code looks at it, and bounds how much of an answer is read.
struct ProblemMiddleware: ClientMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, answer) = try await next(request, body, baseURL)
        let status = Int(response.status.code)
        let bytes: [UInt8]
        do {
            if let answer {
                bytes = try await [UInt8](collecting: answer, upTo: DispatchAPI.maximumAnswer)
            } else {
                bytes = []
            }
        } catch {
            throw DeviceClientError.unexpectedAnswer(status: status)
        }
        guard (200..<300).contains(status) else {
            struct Problem: Decodable {
                var code: String
                var detail: String
            }
            guard let problem = try? JSONDecoder().decode(Problem.self, from: Data(bytes)) else { throw DeviceClientError.unexpectedAnswer(status: status) }
            throw DeviceClientError.server(status: status, code: problem.code, detail: problem.detail)
        }
        return (response, answer == nil ? nil : HTTPBody(bytes))
    }
}
