/// Why an account operation was refused. Stable codes, as in the API's problem answers.
public enum AccountError: Error, Sendable, Hashable, CustomStringConvertible {
    case organizationExists(String)
    case organizationNotFound(String)
    case localAssociationExists(String)
    case localAssociationNotFound(String)
    case handleTaken(String)
    case handleInvalid(String)
    case userNotFound(String)
    case userDeactivated(String)
    case tokenNotFound
    case lifetimeInvalid

    public var code: String {
        switch self {
        case .organizationExists: "organization_exists"
        case .organizationNotFound: "organization_not_found"
        case .localAssociationExists: "local_association_exists"
        case .localAssociationNotFound: "local_association_not_found"
        case .handleTaken: "handle_taken"
        case .handleInvalid: "handle_invalid"
        case .userNotFound: "user_not_found"
        case .userDeactivated: "user_deactivated"
        case .tokenNotFound: "token_not_found"
        case .lifetimeInvalid: "token_lifetime_invalid"
        }
    }

    public var description: String {
        switch self {
        case .organizationExists(let name): "An organisation named \(name) exists already."
        case .organizationNotFound(let name): "No organisation named \(name). List them with: dispatch org list"
        case .localAssociationExists(let name): "The organisation has a local association named \(name) already."
        case .localAssociationNotFound(let name): "The organisation has no local association named \(name)."
        case .handleTaken(let handle): "The organisation has a user with the handle \(handle) already."
        case .handleInvalid(let handle):
            "'\(handle)' is not a usable handle: 2 to 64 characters, lower-case letters, digits, dot, dash or underscore, starting with a letter or digit."
        case .userNotFound(let handle): "The organisation has no user with the handle \(handle)."
        case .userDeactivated(let handle): "The user \(handle) is deactivated. Reactivate them first: dispatch users reactivate"
        case .tokenNotFound: "No such token in this organisation."
        case .lifetimeInvalid: "A token lives between 1 hour and 365 days."
        }
    }
}
