import AssignmentCore
import AsyncHTTPClient
import Envelope
import Foundation
import NIOCore
import NIOHTTP1

/// The `/v1` API as the device sees it: one method per endpoint, typed answers, problem documents
/// turned into ``DeviceClientError/server(status:code:detail:)`` and a network failure into
/// ``DeviceClientError/unreachable``. The shapes are this client's own (docs/http.md), not the
/// server's types: the device never links the server.
public struct DispatchAPI: Sendable {
    public let serverAddress: String
    let token: String
    let httpClient: HTTPClient
    let timeout: TimeAmount

    public init(serverAddress: String, token: String, httpClient: HTTPClient, timeout: TimeAmount = .seconds(30)) throws {
        self.serverAddress = try Self.normalise(serverAddress)
        self.token = token
        self.httpClient = httpClient
        self.timeout = timeout
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

    // MARK: Endpoints

    public func me() async throws -> UserInfo {
        try await call(.GET, "/v1/me")
    }

    public func registerKey(_ keys: DevicePublicKeys, label: String?) async throws -> KeyInfo {
        var body: [String: String] = [
            "encryption_public_key": Data(keys.encryptionKey).base64EncodedString(), "signing_public_key": Data(keys.signingKey).base64EncodedString(),
        ]
        body["label"] = label
        return try await call(.POST, "/v1/keys", json: body)
    }

    /// A user's keys by handle or id; `includeInactive` adds retired and revoked ones (to check old signatures).
    public func keys(of user: String, includeInactive: Bool = false) async throws -> UserKeys {
        try await call(.GET, "/v1/users/\(Self.pathComponent(user))/keys" + (includeInactive ? "?status=all" : ""))
    }

    public func dispatch(_ request: DispatchRequest, idempotencyKey: String) async throws -> DispatchedAssignment {
        try await call(.POST, "/v1/assignments", json: request, headers: [("Idempotency-Key", idempotencyKey)])
    }

    public func overview(_ query: OverviewQuery) async throws -> OverviewPage {
        try await call(.GET, "/v1/assignments" + query.queryString)
    }

    public func assignment(_ id: AssignmentID) async throws -> AssignmentInfo {
        try await call(.GET, "/v1/assignments/\(id)")
    }

    /// The envelope for this device; the first download is the delivery receipt.
    public func envelope(_ id: AssignmentID, device: KeyFingerprint) async throws -> [UInt8] {
        let (status, body) = try await send(.GET, "/v1/assignments/\(id)/envelope?device=\(device.hex)", body: nil, headers: [])
        guard status == 200 else { throw Self.problem(status: status, body: body) }
        return body
    }

    /// `read`, `acknowledge`, `contact`, `complete` or `consent`.
    public func act(_ action: ReceiptAction, on id: AssignmentID) async throws -> AssignmentInfo {
        try await call(.POST, "/v1/assignments/\(id)/\(action.rawValue)")
    }

    public func cancel(_ id: AssignmentID, reason: String) async throws -> AssignmentInfo {
        try await call(.POST, "/v1/assignments/\(id)/cancel", json: ["reason": reason])
    }

    /// Makes or rotates a user's calendar feed (`me`, a handle or an id).
    public func issueFeed(for user: String, language: String?) async throws -> FeedAddressInfo {
        try await call(.POST, "/v1/users/\(Self.pathComponent(user))/feed", json: language.map { ["language": $0] } ?? [:])
    }

    public func feed(of user: String) async throws -> FeedInfo {
        try await call(.GET, "/v1/users/\(Self.pathComponent(user))/feed")
    }

    public func revokeFeed(of user: String) async throws {
        let (status, answer) = try await send(.DELETE, "/v1/users/\(Self.pathComponent(user))/feed", body: nil, headers: [])
        guard (200..<300).contains(status) else { throw Self.problem(status: status, body: answer) }
    }

    // MARK: Transport

    static let maximumResponse = 4 * 1024 * 1024

    func call<Answer: Decodable>(_ method: HTTPMethod, _ path: String, json: (some Encodable)? = nil as String?, headers: [(String, String)] = []) async throws -> Answer {
        var body: [UInt8]?
        if let json {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = [.sortedKeys]
            body = [UInt8](try encoder.encode(json))
        }
        let (status, answer) = try await send(method, path, body: body, headers: headers)
        guard (200..<300).contains(status) else { throw Self.problem(status: status, body: answer) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Answer.self, from: Data(answer))
        } catch {
            throw DeviceClientError.unexpectedAnswer(status: status)
        }
    }

    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, headers: [(String, String)]) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: serverAddress + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "assignment-dispatch-device/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeout)
        } catch {
            throw DeviceClientError.unreachable
        }
        let buffer: ByteBuffer
        do {
            buffer = try await response.body.collect(upTo: Self.maximumResponse)
        } catch {
            throw DeviceClientError.unexpectedAnswer(status: Int(response.status.code))
        }
        return (Int(response.status.code), Array(buffer.readableBytesView))
    }

    static func problem(status: Int, body: [UInt8]) -> DeviceClientError {
        struct Problem: Decodable {
            var code: String
            var detail: String
        }
        guard let problem = try? JSONDecoder().decode(Problem.self, from: Data(body)) else { return .unexpectedAnswer(status: status) }
        return .server(status: status, code: problem.code, detail: problem.detail)
    }

    static func pathComponent(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._"))) ?? text
    }
}

/// What a device reports about an assignment it holds.
public enum ReceiptAction: String, Sendable, Hashable, Codable, CaseIterable {
    case consent, read, acknowledge, contact, complete
}
