import AssignmentCore
import Contract
import Envelope
import Exports
import Foundation
import Hummingbird
import OpenAPIRuntime
import Postgres
import Prometheus
import Storage
import Templates

/// Every operation of the contract (`Sources/Contract/openapi.yaml`), over the stores.
///
/// The generated code decodes each request into its typed input and encodes the typed output;
/// this type only decides. What it cannot see in the input (the signed-in user, the request's
/// host, a claimed Idempotency-Key) comes from ``RequestScope``, set by the middleware. Every
/// refusal is thrown and becomes problem+json in ``ProblemMapping``, so no operation builds an
/// error answer itself. Extensions in `APIHandler+*.swift` group the operations by area.
struct APIHandler: APIProtocol {
    let database: Database
    let accounts: AccountStore
    let keys: DeviceKeyStore
    let assignments: AssignmentStore
    let honorarium: HonorariumStore
    let feeds: FeedStore
    let calendar: CalendarFeed
    let serverKey: ServerKey
    let registry: PrometheusCollectorRegistry
    let publicURL: String?
    let now: @Sendable () -> Date

    init(database: Database, serverKey: ServerKey, registry: PrometheusCollectorRegistry, publicURL: String?, now: @escaping @Sendable () -> Date) {
        self.database = database
        accounts = AccountStore(database: database)
        keys = DeviceKeyStore(database: database)
        assignments = AssignmentStore(database: database)
        honorarium = HonorariumStore(database: database)
        feeds = FeedStore(database: database)
        calendar = CalendarFeed(serverKey: serverKey)
        self.serverKey = serverKey
        self.registry = registry
        self.publicURL = publicURL
        self.now = now
    }

    // MARK: Service

    /// 200 when the service can reach its database, 503 `database_unavailable` when not.
    func health(_ input: Operations.Health.Input) async throws -> Operations.Health.Output {
        do {
            try await database.withConnection { try $0.execute("SELECT 1") }
        } catch {
            throw ServiceError.databaseUnavailable
        }
        return .ok(.init(body: .json(.init(status: .ok, database: .ok))))
    }

    func metrics(_ input: Operations.Metrics.Input) async throws -> Operations.Metrics.Output {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return .ok(.init(body: .textPlainCharsetUtf8Version_0_0_4(HTTPBody(buffer))))
    }

    func openAPI(_ input: Operations.OpenAPI.Input) async throws -> Operations.OpenAPI.Output {
        .ok(.init(body: .json(try JSONDecoder().decode(OpenAPIObjectContainer.self, from: Data(APIDocument.json)))))
    }

    func openAPIYAML(_ input: Operations.OpenAPIYAML.Input) async throws -> Operations.OpenAPIYAML.Output {
        .ok(.init(body: .yaml(HTTPBody(APIDocument.yaml))))
    }

    func me(_ input: Operations.Me.Input) async throws -> Operations.Me.Output {
        .ok(.init(body: .json(.init(try RequestScope.requireUser()))))
    }

    // MARK: Input checks the generated code does not make

    /// A UUID as the document writes it, or 400 `invalid_identifier` naming the parameter.
    static func uuid(_ text: String, _ name: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else { throw RequestError.invalidIdentifier(name) }
        return id
    }

    /// A user by `me`, id or handle, as the document writes them, or 400 `invalid_identifier`.
    static func userReference(_ text: String, allowingMe: Bool, user: UserRecord) throws -> String {
        if allowingMe, text == "me" { return user.id.description }
        if let id = UUID(uuidString: text) { return id.uuidString.lowercased() }
        guard AccountStore.isValidHandle(text) else { throw RequestError.invalidIdentifier("user") }
        return text
    }
}

/// Failures of the service itself that a client should know about.
enum ServiceError: Error {
    /// The database cannot be reached: 503 `database_unavailable`.
    case databaseUnavailable
}
