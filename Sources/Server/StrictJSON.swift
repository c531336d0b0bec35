import Foundation
import HTTPTypes
import Hummingbird

/// A request body type whose JSON may hold only the members it names: a misspelt member must be an
/// error, not silently ignored.
protocol StrictRequestBody: Decodable {
    static var members: Set<String> { get }
}

/// A request whose shape is wrong: answered 400 (not JSON, unknown members, a bad id in the path)
/// or 422 (a well-formed value that is not acceptable).
enum RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformedBody
    case unknownMembers([String])
    case invalidIdentifier(String)
    case invalidValue(member: String, problem: String)

    var status: HTTPResponse.Status {
        switch self {
        case .malformedBody, .unknownMembers, .invalidIdentifier: .badRequest
        case .invalidValue: .unprocessableContent
        }
    }

    var code: String {
        switch self {
        case .malformedBody: "malformed_request"
        case .unknownMembers: "unknown_member"
        case .invalidIdentifier: "invalid_identifier"
        case .invalidValue: "invalid_value"
        }
    }

    var description: String {
        switch self {
        case .malformedBody: "The request body is not a JSON object of the expected shape."
        case .unknownMembers(let members): "The request has members this endpoint does not know: \(members.joined(separator: ", "))."
        case .invalidIdentifier(let name): "The \(name) in the address is not a valid id."
        case .invalidValue(let member, let problem): "\(member) \(problem)."
        }
    }
}

extension Request {
    /// Reads the body (within the context's size limit) and decodes it, refusing unknown members.
    /// Dates are ISO 8601 in UTC or with an offset, such as `2026-12-01T09:00:00Z`.
    func decodeStrictly<Body: StrictRequestBody>(as type: Body.Type, context: some RequestContext) async throws -> Body {
        try await decodeStrictlyKeepingBytes(as: type, context: context).body
    }

    /// ``decodeStrictly(as:context:)`` for a body that may be left out: `nil` for an empty body.
    func decodeStrictlyIfPresent<Body: StrictRequestBody>(as type: Body.Type, context: some RequestContext) async throws -> Body? {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        var copy = self
        copy.body = RequestBody(buffer: buffer)
        return try await copy.decodeStrictly(as: type, context: context)
    }

    /// ``decodeStrictly(as:context:)``, also returning the bytes it decoded (for an idempotency hash).
    func decodeStrictlyKeepingBytes<Body: StrictRequestBody>(as type: Body.Type, context: some RequestContext) async throws -> (body: Body, bytes: Data) {
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        let data = Data(buffer: buffer)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw RequestError.malformedBody }
        let unknown = Set(object.keys).subtracting(Body.members)
        guard unknown.isEmpty else { throw RequestError.unknownMembers(unknown.sorted()) }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return (try decoder.decode(Body.self, from: data), data)
        } catch {
            throw RequestError.malformedBody
        }
    }
}

extension Parameters {
    /// A UUID path parameter, or 400 `invalid_identifier`.
    func requireID(_ name: String) throws -> UUID {
        guard let text = get(name), let id = UUID(uuidString: text) else { throw RequestError.invalidIdentifier(name) }
        return id
    }
}
