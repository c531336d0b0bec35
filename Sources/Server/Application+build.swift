import AsyncHTTPClient
import Envelope
import Exports
import Foundation
import Hummingbird
import Jobs
import Logging
import Metrics
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
    let serverKey = try configuration.serverKey ?? ServerKey.generate()
    let router = buildRouter(database: database, configuration: configuration, serverKey: serverKey)
    let host = configuration.host
    var application = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "assignment-dispatch"),
        onServerRunning: { channel in
            logger.notice("serving on http://\(host):\(channel.localAddress?.port ?? 0) (GET /openapi.json describes the API); SIGTERM or Ctrl-C stops")
        },
        logger: logger)
    // Services stop in the reverse order: the job runner first, then the HTTP client, the database last.
    application.addServices(DatabaseService(database: database))
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
/// serves it; the OpenAPI test lists its routes.
public func buildRouter(database: Database, configuration: ServerConfiguration, serverKey: ServerKey) -> Router<DispatchRequestContext> {
    let registry = PrometheusCollectorRegistry()
    let router = Router(context: DispatchRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: RequestMetricsMiddleware(factory: PrometheusMetricsFactory(registry: registry)))
    router.add(middleware: ProblemResponseMiddleware())
    HealthController(database: database).addRoutes(to: router)
    MetricsController(registry: registry).addRoutes(to: router)
    OpenAPIController().addRoutes(to: router)
    let api = router.group("v1")
        .add(middleware: BearerAuthenticationMiddleware(accounts: AccountStore(database: database), limiter: AuthenticationFailureLimiter(), now: configuration.now))
    MeController().addRoutes(to: api)
    KeysController(keys: DeviceKeyStore(database: database), accounts: AccountStore(database: database), now: configuration.now).addRoutes(to: api)
    AssignmentsController(assignments: AssignmentStore(database: database), idempotency: IdempotencyStore(database: database), now: configuration.now)
        .addRoutes(to: api)
    HonorariumController(honorarium: HonorariumStore(database: database), now: configuration.now).addRoutes(to: api)
    ReportsController(database: database).addRoutes(to: api)
    AuditController(database: database, serverKey: serverKey, now: configuration.now).addRoutes(to: api)
    FeedsController(feeds: FeedStore(database: database), calendar: CalendarFeed(serverKey: serverKey), publicURL: configuration.publicURL, now: configuration.now)
        .addRoutes(to: router, api: api)
    return router
}
