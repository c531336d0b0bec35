import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Postgres
import Server
import Storage
import Testing

@Suite("HTTP application")
struct ServerTests {
    func application() async throws -> some ApplicationProtocol {
        let configuration = ServerConfiguration(host: "127.0.0.1", port: 0, database: try await TestPostgres.databaseConfiguration())
        return try await buildApplication(configuration: configuration, logger: TestPostgres.logger)
    }

    @Test("GET /healthz answers 200 when the database is reachable")
    func health() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains(#""status":"ok""#))
            }
        }
    }

    @Test("an unknown address is a 404 problem+json with a stable code")
    func unknownRoute() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType] == ProblemDetails.mediaType)
                let problem = try JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body))
                #expect(problem.code == "not_found")
                #expect(problem.status == 404)
            }
        }
    }

    @Test("GET /metrics counts requests by route template and status")
    func metrics() async throws {
        try await application().test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/healthz", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(response.headers[.contentType]?.contains("version=0.0.4") == true)
                let text = String(buffer: response.body)
                let line = text.split(separator: "\n").first { $0.hasPrefix("http_requests_total{") && $0.contains(#"route="/healthz""#) }
                #expect(line?.contains(#"status="200""#) == true, "\(text)")
                #expect(line?.hasSuffix(" 2") == true, "\(String(describing: line))")
                #expect(text.contains("http_request_duration_seconds"))
            }
        }
    }

    @Test("the live server answers over TCP")
    func live() async throws {
        try await application().test(.live) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }
}

/// The one error mapping, through a real router with routes that fail in each way.
@Suite("Problem answers")
struct ProblemMappingTests {
    struct Unexpected: Error, CustomStringConvertible {
        var description: String { "secret internal detail MARKER-77" }
    }

    struct Strict: Decodable { var number: Int }

    func router() -> Router<DispatchRequestContext> {
        let router = Router(context: DispatchRequestContext.self)
        router.add(middleware: ProblemResponseMiddleware())
        router.get("/domain/{code}") { _, context -> String in
            let errors: [String: DomainError] = ["expired": .payloadExpired, "missing": .notFound, "transition": .invalidTransition(from: .completed, to: .read),
                                                 "role": .coordinatorRoleRequired, "pii": .personalDataInText(field: "title", findings: [])]
            throw errors[try context.parameters.require("code")]!
        }
        router.get("/envelope") { _, _ -> String in throw EnvelopeError.badSignature }
        router.get("/constraint") { _, _ -> String in
            throw PostgresError(kind: .statement, sqlState: PostgresError.checkViolation, message: "new row violates check constraint", constraint: "x")
        }
        router.get("/database-down") { _, _ -> String in throw PostgresError(kind: .connection, message: "server closed the connection") }
        router.get("/unexpected") { _, _ -> String in throw Unexpected() }
        router.post("/decode") { request, context -> String in
            let value = try await request.decode(as: Strict.self, context: context)
            return "\(value.number)"
        }
        router.post("/upload") { request, context -> String in
            let body = try await request.body.collect(upTo: context.maxUploadSize)
            return "\(body.readableBytes)"
        }
        return router
    }

    /// The problem document of a response, `nil` unless it is one.
    func problem(_ response: TestResponse) -> ProblemDetails? {
        guard response.headers[.contentType] == ProblemDetails.mediaType else { return nil }
        return try? JSONDecoder().decode(ProblemDetails.self, from: Data(buffer: response.body))
    }

    @Test("domain errors answer with their status and stable code")
    func domainErrors() async throws {
        let expected: [(String, Int, String)] = [
            ("expired", 410, "payload_expired"), ("missing", 404, "not_found"), ("transition", 409, "invalid_transition"),
            ("role", 403, "coordinator_role_required"), ("pii", 422, "personal_data_in_text"),
        ]
        try await Application(router: router()).test(.router) { client in
            for (path, status, code) in expected {
                try await client.execute(uri: "/domain/\(path)", method: .get) { response in
                    #expect(response.status.code == status, "\(path)")
                    #expect(problem(response)?.code == code)
                }
            }
        }
    }

    @Test("every domain error maps to a 4xx status")
    func everyDomainErrorIsAClientError() {
        let samples = DomainError.oneOfEach
        for error in samples {
            let problem = ProblemMapping.problem(for: error)
            #expect((400..<500).contains(problem?.status ?? 0), "\(error.code)")
            #expect(problem?.code == error.code)
        }
    }

    @Test("envelope errors, bad JSON and oversized bodies are 4xx problems")
    func clientErrors() async throws {
        try await Application(router: router()).test(.router) { client in
            try await client.execute(uri: "/envelope", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                #expect(problem(response)?.code == "signature_invalid")
            }
            for body in [#"{"number": "seven"}"#, "not json", #"{"number": 1e999}"#, ""] {
                try await client.execute(uri: "/decode", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(["bad_request", "malformed_request"].contains(problem(response)?.code ?? ""))
                }
            }
            let large = ByteBuffer(repeating: 0x41, count: DispatchRequestContext.maximumRequestBody + 1)
            try await client.execute(uri: "/upload", method: .post, body: large) { response in
                #expect(response.status == .contentTooLarge)
                #expect(problem(response)?.code == "payload_too_large")
            }
            let fits = ByteBuffer(repeating: 0x41, count: DispatchRequestContext.maximumRequestBody)
            try await client.execute(uri: "/upload", method: .post, body: fits) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test("a database refusal that got past the checks is a 4xx; a database that cannot be reached is 503 with Retry-After")
    func databaseErrors() async throws {
        try await Application(router: router()).test(.router) { client in
            try await client.execute(uri: "/constraint", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                #expect(problem(response)?.code == "invalid_value")
                #expect(!String(buffer: response.body).contains("check constraint"))
            }
            try await client.execute(uri: "/database-down", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(problem(response)?.code == "database_unavailable")
                #expect(response.headers[.retryAfter] == "5")
            }
        }
    }

    @Test("an unexpected error is an empty 500 that reveals nothing")
    func unexpected() async throws {
        try await Application(router: router()).test(.router) { client in
            try await client.execute(uri: "/unexpected", method: .get) { response in
                #expect(response.status == .internalServerError)
                #expect(response.body.readableBytes == 0)
            }
        }
    }
}
