/// A failure reported by PostgreSQL or libpq.
///
/// Carries the SQLSTATE and PostgreSQL's primary message. The DETAIL field is deliberately kept
/// out of ``description``: PostgreSQL puts row values there ("Failing row contains (…)"), and a
/// row may hold a ciphertext or an id that must not reach a log.
public struct PostgresError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server refused a statement.
        case statement
        /// A value in a result did not decode to the type asked for.
        case decoding
    }

    public var kind: Kind
    /// The five-character SQLSTATE ("23505"), when the server sent one.
    public var sqlState: String?
    public var message: String
    /// The constraint a violation names, when there is one (safe to show: it is a schema name).
    public var constraint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, constraint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.constraint = constraint
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        return text
    }

    /// A transaction asked for a proven scope, but the configuration holds no scope-proof key
    /// (a programming error: every configuration is made with the server key's).
    static let scopeProofKeyMissing = PostgresError(kind: .statement, message: "no scope-proof key is configured, so no tenant transaction can be proven")

    // Standard SQLSTATEs the project checks for (the schema's own AD00x codes are in Storage).
    public static let uniqueViolation = "23505"
    public static let checkViolation = "23514"
    public static let foreignKeyViolation = "23503"
    public static let insufficientPrivilege = "42501"
}
