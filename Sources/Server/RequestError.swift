import HTTPTypes

/// A request whose shape is wrong: answered 400 (not JSON, unknown members, a bad id in the path)
/// or 422 (a well-formed value that is not acceptable).
enum RequestError: Error, Sendable, Hashable, CustomStringConvertible {
    case malformedBody
    case nullMember
    case unknownMembers([String])
    case invalidIdentifier(String)
    case invalidValue(member: String, problem: String)

    var status: HTTPResponse.Status {
        switch self {
        case .malformedBody, .nullMember, .unknownMembers, .invalidIdentifier: .badRequest
        case .invalidValue: .unprocessableContent
        }
    }

    var code: String {
        switch self {
        case .malformedBody, .nullMember: "malformed_request"
        case .unknownMembers: "unknown_member"
        case .invalidIdentifier: "invalid_identifier"
        case .invalidValue: "invalid_value"
        }
    }

    var description: String {
        switch self {
        case .malformedBody: "The request body is not a JSON object of the expected shape."
        case .nullMember: "A member of the request body is null: leave a member out instead of sending null."
        case .unknownMembers(let members): "The request has members this endpoint does not know: \(members.joined(separator: ", "))."
        case .invalidIdentifier(let name): "The \(name) in the address is not a valid id."
        case .invalidValue(let member, let problem): "\(member) \(problem)."
        }
    }
}
