import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Hummingbird
import HummingbirdTesting
import Server
import Storage
import Testing

/// `/openapi.json` is kept true: every route is described, everything described is routed, every
/// `$ref` resolves, and real answers fit the documented schemas.
@Suite("OpenAPI document")
struct OpenAPITests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))

    func document(_ client: some TestClientProtocol) async throws -> [String: Any] {
        let response = try await client.execute(uri: "/openapi.json", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
        return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test("every route of the router is described with its method, and every described operation is routed")
    func routesMatch() async throws {
        let database = try await TestPostgres.database()
        let router = try buildRouter(database: database, configuration: ServerConfiguration(database: database.configuration, now: { self.clock.now }), serverKey: try ServerKey.generate())
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path)" })
        let (application, _) = try await makeApplication(clock: clock)
        try await application.test(.router) { client in
            let document = try await document(client)
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            let described = Set(paths.flatMap { path, operations in
                operations.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.map { "\($0.uppercased()) \(path)" }
            })
            #expect(routed.count >= 18)
            // Besides the API, the router serves the web pages (HTML for browsers, docs/web.md), which
            // are not part of the contract; any other route missing from the document is an error.
            let pages: Set<String> = [
                "GET /", "GET /static/app.css", "GET /static/app.js", "GET /sign-in", "POST /sign-in", "GET /sign-in/link", "POST /sign-in/link",
                "POST /sign-out", "POST /language", "GET /overview", "GET /assignments/{id}", "POST /assignments/{id}/cancel", "GET /admin",
                "POST /admin/settings", "GET /admin/honorarium", "GET /admin/honorarium.csv", "GET /compliance", "POST /compliance/dry-run",
                "GET /compliance/audit-extract", "GET /events",
            ]
            #expect(routed.subtracting(described) == pages, "routes missing from /openapi.json: \(routed.subtracting(described).subtracting(pages).sorted())")
            #expect(described.subtracting(routed).isEmpty, "described but not routed: \(described.subtracting(routed).sorted())")
            // Every operation has an id and a success answer; every $ref points at something.
            for (path, operations) in paths {
                for (method, operation) in operations where method != "parameters" {
                    let operation = try #require(operation as? [String: Any], "\(method) \(path)")
                    #expect(operation["operationId"] is String, "\(method) \(path)")
                    let responses = try #require(operation["responses"] as? [String: Any], "\(method) \(path)")
                    #expect(responses.keys.contains { $0.hasPrefix("2") }, "\(method) \(path)")
                }
            }
            // No request body may hold a null (StrictRequestMiddleware refuses one anywhere), so no
            // request schema may allow one.
            for (path, operations) in paths {
                for (method, operation) in operations where method != "parameters" {
                    guard let body = (operation as? [String: Any])?["requestBody"] else { continue }
                    var schemas: [Any] = []
                    collectSchemas(resolveIfReference(body, in: document) ?? [:], in: document, into: &schemas)
                    for schema in schemas {
                        let types = ((schema as? [String: Any])?["type"] as? [String]) ?? []
                        #expect(!types.contains("null") && (schema as? [String: Any])?["nullable"] == nil, "\(method) \(path) allows null in its body")
                    }
                }
            }
            var references: [String] = []
            collectReferences(document, into: &references)
            #expect(references.count > 50)
            for reference in Set(references) { #expect(resolve(reference, in: document) != nil, "\(reference) does not resolve") }
        }
        try await database.close()
    }

    @Test("real answers fit the documented schemas")
    func answersFitSchemas() async throws {
        let (application, accounts) = try await makeApplication(clock: clock)
        let world = try await DispatchWorld.make(accounts: accounts, clock: clock)
        try await application.test(.router) { client in
            let document = try await document(client)
            func check(_ method: HTTPRequest.Method, _ uri: String, template: String, token: String?, body: String? = nil) async throws -> TestResponse {
                var headers = HTTPFields()
                if let token { headers[.authorization] = "Bearer \(token)" }
                headers[.contentType] = "application/json"
                let response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
                let operation = ((document["paths"] as? [String: Any])?[template] as? [String: Any])?[method.rawValue.lowercased()] as? [String: Any]
                let responses = try #require(operation?["responses"] as? [String: Any], "\(method) \(template) is not documented")
                let described = try #require(
                    responses[String(response.status.code)].flatMap { resolveIfReference($0, in: document) } as? [String: Any],
                    "\(method) \(template) answered \(response.status.code), which is not documented")
                let contentType = response.headers[.contentType]?.split(separator: ";").first.map(String.init) ?? ""
                if contentType.hasSuffix("json") {
                    let content = try #require((described["content"] as? [String: Any])?[contentType] as? [String: Any], "\(method) \(template) \(contentType)")
                    let value = try JSONSerialization.jsonObject(with: Data(buffer: response.body), options: [.fragmentsAllowed])
                    let problems = conformance(of: value, to: content["schema"] ?? [:], in: document, at: "\(method) \(template)")
                    #expect(problems.isEmpty, "\(problems)")
                }
                return response
            }
            _ = try await check(.get, "/healthz", template: "/healthz", token: nil)
            _ = try await check(.get, "/v1/me", template: "/v1/me", token: world.coordinatorToken)
            _ = try await check(.get, "/v1/me", template: "/v1/me", token: "adt_wrong")
            try await world.registerDevices(client)
            _ = try await check(.get, "/v1/users/mentor/keys", template: "/v1/users/{user}/keys", token: world.coordinatorToken)
            let id = AssignmentID(UUID())
            _ = try await check(.post, "/v1/assignments", template: "/v1/assignments", token: world.coordinatorToken, body: try world.dispatchBody(id: id))
            _ = try await check(.post, "/v1/assignments", template: "/v1/assignments", token: world.coordinatorToken, body: try world.dispatchBody(id: id))
            _ = try await check(.post, "/v1/assignments", template: "/v1/assignments", token: world.coordinatorToken, body: "{")
            _ = try await check(.get, "/v1/assignments", template: "/v1/assignments", token: world.coordinatorToken)
            _ = try await check(.get, "/v1/assignments?limit=0", template: "/v1/assignments", token: world.coordinatorToken)
            _ = try await check(.get, "/v1/assignments/\(id)", template: "/v1/assignments/{id}", token: world.mentorToken)
            _ = try await check(.get, "/v1/assignments/\(id)/envelope?device=\(world.mentorDevice.fingerprint.hex)", template: "/v1/assignments/{id}/envelope", token: world.mentorToken)
            for step in ["read", "acknowledge", "contact", "complete"] {
                _ = try await check(.post, "/v1/assignments/\(id)/\(step)", template: "/v1/assignments/{id}/\(step)", token: world.mentorToken)
            }
            _ = try await check(.post, "/v1/assignments/\(id)/cancel", template: "/v1/assignments/{id}/cancel", token: world.coordinatorToken, body: #"{"reason":"x"}"#)
            _ = try await check(.post, "/v1/assignments/\(id)/consent", template: "/v1/assignments/{id}/consent", token: world.mentorToken)
            _ = try await check(.get, "/v1/assignments/\(UUID())", template: "/v1/assignments/{id}", token: world.mentorToken)
            _ = try await check(.get, "/v1/honorarium/mentor", template: "/v1/honorarium/{user}", token: world.mentorToken)
            _ = try await check(.get, "/v1/reports/honorarium?period=2026", template: "/v1/reports/honorarium", token: world.coordinatorToken)
            _ = try await check(.get, "/v1/honorarium/mentor?period=20x6", template: "/v1/honorarium/{user}", token: world.mentorToken)
            _ = try await check(.post, "/v1/assignments/\(id)/honorarium/void", template: "/v1/assignments/{id}/honorarium/void", token: world.mentorToken, body: #"{"reason":"x"}"#)
        }
    }

    // MARK: A small schema checker: object members must be described, required ones present, types right.

    func collectReferences(_ value: Any, into references: inout [String]) {
        if let object = value as? [String: Any] {
            if let reference = object["$ref"] as? String { references.append(reference) }
            for child in object.values { collectReferences(child, into: &references) }
        } else if let array = value as? [Any] {
            for child in array { collectReferences(child, into: &references) }
        }
    }

    /// Every schema reachable from `value`, references followed (each once).
    func collectSchemas(_ value: Any, in document: [String: Any], into schemas: inout [Any], seen: Set<String> = []) {
        var seen = seen
        if let object = value as? [String: Any] {
            if let reference = object["$ref"] as? String {
                guard !seen.contains(reference), let target = resolve(reference, in: document) else { return }
                seen.insert(reference)
                collectSchemas(target, in: document, into: &schemas, seen: seen)
                return
            }
            if object["type"] != nil || object["properties"] != nil { schemas.append(object) }
            for child in object.values { collectSchemas(child, in: document, into: &schemas, seen: seen) }
        } else if let array = value as? [Any] {
            for child in array { collectSchemas(child, in: document, into: &schemas, seen: seen) }
        }
    }

    func resolve(_ reference: String, in document: [String: Any]) -> Any? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any? = document
        for part in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(part)] }
        return node
    }

    func resolveIfReference(_ value: Any, in document: [String: Any]) -> Any? {
        if let reference = (value as? [String: Any])?["$ref"] as? String { return resolve(reference, in: document) }
        return value
    }

    func conformance(of value: Any, to schema: Any, in document: [String: Any], at path: String) -> [String] {
        guard let schema = resolveIfReference(schema, in: document) as? [String: Any] else { return ["\(path): schema does not resolve"] }
        let types: [String] = (schema["type"] as? [String]) ?? ((schema["type"] as? String).map { [$0] } ?? [])
        let actual: String = switch value {
        case is NSNull: "null"
        case let number as NSNumber where String(cString: number.objCType) == "c": "boolean"
        case let number as NSNumber: number.doubleValue == number.doubleValue.rounded() ? "integer" : "number"
        case is String: "string"
        case is [Any]: "array"
        case is [String: Any]: "object"
        default: "unknown"
        }
        if !types.isEmpty, !types.contains(actual), !(actual == "integer" && types.contains("number")) {
            return ["\(path): \(actual) where the document says \(types)"]
        }
        var problems: [String] = []
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            if !properties.isEmpty {
                for key in object.keys where properties[key] == nil { problems.append("\(path).\(key) is not documented") }
            }
            for required in schema["required"] as? [String] ?? [] where object[required] == nil { problems.append("\(path).\(required) is missing") }
            for (key, child) in object {
                if let property = properties[key] {
                    problems += conformance(of: child, to: property, in: document, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    problems += conformance(of: child, to: additional, in: document, at: "\(path).\(key)")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] {
            for (index, child) in array.enumerated() { problems += conformance(of: child, to: items, in: document, at: "\(path)[\(index)]") }
        }
        if let allowed = schema["enum"] as? [String], let text = value as? String, !allowed.contains(text) {
            problems.append("\(path): '\(text)' is not one of \(allowed)")
        }
        return problems
    }
}
