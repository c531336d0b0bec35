import AssignmentCore
import AsyncHTTPClient
import Envelope
import Foundation
import Logging
import NIOCore
import Storage
import Templates

/// A way to hand a notification to the outside world. Throws ``NotificationChannelFailure`` when
/// the attempt failed and may be retried.
public protocol NotificationChannel: Sendable {
    func deliver(_ notification: NotificationDelivery, at time: Date) async throws
}

/// Why a delivery attempt failed, as the short code stored on the notification.
public struct NotificationChannelFailure: Error, Sendable, Hashable {
    public var code: String
    public init(code: String) { self.code = code }
}

/// What a webhook receives (and the log shows): references and a generic text only.
struct NotificationMessage: Codable, Sendable {
    var id: String
    var kind: String
    var organizationID: OrganizationID
    var assignmentID: AssignmentID?
    var recipientUserID: UserID
    var createdAt: Date
    var attempt: Int
    var text: [String: String]

    init(_ delivery: NotificationDelivery) {
        id = delivery.id.uuidString.lowercased()
        kind = delivery.kind
        organizationID = delivery.organizationID
        assignmentID = delivery.assignmentID
        recipientUserID = delivery.recipientUserID
        createdAt = delivery.createdAt
        attempt = delivery.attempt
        let known = NotificationKind(rawValue: delivery.kind)
        text = [:]
        for language in Language.allCases {
            text[language.rawValue] = known.map { TextCatalog.bundled.text(.notification($0), language) } ?? ""
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, attempt, text
        case organizationID = "organization_id"
        case assignmentID = "assignment_id"
        case recipientUserID = "recipient_user_id"
        case createdAt = "created_at"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }
}

/// Writes each notification to the server's log (ids and kind only). The channel for organisations
/// without a webhook: an operator can forward the log to whatever pushes to phones.
public struct LogNotificationChannel: NotificationChannel {
    let logger: Logger

    public init(logger: Logger) { self.logger = logger }

    public func deliver(_ notification: NotificationDelivery, at time: Date) async throws {
        logger.info(
            "notification", metadata: [
                "notification_id": "\(notification.id.uuidString.lowercased())", "kind": "\(notification.kind)",
                "organization_id": "\(notification.organizationID)", "recipient_user_id": "\(notification.recipientUserID)",
                "assignment_id": "\(notification.assignmentID.map(\.description) ?? "")", "attempt": "\(notification.attempt)",
            ])
    }
}

/// Posts each notification as JSON to the organisation's webhook, signed with HMAC-SHA-256
/// (``WebhookSignature``, docs/notifications.md). Redirects are not followed; any answer but 2xx,
/// a timeout or a refused connection is a failed attempt.
public struct WebhookNotificationChannel: NotificationChannel {
    let httpClient: HTTPClient
    let serverKey: ServerKey
    let timeout: TimeAmount

    public init(httpClient: HTTPClient, serverKey: ServerKey, timeout: TimeAmount = .seconds(10)) {
        self.httpClient = httpClient
        self.serverKey = serverKey
        self.timeout = timeout
    }

    public func deliver(_ notification: NotificationDelivery, at time: Date) async throws {
        guard let url = notification.webhookURL else { throw NotificationChannelFailure(code: "no_webhook") }
        let body = try NotificationMessage(notification).encoded()
        let secret = try serverKey.webhookSecret(
            organization: notification.organizationID.uuid, version: notification.webhookSecretVersion, serverKeyVersion: notification.webhookServerKeyVersion)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "assignment-dispatch-webhook/1")
        request.headers.add(name: "Dispatch-Notification-Id", value: notification.id.uuidString.lowercased())
        request.headers.add(name: WebhookSignature.headerName, value: WebhookSignature.header(body: [UInt8](body), secret: secret, at: time))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeout)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            throw NotificationChannelFailure(code: "timeout")
        } catch {
            throw NotificationChannelFailure(code: "connection_failed")
        }
        // Drain (and bound) the answer; its content is never stored or logged.
        _ = try? await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else { throw NotificationChannelFailure(code: "http_\(response.status.code)") }
    }
}

/// The webhook for organisations that have one, the log for the others.
public struct OrganizationNotificationChannel: NotificationChannel {
    let webhook: any NotificationChannel
    let log: any NotificationChannel

    public init(webhook: any NotificationChannel, log: any NotificationChannel) {
        self.webhook = webhook
        self.log = log
    }

    public func deliver(_ notification: NotificationDelivery, at time: Date) async throws {
        try await (notification.webhookURL == nil ? log : webhook).deliver(notification, at: time)
    }
}
