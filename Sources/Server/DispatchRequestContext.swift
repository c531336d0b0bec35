import Hummingbird

/// The request context of every route.
public struct DispatchRequestContext: RequestContext {
    /// The largest request body any route accepts: an envelope is at most about 256 KiB, which is
    /// about 350 KiB in base64 inside JSON. Anything larger is refused with 413 before it is read.
    public static let maximumRequestBody = 1024 * 1024

    public var coreContext: CoreRequestContextStorage
    /// The client's address, the key of the failed-authentication limiter ("unknown" in tests).
    public let clientAddress: String

    public init(source: Source) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    public var maxUploadSize: Int { Self.maximumRequestBody }
}
