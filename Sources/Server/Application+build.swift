import AsyncHTTPClient
import Contract
import Envelope
import Exports
import Foundation
import Hummingbird
import Jobs
import Logging
import Metrics
import OpenAPIHummingbird
import OpenAPIRuntime
import Postgres
import Prometheus
import Storage

/// Builds the whole HTTP application: opens the database (starting the embedded cluster when there
/// is no external one), applies pending migrations, and wires the routes and middleware. The
/// command line's `dispatch serve` and every server test call this one function.
///
/// The database closes when the application's service group shuts down gracefully, after the HTTP
/// server has stopped taking requests (``DatabaseService``).
public func buildApplication(configuration: ServerConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let database = try await Database.openMigrated(configuration.database, logger: logger, now: configuration.now())
    let servingRole = try await ServingRole.inspect(database)
    for problem in servingRole.problems {
        logger.warning("\(servingRole.explanation(of: problem))", metadata: ["problem": "\(problem.rawValue)"])
    }
    for missing in try await ErasureKeyringStatus.inspect(database).missing {
        logger.warning(
            "the erasure keyring has no key for a day with live sealed keys: those envelopes can no longer be handed out (docs/security.md, \"Erasure\")",
            metadata: ["day": "\(missing.epoch)", "sealed_keys": "\(missing.sealedKeys)"])
    }
    let serverKey = try configuration.serverKey ?? ServerKey.generate()
    let updates = LiveUpdates()
    let router = try buildRouter(database: database, configuration: configuration, serverKey: serverKey, updates: updates)
    let host = configuration.host
    var application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "assignment-dispatch"),
        onServerRunning: { channel in
            logger.notice("serving on http://\(host):\(channel.localAddress?.port ?? 0) (GET /openapi.json describes the API); SIGTERM or Ctrl-C stops")
        },
        logger: logger)
    // Services stop in the reverse order (after the HTTP server): the job runner first, then the HTTP
    // client, the audit chainer (its last pass links what the last requests wrote), the database last.
    application.addServices(DatabaseService(database: database))
    if let interval = configuration.embeddedDatabaseCheckInterval, database.embedded != nil {
        application.addServices(EmbeddedDatabaseWatchdog(database: database, interval: interval, logger: logger))
    }
    if let interval = configuration.liveUpdateInterval {
        application.addServices(AssignmentChangeListener(database: database, updates: updates, interval: interval, logger: logger))
    }
    if let interval = configuration.auditLinkInterval {
        application.addServices(AuditChainer(store: AuditChainStore(database: database), interval: interval, logger: logger))
    }
    if configuration.jobInterval != nil || configuration.notificationInterval != nil {
        var delivery: NotificationDeliveryJob?
        if configuration.notificationInterval != nil {
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
            application.addServices(HTTPClientService(httpClient: httpClient))
            delivery = .standard(database: database, serverKey: serverKey, httpClient: httpClient, now: configuration.now, logger: logger)
        }
        application.addServices(
            JobRunner(
                database: database, delivery: delivery, now: configuration.now,
                schedule: .init(work: configuration.jobInterval, delivery: configuration.notificationInterval), logger: logger))
    }
    return application
}

/// Every route and middleware of the API, on an open database. ``buildApplication(configuration:logger:)``
/// serves it; the tests route requests through it.
///
/// The routes are the contract's operations (`Sources/Contract/openapi.yaml`), registered by the
/// generated code and implemented by ``APIHandler``. Around them, outermost first: the request
/// log and metrics (by route template), problem+json for every error, 405 for a method an address
/// does not take, the whole body read within its limit, bearer authentication on `/v1`, unknown query parameters refused, and
/// `Idempotency-Key` on dispatch. Beside them, the web pages (``WebPages``, docs/web.md).
public func buildRouter(
    database: Database, configuration: ServerConfiguration, serverKey: ServerKey, updates: LiveUpdates = LiveUpdates()
) throws -> Router<DispatchRequestContext> {
    let registry = PrometheusCollectorRegistry()
    let router = Router(context: DispatchRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware(factory: PrometheusMetricsFactory(registry: registry)))
    router.add(middleware: ProblemResponseMiddleware())
    router.add(middleware: MethodNotAllowedMiddleware())
    router.add(middleware: RequestBodyMiddleware())
    let limiter = AuthenticationFailureLimiter(limit: configuration.signInFailureLimit)
    router.add(middleware: BearerAuthenticationMiddleware(accounts: AccountStore(database: database), limiter: limiter, now: configuration.now))
    router.add(middleware: StrictRequestMiddleware())
    router.add(middleware: IdempotencyMiddleware(idempotency: IdempotencyStore(database: database), now: configuration.now))
    let handler = APIHandler(database: database, serverKey: serverKey, registry: registry, publicURL: configuration.publicURL, now: configuration.now)
    try handler.registerHandlers(on: router, configuration: .contract, middlewares: [EmptyBodyMiddleware(), LiteralHeaderMiddleware()])
    WebPages(
        database: database, serverKey: serverKey, sessions: WebSessionStore(database: database), updates: updates, limiter: limiter,
        cookies: WebCookies(secure: configuration.publicURL?.lowercased().hasPrefix("https://") == true), texts: .bundled, templates: .bundled,
        now: configuration.now
    ).register(on: router)
    return router
}
