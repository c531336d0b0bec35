import Postgres

/// The SQLSTATEs that this schema's triggers raise (`AD00x`), beside PostgreSQL's standard ones.
extension PostgresError {
    /// Raised by the lifecycle trigger for a transition that is not in the table.
    public static let invalidTransition = "AD001"
    /// Raised when a status change names no actor.
    public static let missingActor = "AD002"
    /// Raised on UPDATE, DELETE or TRUNCATE of an append-only table.
    public static let appendOnly = "AD003"
    /// Raised when an immutable column of an assignment is changed.
    public static let immutableColumn = "AD004"
    /// Raised when a timestamp would move backwards.
    public static let timestampNotMonotonic = "AD005"
}
