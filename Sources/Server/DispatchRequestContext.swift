import Foundation
import Hummingbird
import Storage

/// The request context of every route.
public struct DispatchRequestContext: RequestContext {
    /// The largest request body any route accepts: an envelope is at most about 256 KiB, which is
    /// about 350 KiB in base64 inside JSON. Anything larger is refused with 413 before it is read.
    public static let maximumRequestBody = 1024 * 1024

    public var coreContext: CoreRequestContextStorage
    /// The signed-in user, set by the bearer authentication of `/v1` routes.
    public var user: UserRecord?
    /// The client's address, the key of the failed-authentication limiter ("unknown" in tests).
    public let clientAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The signed-in user; routes below the bearer authentication always have one.
    public func requireUser() throws -> UserRecord {
        guard let user else { throw HTTPError(.unauthorized) }
        return user
    }

    public var maxUploadSize: Int { Self.maximumRequestBody }

    /// Responses: JSON with sorted keys and ISO 8601 dates.
    public var responseEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
