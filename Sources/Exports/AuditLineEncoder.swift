import Foundation
import Storage

/// Writes audit entries as lines of the JSON Lines extract (docs/audit.md), byte for byte what
/// `JSONEncoder` with sorted keys and unescaped slashes writes for ``AuditLine``, without its cost.
///
/// The extract of a million entries spent most of its time in `JSONEncoder` (docs/performance.md):
/// boxing every field, sorting the keys of every line, and re-encoding the details, which the
/// database already hands over as canonical JSON. Here the keys are written in their sorted order
/// as literals, and the details' canonical text goes into the line as it is whenever it is plain
/// ASCII without escapes (every entry this program writes): for such text the canonical form and
/// `JSONEncoder`'s are the same bytes. Anything else (an entry written by hand, text with escapes or
/// beyond ASCII) takes the `JSONEncoder` path, so the two can never disagree.
/// `AuditLineEncoderTests` holds them together on every kind of entry.
enum AuditLineEncoder {
    /// Appends the entry's line, with its newline.
    static func append(_ entry: AuditChain.Entry, to line: inout String) throws {
        guard isPlain(entry.details) else {
            try appendThroughJSONEncoder(entry, to: &line)
            return
        }
        line += #"{"action":"#
        appendString(entry.action, to: &line)
        line += #","actor_id":"#
        appendOptional(entry.actorID, to: &line)
        line += #","actor_role":"#
        appendString(entry.actorRole, to: &line)
        line += #","details":"#
        line += entry.details
        line += #","entry_hash":"#
        appendString(entry.entryHash, to: &line)
        if let legacy = entry.legacyDetails {
            line += #","legacy_details":"#
            appendString(legacy, to: &line)
        }
        line += #","occurred_at":"#
        appendString(entry.occurredAt, to: &line)
        line += #","organization_id":"#
        appendString(entry.organizationID, to: &line)
        line += #","previous_hash":"#
        appendString(entry.previousHash, to: &line)
        line += #","sequence":"#
        line += String(entry.sequence)
        line += #","subject_id":"#
        appendOptional(entry.subjectID, to: &line)
        line += #","subject_type":"#
        appendString(entry.subjectType, to: &line)
        line += "}\n"
    }

    /// The line as `JSONEncoder` writes it: the reference the fast path must equal.
    static func appendThroughJSONEncoder(_ entry: AuditChain.Entry, to line: inout String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        line += String(decoding: try encoder.encode(try AuditLine(entry)), as: UTF8.self)
        line += "\n"
    }

    /// Printable ASCII without `"` or `\` outside of what JSON syntax needs: text that is the same
    /// bytes in every JSON writer's output. Checked on the string's own UTF-8 storage (iterating its
    /// `utf8` view byte by byte was a sixth of the extract's time).
    static func isPlain(_ text: String) -> Bool {
        func plain(_ byte: UInt8) -> Bool { byte >= 0x20 && byte < 0x7f && byte != UInt8(ascii: "\\") }
        return text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(plain) } ?? text.utf8.allSatisfy(plain)
    }

    private static func appendOptional(_ value: String?, to line: inout String) {
        if let value { appendString(value, to: &line) } else { line += "null" }
    }

    /// The canonical details' string escaping, which is `JSONEncoder`'s as well.
    private static func appendString(_ value: String, to line: inout String) {
        AuditDetailsJSON.writeString(value, to: &line)
    }
}
