/// What the honorarium's counting, corrections, rates and reports refuse (docs/honorarium.md).
public enum HonorariumError: Error, Sendable, Hashable, CustomStringConvertible {
    case adminRequired
    case notCounted
    case alreadyVoided
    case periodInvalid
    /// Rates that cannot be used, with what is wrong (no personal data: the command's own text).
    case ratesInvalid(String)
    /// A month that cannot be closed (yet), with why.
    case closeRefused(String)

    public var code: String {
        switch self {
        case .adminRequired: "organization_admin_required"
        case .notCounted: "honorarium_not_counted"
        case .alreadyVoided: "honorarium_already_voided"
        case .periodInvalid: "period_invalid"
        case .ratesInvalid: "honorarium_rates_invalid"
        case .closeRefused: "honorarium_close_refused"
        }
    }

    public var description: String {
        switch self {
        case .adminRequired: "Only an organisation admin can correct honorarium counts."
        case .notCounted: "This assignment has not been counted for the honorarium, so there is nothing to void."
        case .alreadyVoided: "This assignment's honorarium count has been voided already."
        case .periodInvalid: "The period is a year such as 2026 (reports also take a quarter, 2026-Q1, or a month, 2026-03)."
        case .ratesInvalid(let problem): "The honorarium rates cannot be used: \(problem)."
        case .closeRefused(let problem): "The period cannot be closed: \(problem)."
        }
    }
}
