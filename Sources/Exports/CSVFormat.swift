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
        var line = ""
        for (index, field) in fields.enumerated() {
            if index > 0 { line.append(separator) }
            line += cell(field)
        }
        line += "\r\n"
        return line
    }

    /// The records of a file this format wrote, each a list of its cells as written (an
    /// apostrophe that neutralised a formula stays): what the honorarium page shows as a table.
    public func rows(of text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var characters = text.drop(while: { $0 == "\u{FEFF}" })[...]
        while let character = characters.popFirst() {
            if quoted {
                if character == "\"" {
                    if characters.first == "\"" {
                        cell.append("\"")
                        characters.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    cell.append(character)
                }
            } else if character == "\"" {
                quoted = true
            } else if character == separator {
                row.append(cell)
                cell = ""
            } else if character == "\r\n" || character == "\n" {
                row.append(cell)
                rows.append(row)
                row = []
                cell = ""
            } else {
                cell.append(character)
            }
        }
        if !cell.isEmpty || !row.isEmpty {
            row.append(cell)
            rows.append(row)
        }
        return rows
    }

    public func cell(_ value: String) -> String {
        var text = value
        if neutralisesFormulas, let first = text.utf8.first, Self.startsFormula(first), !Self.isPlainNumber(text) {
            text = "'" + text
        }
        return needsQuotes(text) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }

    /// The characters a spreadsheet starts a formula with: `=`, `+`, `-`, `@`, tab, carriage return.
    static func startsFormula(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0d: true
        default: false
        }
    }

    /// Whether the cell holds the separator, a quote or a line break. Checked on the UTF-8 bytes in
    /// one pass: searching the string for each as a `Character` (grapheme by grapheme, four times a
    /// cell) was most of what writing an extract of a million entries as CSV cost
    /// (docs/performance.md). The separators are ASCII, and no byte of a multi-byte UTF-8 sequence
    /// is ASCII, so a byte match is a character match.
    private func needsQuotes(_ text: String) -> Bool {
        guard let separatorByte = separator.asciiValue else {
            return text.contains(separator) || text.contains("\"") || text.contains("\n") || text.contains("\r")
        }
        func test(_ byte: UInt8) -> Bool { byte == separatorByte || byte == UInt8(ascii: "\"") || byte == 0x0a || byte == 0x0d }
        return text.utf8.withContiguousStorageIfAvailable { $0.contains(where: test) } ?? text.utf8.contains(where: test)
    }

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
