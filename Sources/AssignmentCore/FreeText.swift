import Foundation

/// The plaintext fields a person types: their length limits and what characters they may hold.
/// Personal data is a separate check (``PersonalDataScreen``).
public struct FreeText: Sendable, Hashable {
    public var fieldName: String
    public var required: Bool
    public var maximumLength: Int
    public var allowsLineBreaks: Bool

    public static let title = FreeText(fieldName: "title", required: true, maximumLength: 120, allowsLineBreaks: false)
    public static let coordinatorNotes = FreeText(fieldName: "coordinator notes", required: false, maximumLength: 2000, allowsLineBreaks: true)
    public static let geographicRegion = FreeText(fieldName: "geographic region", required: false, maximumLength: 100, allowsLineBreaks: false)
    public static let deviceLabel = FreeText(fieldName: "label", required: false, maximumLength: 100, allowsLineBreaks: false)
    public static let reason = FreeText(fieldName: "reason", required: true, maximumLength: 500, allowsLineBreaks: true)

    /// Trims surrounding white space and returns the text, or throws `text_invalid` when it is
    /// missing, too long, or holds control characters (line breaks are allowed in notes only).
    public func validate(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty, required { throw DomainError.textInvalid(field: fieldName, problem: "is required") }
        if trimmed.count > maximumLength {
            throw DomainError.textInvalid(field: fieldName, problem: "is longer than \(maximumLength) characters")
        }
        for scalar in trimmed.unicodeScalars where scalar.properties.generalCategory == .control {
            if allowsLineBreaks, scalar == "\n" || scalar == "\r" || scalar == "\t" { continue }
            throw DomainError.textInvalid(field: fieldName, problem: "contains control characters")
        }
        return trimmed
    }
}
