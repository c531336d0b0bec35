import AssignmentCore
import Envelope
import Foundation
import Postgres
import Storage

/// How an extract's entries are written.
public enum AuditExtractFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// JSON Lines: one entry per line, keys sorted.
    case jsonl
    /// RFC 4180 CSV with a header; values exactly as hashed, `details` too (no formula neutralisation needed:
    /// no column can start with a formula character).
    case csv

    public var fileName: String { "entries.\(rawValue)" }

    static let csvColumns = [
        "organization_id", "sequence", "occurred_at", "actor_id", "actor_role", "action", "subject_type", "subject_id", "details",
        "previous_hash", "entry_hash",
    ]
}

/// What an extract claims about itself (docs/audit.md). `manifest.json` holds it as one line of
/// JSON with sorted keys; `manifest.sig` holds the hex Ed25519 signature of exactly those bytes by
/// the server's audit key (``ServerKey/auditSigningKey()``).
public struct AuditManifest: Codable, Sendable, Hashable {
    public static let currentFormat = "assignment-dispatch-audit-extract/2"
    /// Formats the verifier reads: 1 carried details as a string, 2 as an object.
    public static let readableFormats: Set<String> = ["assignment-dispatch-audit-extract/1", currentFormat]

    public var format: String
    public var organizationID: String
    /// The time range asked for (UTC).
    public var from: String
    public var to: String
    public var generatedAt: String
    public var entriesFile: String
    public var entriesFormat: AuditExtractFormat
    public var entryCount: Int
    public var firstSequence: Int?
    public var lastSequence: Int?
    /// The hash the first entry links to (the entry before the extract, or zeros at the chain's start).
    public var previousHash: String?
    public var firstEntryHash: String?
    public var lastEntryHash: String?
    public var firstOccurredAt: String?
    public var lastOccurredAt: String?
    /// SHA-256 of the entries file, byte for byte.
    public var entriesSHA256: String
    /// The Ed25519 public key that signed the manifest (hex).
    public var signingKey: String

    enum CodingKeys: String, CodingKey {
        case format, from, to
        case organizationID = "organization_id"
        case generatedAt = "generated_at"
        case entriesFile = "entries_file"
        case entriesFormat = "entries_format"
        case entryCount = "entry_count"
        case firstSequence = "first_sequence"
        case lastSequence = "last_sequence"
        case previousHash = "previous_hash"
        case firstEntryHash = "first_entry_hash"
        case lastEntryHash = "last_entry_hash"
        case firstOccurredAt = "first_occurred_at"
        case lastOccurredAt = "last_occurred_at"
        case entriesSHA256 = "entries_sha256"
        case signingKey = "signing_key"
    }

    /// The exact bytes that are signed: one line of JSON, keys sorted, no trailing newline.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}

/// A manifest with its signature.
public struct SignedAuditManifest: Sendable, Hashable {
    public var manifest: AuditManifest
    public var bytes: [UInt8]
    public var signature: [UInt8]
}

/// Writes audit extracts (docs/audit.md): the entries of a contiguous run of an organisation's
/// chain (``AuditExtractStore``), streamed page by page to a sink, then a signed manifest.
public struct AuditExtract: Sendable {
    public let store: AuditExtractStore
    public let signingKey: DeviceKeyPair
    public let pageSize: Int

    public init(database: Database, signingKey: DeviceKeyPair, pageSize: Int = 1_000) {
        self.store = AuditExtractStore(database: database)
        self.signingKey = signingKey
        self.pageSize = pageSize
    }

    /// The time range meant by `from` and `to` as people write them: a day (`2026-01-01`) is that
    /// day in the organisation's time zone, and `to` includes its whole day; a full ISO 8601 time
    /// (`2026-01-01T12:00:00Z`) is exact, and `to` is then exclusive.
    public static func range(from: String, to: String, timeZone: TimeZone) throws -> (from: Date, to: Date) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        func parse(_ text: String, endOfDay: Bool) throws -> Date {
            if text.range(of: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", options: .regularExpression) != nil {
                let parts = text.split(separator: "-").compactMap { Int($0) }
                guard let start = calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2])),
                    calendar.component(.day, from: start) == parts[2]
                else { throw AuditExtractError.dateInvalid(text) }
                return endOfDay ? calendar.date(byAdding: .day, value: 1, to: start)! : start
            }
            guard text.count <= 40, let date = PostgresTimestamp.parse(text) else { throw AuditExtractError.dateInvalid(text) }
            return date
        }
        let range = (try parse(from, endOfDay: false), try parse(to, endOfDay: true))
        try validate(from: range.0, to: range.1)
        return range
    }

    /// Checks the time range before anything is written.
    public static func validate(from: Date, to: Date) throws {
        guard from < to else { throw AuditExtractError.rangeInvalid }
    }

    /// Streams the entries to `sink` in `format` and returns the signed manifest describing them.
    public func write(
        organization: OrganizationID, from: Date, to: Date, format: AuditExtractFormat, generatedAt: Date, to sink: (String) async throws -> Void
    ) async throws -> SignedAuditManifest {
        try Self.validate(from: from, to: to)
        let cursor = AuditExtractCursor(extract: self, organization: organization, from: from, to: to, format: format, generatedAt: generatedAt)
        while let chunk = try await cursor.nextEntries() { try await sink(chunk) }
        return try await cursor.signedManifest()
    }

    /// Writes an extract folder: the entries file, `manifest.json` and `manifest.sig`. The folder
    /// must not exist or be empty; it is filled under a temporary name and renamed when complete, so
    /// an interrupted extract leaves no folder that looks finished.
    public func writeFolder(
        at path: String, organization: OrganizationID, from: Date, to: Date, format: AuditExtractFormat, generatedAt: Date
    ) async throws -> SignedAuditManifest {
        try Self.validate(from: from, to: to)
        let files = FileManager.default
        if files.fileExists(atPath: path) {
            guard (try? files.contentsOfDirectory(atPath: path))?.isEmpty == true else { throw AuditExtractError.folderNotEmpty(path) }
            try files.removeItem(atPath: path)
        }
        let temporary = path + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        do {
            try files.createDirectory(atPath: temporary, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        } catch {
            throw AuditExtractError.folderUnwritable(path)
        }
        do {
            guard files.createFile(atPath: temporary + "/" + format.fileName, contents: nil),
                let handle = FileHandle(forWritingAtPath: temporary + "/" + format.fileName)
            else { throw AuditExtractError.folderUnwritable(path) }
            let signed: SignedAuditManifest
            do {
                signed = try await write(organization: organization, from: from, to: to, format: format, generatedAt: generatedAt) {
                    try handle.write(contentsOf: Data($0.utf8))
                }
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            try Data(signed.bytes + [0x0a]).write(to: URL(fileURLWithPath: temporary + "/manifest.json"))
            try Data((Hex.encode(signed.signature) + "\n").utf8).write(to: URL(fileURLWithPath: temporary + "/manifest.sig"))
            try files.moveItem(atPath: temporary, toPath: path)
            return signed
        } catch {
            try? files.removeItem(atPath: temporary)
            throw error
        }
    }

    /// The single-file form the HTTP API streams: the entries as JSON Lines, then the manifest's
    /// exact bytes as one line, then `{"signature":"…"}`. `dispatch audit verify FILE` reads it.
    public func writeBundle(
        organization: OrganizationID, from: Date, to: Date, generatedAt: Date, to sink: (String) async throws -> Void
    ) async throws {
        for try await chunk in bundle(organization: organization, from: from, to: to, generatedAt: generatedAt) { try await sink(chunk) }
    }

    /// The single-file form as chunks pulled one at a time (a page of entries each, then the
    /// manifest and signature lines), for an HTTP body that streams as the client reads.
    public func bundle(organization: OrganizationID, from: Date, to: Date, generatedAt: Date) -> AsyncThrowingStream<String, any Error> {
        let cursor = AuditExtractCursor(extract: self, organization: organization, from: from, to: to, format: .jsonl, generatedAt: generatedAt)
        return AsyncThrowingStream(unfolding: { try await cursor.nextBundleChunk() })
    }

    /// A page of entries as lines of the entries file.
    static func lines(_ page: [AuditChain.Entry], format: AuditExtractFormat) throws -> String {
        var chunk = ""
        switch format {
        case .jsonl:
            for entry in page { try AuditLineEncoder.append(entry, to: &chunk) }
        case .csv:
            for entry in page {
                chunk += CSVFormat.audit.line([
                    entry.organizationID, String(entry.sequence), entry.occurredAt, entry.actorID ?? "", entry.actorRole, entry.action,
                    entry.subjectType, entry.subjectID ?? "", entry.hashedDetails, entry.previousHash, entry.entryHash,
                ])
            }
        }
        return chunk
    }
}

/// Where an extract being written has got to: the CSV heading, pages of entries by sequence, and
/// what the manifest needs (count, first and last entry, the entries' SHA-256) gathered on the way.
actor AuditExtractCursor {
    let extract: AuditExtract
    let organization: OrganizationID
    let from: Date
    let to: Date
    let format: AuditExtractFormat
    let generatedAt: Date
    private var hasher = SHA256.Hasher()
    private var count = 0
    private var first: AuditChain.Entry?
    private var last: AuditChain.Entry?
    private var started = false
    private var range: AuditExtractRange?
    private var after = 0
    private var entriesDone = false
    private var bundleDone = false

    init(extract: AuditExtract, organization: OrganizationID, from: Date, to: Date, format: AuditExtractFormat, generatedAt: Date) {
        self.extract = extract
        self.organization = organization
        self.from = from
        self.to = to
        self.format = format
        self.generatedAt = generatedAt
    }

    /// The next chunk of the entries file, or `nil` after the last entry.
    func nextEntries() async throws -> String? {
        if !started {
            started = true
            try AuditExtract.validate(from: from, to: to)
            range = try await extract.store.range(of: organization, from: from, to: to)
            after = (range?.firstSequence ?? 1) - 1
            if format == .csv { return emit(CSVFormat.audit.line(AuditExtractFormat.csvColumns)) }
        }
        guard !entriesDone, let range, after < range.lastSequence else {
            entriesDone = true
            return nil
        }
        let page = try await extract.store.page(of: organization, in: range, after: after, limit: extract.pageSize)
        guard let lastOfPage = page.last else {
            entriesDone = true
            return nil
        }
        after = lastOfPage.sequence
        first = first ?? page.first
        last = lastOfPage
        count += page.count
        return emit(try AuditExtract.lines(page, format: format))
    }

    /// The entries, then the manifest line and the signature line, then `nil`.
    func nextBundleChunk() async throws -> String? {
        if let chunk = try await nextEntries() { return chunk }
        guard !bundleDone else { return nil }
        bundleDone = true
        let signed = try signedManifest()
        return String(decoding: signed.bytes, as: UTF8.self) + "\n" + #"{"signature":"\#(Hex.encode(signed.signature))"}"# + "\n"
    }

    /// The signed manifest of everything emitted (call after the last entries chunk).
    func signedManifest() throws -> SignedAuditManifest {
        let manifest = AuditManifest(
            format: AuditManifest.currentFormat, organizationID: organization.description, from: PostgresTimestamp.format(from), to: PostgresTimestamp.format(to),
            generatedAt: PostgresTimestamp.format(generatedAt), entriesFile: format.fileName, entriesFormat: format, entryCount: count,
            firstSequence: first?.sequence, lastSequence: last?.sequence, previousHash: first?.previousHash, firstEntryHash: first?.entryHash,
            lastEntryHash: last?.entryHash, firstOccurredAt: first?.occurredAt, lastOccurredAt: last?.occurredAt,
            entriesSHA256: Hex.encode(hasher.finalize()), signingKey: Hex.encode(extract.signingKey.publicKeys.signingKey))
        let bytes = try manifest.encoded()
        return SignedAuditManifest(manifest: manifest, bytes: bytes, signature: extract.signingKey.sign(bytes))
    }

    private func emit(_ text: String) -> String {
        hasher.update(Array(text.utf8))
        return text
    }
}

/// One entry as a line of the JSON Lines file (snake_case, nulls written out). `details` is a JSON
/// object; `legacy_details`, only on entries written before migration 0006 whose text was not
/// canonical, is the exact text their hash covers. Format 1 extracts carried `details` as a string
/// (the hashed text itself); the verifier still reads them.
struct AuditLine: Codable {
    var organization_id: String
    var sequence: Int
    var occurred_at: String
    var actor_id: String?
    var actor_role: String
    var action: String
    var subject_type: String
    var subject_id: String?
    var details: AuditDetailsJSON
    var legacy_details: String?
    var previous_hash: String
    var entry_hash: String

    init(_ entry: AuditChain.Entry) throws {
        organization_id = entry.organizationID
        sequence = entry.sequence
        occurred_at = entry.occurredAt
        actor_id = entry.actorID
        actor_role = entry.actorRole
        action = entry.action
        subject_type = entry.subjectType
        subject_id = entry.subjectID
        guard let details = AuditDetailsJSON(text: entry.details) else {
            throw AuditExtractError.detailsUnreadable(sequence: entry.sequence)
        }
        self.details = details
        legacy_details = entry.legacyDetails
        previous_hash = entry.previousHash
        entry_hash = entry.entryHash
    }

    /// The entry as the chain sees it, or a sentence saying why the line's details cannot be the
    /// ones that were hashed.
    var entry: Result<AuditChain.Entry, AuditLineProblem> {
        let canonical: String
        var legacy = legacy_details
        if case .string(let text) = details {
            // Format 1: the hashed text itself, as a string.
            canonical = AuditDetailsJSON(text: text)?.canonicalText ?? text
            if canonical != text { legacy = text }
        } else {
            canonical = details.canonicalText
            if let legacy, AuditDetailsJSON(text: legacy)?.canonicalText != canonical { return .failure(.legacyDetailsDiffer) }
        }
        return .success(AuditChain.Entry(
            organizationID: organization_id, sequence: sequence, occurredAt: occurred_at, actorID: actor_id, actorRole: actor_role, action: action,
            subjectType: subject_type, subjectID: subject_id, details: canonical, legacyDetails: legacy, previousHash: previous_hash, entryHash: entry_hash))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(organization_id, forKey: .organization_id)
        try container.encode(sequence, forKey: .sequence)
        try container.encode(occurred_at, forKey: .occurred_at)
        try container.encode(actor_id, forKey: .actor_id)
        try container.encode(actor_role, forKey: .actor_role)
        try container.encode(action, forKey: .action)
        try container.encode(subject_type, forKey: .subject_type)
        try container.encode(subject_id, forKey: .subject_id)
        try container.encode(details, forKey: .details)
        try container.encodeIfPresent(legacy_details, forKey: .legacy_details)
        try container.encode(previous_hash, forKey: .previous_hash)
        try container.encode(entry_hash, forKey: .entry_hash)
    }
}

enum AuditLineProblem: Error {
    /// `legacy_details` does not say the same as `details`: what is shown is not what was hashed.
    case legacyDetailsDiffer
}

public enum AuditExtractError: Error, Sendable, Hashable, CustomStringConvertible {
    case rangeInvalid
    case dateInvalid(String)
    case folderNotEmpty(String)
    case folderUnwritable(String)
    case detailsUnreadable(sequence: Int)

    public var code: String {
        switch self {
        case .rangeInvalid: "range_invalid"
        case .dateInvalid: "date_invalid"
        case .folderNotEmpty: "folder_not_empty"
        case .folderUnwritable: "folder_unwritable"
        case .detailsUnreadable: "details_unreadable"
        }
    }

    public var description: String {
        switch self {
        case .rangeInvalid: "The start of the range must be before its end."
        case .dateInvalid(let text): "'\(text.prefix(40))' is not a date. Use a day such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z."
        case .folderNotEmpty(let path): "\(path) exists and is not empty. Choose a new folder for the extract."
        case .folderUnwritable(let path): "Cannot write the extract to \(path): check that its parent folder exists and is writable."
        case .detailsUnreadable(let sequence): "Audit entry \(sequence) has details that are not JSON: the audit table was changed by hand. Run dispatch audit verify --live."
        }
    }
}
