/// The languages every human-facing text exists in. Norwegian bokmål is the default: the first
/// organisations are Norwegian.
public enum Language: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case nb
    case en

    public static let `default` = Language.nb

    public var description: String { rawValue }
}
