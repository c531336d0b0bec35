import Foundation

/// Audit details as a JSON value, and their *canonical text*: the bytes an entry's hash covers.
///
/// Canonical JSON, as the database's `audit_canonical_json` writes it (`docs/audit.md`): no white
/// space; object members ordered by the UTF-8 bytes of their keys; strings with `"` and `\`
/// escaped, `\b \f \n \r \t` for those controls, `\u00xx` (lowercase hex) for the other controls
/// below U+0020, and every other character as it is; integers in decimal. Details hold strings,
/// integers, booleans, null, arrays and objects; nothing else is written to them.
public indirect enum AuditDetailsJSON: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([AuditDetailsJSON])
    case object([String: AuditDetailsJSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AuditDetailsJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AuditDetailsJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    /// Parses JSON text; `nil` when it is not JSON.
    public init?(text: String) {
        guard let value = try? JSONDecoder().decode(AuditDetailsJSON.self, from: Data(text.utf8)) else { return nil }
        self = value
    }

    /// The canonical text (see the type's documentation).
    public var canonicalText: String {
        var text = ""
        write(to: &text)
        return text
    }

    private func write(to text: inout String) {
        switch self {
        case .null: text += "null"
        case .bool(let value): text += value ? "true" : "false"
        case .integer(let value): text += String(value)
        case .number(let value): text += value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .string(let value): Self.writeString(value, to: &text)
        case .array(let values):
            text += "["
            for (index, value) in values.enumerated() {
                if index > 0 { text += "," }
                value.write(to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (index, key) in members.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
                if index > 0 { text += "," }
                Self.writeString(key, to: &text)
                text += ":"
                members[key]!.write(to: &text)
            }
            text += "}"
        }
    }

    /// PostgreSQL's JSON string escaping (`escape_json`), which is also what `JSONEncoder` writes
    /// without escaping slashes (`AuditLineEncoderTests`): `"`, `\\`, the short escapes, `\u00xx`
    /// for the other control characters, everything else as itself. A string with none of those
    /// (nearly all) is copied in one piece, checked on its bytes.
    public static func writeString(_ value: String, to text: inout String) {
        text += "\""
        func plain(_ byte: UInt8) -> Bool { byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") }
        if value.utf8.withContiguousStorageIfAvailable({ $0.allSatisfy(plain) }) ?? value.utf8.allSatisfy(plain) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
