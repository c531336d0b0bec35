import AssignmentCore
import Envelope
import Foundation
import Postgres

/// The hash chain of the audit table, recomputed outside the database.
///
/// Each entry's hash is SHA-256 over the previous entry's hash (32 zero bytes for the first) and
/// the entry's fields, each as a 4-byte big-endian length (−1 for NULL) followed by its UTF-8
/// bytes: "ADA1", organisation id, sequence, occurred-at (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC),
/// actor id, actor role, action, subject type, subject id, details (their canonical JSON text, or the
/// text an entry written before migration 0006 hashed: ``Entry/hashedDetails``). The database
/// computes the same in `audit_entry_hash()`; `docs/audit.md` specifies it for anyone who verifies
/// an extract.
public enum AuditChain {
    /// One audit entry with every hashed field in its canonical text form.
    public struct Entry: Sendable, Hashable, Codable {
        public var organizationID: String
        public var sequence: Int
        public var occurredAt: String
        public var actorID: String?
        public var actorRole: String
        public var action: String
        public var subjectType: String
        public var subjectID: String?
        /// The details' canonical JSON text (``AuditDetailsJSON/canonicalText``).
        public var details: String
        /// The exact text an entry written before migration 0006 hashed, where it differs from
        /// the canonical text; `nil` for every later entry.
        public var legacyDetails: String?
        public var previousHash: String
        public var entryHash: String

        /// The text the entry's hash covers for its details.
        public var hashedDetails: String { legacyDetails ?? details }

        public init(
            organizationID: String, sequence: Int, occurredAt: String, actorID: String?, actorRole: String, action: String,
            subjectType: String, subjectID: String?, details: String, legacyDetails: String? = nil, previousHash: String, entryHash: String
        ) {
            self.organizationID = organizationID
            self.sequence = sequence
            self.occurredAt = occurredAt
            self.actorID = actorID
            self.actorRole = actorRole
            self.action = action
            self.subjectType = subjectType
            self.subjectID = subjectID
            self.details = details
            self.legacyDetails = legacyDetails
            self.previousHash = previousHash
            self.entryHash = entryHash
        }
    }

    /// The hash of the chain's start.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)

    /// The hash an entry must carry given the previous entry's hash.
    public static func hash(of entry: Entry, previousHash: [UInt8]) -> [UInt8] {
        var bytes = previousHash
        for field in [
            "ADA1", entry.organizationID, String(entry.sequence), entry.occurredAt, entry.actorID, entry.actorRole, entry.action,
            entry.subjectType, entry.subjectID, entry.hashedDetails,
        ] {
            guard let field else {
                bytes += [0xff, 0xff, 0xff, 0xff]
                continue
            }
            let utf8 = Array(field.utf8)
            let length = UInt32(utf8.count)
            bytes += [UInt8(length >> 24), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            bytes += utf8
        }
        return SHA256.hash(bytes)
    }

    /// What is wrong with a chain, by position (1-based sequence number).
    public enum Break: Sendable, Hashable, CustomStringConvertible {
        /// The entry's content does not give its recorded hash: it was changed.
        case altered(sequence: Int)
        /// The entry does not point at the hash of the entry before it: one was removed or inserted.
        case unlinked(sequence: Int)
        /// A sequence number is missing or repeated.
        case gap(expected: Int, found: Int)

        public var description: String {
            switch self {
            case .altered(let sequence): "entry \(sequence) was changed after it was written"
            case .unlinked(let sequence): "entry \(sequence) does not follow the entry before it (an entry was removed or inserted)"
            case .gap(let expected, let found): "expected entry \(expected), found entry \(found) (entries are missing or repeated)"
            }
        }
    }

    /// Checks entries of one organisation in sequence order, starting from `previousHash` (the
    /// genesis hash when the entries start at sequence 1). Returns every break found.
    public static func verify(_ entries: [Entry], startingAfter previousHash: [UInt8] = genesisHash) -> [Break] {
        var verifier = Verifier(startingAfter: previousHash, firstSequence: entries.first?.sequence ?? 1)
        for entry in entries { verifier.check(entry) }
        return verifier.breaks
    }

    /// The same check, one entry at a time, so a chain of any length verifies in constant memory.
    public struct Verifier: Sendable {
        public private(set) var breaks: [Break] = []
        public private(set) var count = 0
        /// The hash recorded on the last entry checked (the start hash before any).
        public private(set) var lastHash: [UInt8]
        public private(set) var lastSequence: Int?
        private var expectedSequence: Int

        public init(startingAfter previousHash: [UInt8], firstSequence: Int) {
            lastHash = previousHash
            expectedSequence = firstSequence
        }

        public mutating func check(_ entry: Entry) {
            if entry.sequence != expectedSequence {
                breaks.append(.gap(expected: expectedSequence, found: entry.sequence))
            }
            if Hex.decode(entry.previousHash) != lastHash {
                breaks.append(.unlinked(sequence: entry.sequence))
            }
            let recorded = Hex.decode(entry.entryHash) ?? []
            if AuditChain.hash(of: entry, previousHash: Hex.decode(entry.previousHash) ?? []) != recorded {
                breaks.append(.altered(sequence: entry.sequence))
            }
            lastHash = recorded
            lastSequence = entry.sequence
            expectedSequence = entry.sequence + 1
            count += 1
        }
    }

    /// Reads one organisation's entries in chain order, in canonical form.
    public static func entries(of organizationID: OrganizationID, on connection: PostgresConnection) throws -> [Entry] {
        try entries(of: organizationID, after: 0, through: Int.max, limit: Int.max, on: connection)
    }

    /// Every hashed field in its canonical text form, and the two hashes.
    static let columns = """
        organization_id::text AS organization_id, sequence, audit_timestamp(occurred_at) AS occurred_at, \
        actor_id::text AS actor_id, actor_role, action, subject_type, subject_id::text AS subject_id, \
        audit_canonical_json(details) AS details, legacy_details, \
        encode(previous_hash, 'hex') AS previous_hash, encode(entry_hash, 'hex') AS entry_hash
        """

    /// One page of an organisation's entries: sequence numbers after `after`, up to `through`.
    static func entries(of organizationID: OrganizationID, after: Int, through: Int, limit: Int, on connection: PostgresConnection) throws -> [Entry] {
        try connection.query(
            """
            SELECT \(columns)
              FROM audit_entries
             WHERE organization_id = $1 AND sequence > $2 AND sequence <= $3
             ORDER BY sequence
             LIMIT $4
            """, [organizationID, after, through, limit]
        ).map { row in
            Entry(
                organizationID: try row.decode("organization_id"), sequence: try row.decode("sequence"),
                occurredAt: try row.decode("occurred_at"), actorID: try row.decodeIfPresent("actor_id"),
                actorRole: try row.decode("actor_role"), action: try row.decode("action"),
                subjectType: try row.decode("subject_type"), subjectID: try row.decodeIfPresent("subject_id"),
                details: try row.decode("details"), legacyDetails: try row.decodeIfPresent("legacy_details"), previousHash: try row.decode("previous_hash"), entryHash: try row.decode("entry_hash"))
        }
    }
}
