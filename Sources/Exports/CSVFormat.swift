/// How a CSV file is written (RFC 4180): a separator, CRLF line ends, fields quoted when they
/// hold the separator, a quote or a line break, quotes doubled inside. Every cell that a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) is neutralised with a leading apostrophe, so a crafted value cannot execute; a plain
/// number such as `-500.00` is left as it is.
public struct CSVFormat: Sendable, Hashable {
    public var separator: Character
    /// A UTF-8 byte order mark first, which Excel needs to read UTF-8 (æ, ø, å).
    public var byteOrderMark: Bool
    /// Whether formula-like cells get a leading apostrophe. Off only for the audit extract, whose
    /// cells must stay byte for byte what was hashed (none of its columns can start with a formula
    /// character: ids, timestamps, lowercase names and JSON).
    public var neutralisesFormulas: Bool

    /// Plain RFC 4180: commas, UTF-8 without a BOM.
    public static let standard = CSVFormat(separator: ",", byteOrderMark: false)
    /// What Norwegian Excel opens cleanly: semicolons (the comma is the decimal sign) and a BOM.
    public static let excel = CSVFormat(separator: ";", byteOrderMark: true)
    /// The audit extract's CSV: RFC 4180, values exactly as hashed.
    public static let audit = CSVFormat(separator: ",", byteOrderMark: false, neutralisesFormulas: false)

    public init(separator: Character, byteOrderMark: Bool, neutralisesFormulas: Bool = true) {
        self.separator = separator
        self.byteOrderMark = byteOrderMark
        self.neutralisesFormulas = neutralisesFormulas
    }

    /// One record, with its CRLF.
    public func line(_ fields: [String]) -> String {
        fields.map(cell).joined(separator: String(separator)) + "\r\n"
    }

    public func cell(_ value: String) -> String {
        var text = value
        if neutralisesFormulas, let first = text.utf8.first, Self.formulaStarts.contains(first), !Self.isPlainNumber(text) {
            text = "'" + text
        }
        let needsQuotes = text.contains(separator) || text.contains("\"") || text.contains("\n") || text.contains("\r")
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// The characters a spreadsheet starts a formula with: `=`, `+`, `-`, `@`, tab, carriage return.
    static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0d]

    /// A plain number (`-500.00`, `-500,00`, `42`): data, not a formula. Checked byte by byte, since
    /// every cell of a report of millions of lines passes here (a regular expression was most of the
    /// report's time: docs/performance.md).
    static func isPlainNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        func digits() -> Int {
            let count = bytes.prefix { (0x30...0x39).contains($0) }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        guard digits() > 0 else { return false }
        if let separator = bytes.first {
            guard separator == UInt8(ascii: ".") || separator == UInt8(ascii: ",") else { return false }
            bytes = bytes.dropFirst()
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }
}
