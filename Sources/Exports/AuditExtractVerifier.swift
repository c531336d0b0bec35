import AssignmentCore
import Envelope
import Foundation
import Storage

/// The outcome of checking an extract or the live chain: intact, or every problem with its position.
public struct AuditVerification: Sendable, Hashable, Encodable {
    public var intact: Bool { problems.isEmpty }
    public var entryCount: Int
    public var firstSequence: Int?
    public var lastSequence: Int?
    /// The Ed25519 key that signed the manifest (hex); `nil` for the live chain.
    public var signingKey: String?
    public var problems: [String]
    /// The live chain only: entries written but not linked yet (migration 0015), which the check
    /// cannot cover until they are, and when the oldest of them occurred.
    public var unlinked: AuditLinkBacklog?

    enum CodingKeys: String, CodingKey {
        case intact, problems
        case entryCount = "entry_count"
        case firstSequence = "first_sequence"
        case lastSequence = "last_sequence"
        case signingKey = "signing_key"
        case unlinkedCount = "unlinked_count"
        case oldestUnlinkedAt = "oldest_unlinked_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(intact, forKey: .intact)
        try container.encode(problems, forKey: .problems)
        try container.encode(entryCount, forKey: .entryCount)
        try container.encode(firstSequence, forKey: .firstSequence)
        try container.encode(lastSequence, forKey: .lastSequence)
        try container.encode(signingKey, forKey: .signingKey)
        if let unlinked {
            try container.encode(unlinked.unlinked, forKey: .unlinkedCount)
            try container.encode(unlinked.oldestOccurredAt.map { $0.formatted(.iso8601) }, forKey: .oldestUnlinkedAt)
        }
    }

    /// Linear text for the terminal and screen readers.
    public func plainText(subject: String) -> String {
        let span = firstSequence.map { "entries \($0) to \(lastSequence ?? $0)" } ?? "no entries"
        if intact {
            var lines = ["\(subject) is intact: \(entryCount) \(entryCount == 1 ? "entry" : "entries") (\(span)), the chain is unbroken."]
            if let signingKey { lines.append("Signed by the audit key \(signingKey).") }
            if let note = unlinkedNote { lines.append(note) }
            return lines.joined(separator: "\n")
        }
        return (["\(subject) is NOT intact. \(problems.count) \(problems.count == 1 ? "problem" : "problems"):"] + problems.map { "- \($0)" }
            + (unlinkedNote.map { [$0] } ?? []))
            .joined(separator: "\n")
    }

    private var unlinkedNote: String? {
        guard let unlinked, unlinked.unlinked > 0 else { return nil }
        let since = unlinked.oldestOccurredAt.map { ", the oldest from \($0.formatted(.iso8601))" } ?? ""
        return "\(unlinked.unlinked) newer \(unlinked.unlinked == 1 ? "entry is" : "entries are") not linked into the chain yet\(since), "
            + "so not covered by this check. 'dispatch serve' and 'dispatch jobs run' link them within a second; 'dispatch jobs run --once' links them now."
    }
}

/// Why an extract could not be checked at all (as opposed to being checked and found broken).
public enum AuditVerifyError: Error, Sendable, Hashable, CustomStringConvertible {
    case missing(String)
    case unreadable(String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): "There is no audit extract at \(path)."
        case .unreadable(let path, let reason): "\(path) cannot be read as an audit extract: \(reason)."
        }
    }
}

/// Checks audit extracts offline and the live chain (docs/audit.md).
///
/// An extract folder (`manifest.json`, `manifest.sig`, `entries.jsonl` or `entries.csv`) or the
/// single file the API streams. Checked: the signature over the manifest's exact bytes (against the
/// key in the manifest, and the trusted key when one is given); every entry's hash and its link to
/// the one before; the run starting where the manifest says; the count, the first and last hash
/// and the file's SHA-256. Files are read in pieces, so an extract of any size checks in constant
/// memory. Every problem is reported with the entry's sequence number and its line in the file.
public enum AuditExtractVerifier {
    public static func verify(path: String, trustedKey: [UInt8]? = nil) throws -> AuditVerification {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw AuditVerifyError.missing(path) }
        return isFolder.boolValue ? try verifyFolder(path, trustedKey: trustedKey) : try verifyBundle(path, trustedKey: trustedKey)
    }

    /// Checks the chain of an organisation in the database, from its first entry.
    public static func verifyLive(_ store: AuditExtractStore, organization: OrganizationID, pageSize: Int = 1_000) async throws -> AuditVerification {
        let backlog = try await AuditChainStore(database: store.database).backlog(of: organization)
        guard let range = try await store.wholeChain(of: organization) else {
            return AuditVerification(entryCount: 0, problems: [], unlinked: backlog)
        }
        var verifier = AuditChain.Verifier(startingAfter: AuditChain.genesisHash, firstSequence: 1)
        try await store.entries(of: organization, in: range, pageSize: pageSize) { page in
            for entry in page { verifier.check(entry) }
        }
        return AuditVerification(
            entryCount: verifier.count, firstSequence: range.firstSequence, lastSequence: verifier.lastSequence, problems: verifier.breaks.map(\.description),
            unlinked: backlog)
    }

    // MARK: Forms

    static func verifyFolder(_ folder: String, trustedKey: [UInt8]?) throws -> AuditVerification {
        let manifestPath = folder + "/manifest.json"
        guard let manifestData = FileManager.default.contents(atPath: manifestPath) else { throw AuditVerifyError.unreadable(folder, reason: "manifest.json is missing") }
        var manifestBytes = Array(manifestData)
        if manifestBytes.last == 0x0a { manifestBytes.removeLast() }
        guard let signatureText = FileManager.default.contents(atPath: folder + "/manifest.sig") else {
            throw AuditVerifyError.unreadable(folder, reason: "manifest.sig is missing")
        }
        let signature = Hex.decode(String(decoding: signatureText, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        var check = try Check(manifestBytes: manifestBytes, signature: signature, trustedKey: trustedKey, source: folder)
        let entriesPath = folder + "/" + check.manifest.entriesFile
        guard !check.manifest.entriesFile.contains("/"), let reader = LineReader(path: entriesPath) else {
            throw AuditVerifyError.unreadable(folder, reason: "\(check.manifest.entriesFile) is missing")
        }
        var hasher = SHA256.Hasher()
        while let line = reader.next() {
            hasher.update(line)
            try check.consume(line)
        }
        return check.finish(fileHash: hasher.finalize())
    }

    /// The API's single file: entry lines, the manifest line, the signature line.
    static func verifyBundle(_ path: String, trustedKey: [UInt8]?) throws -> AuditVerification {
        guard let reader = LineReader(path: path) else { throw AuditVerifyError.unreadable(path, reason: "it cannot be opened") }
        // The last two lines are the manifest and the signature: hold two lines back.
        // The manifest comes last, and the entries are checked against it: a first pass finds the
        // manifest (and hashes the entry lines), a second checks the entries, so memory stays flat.
        var pending: [[UInt8]] = []
        var hasher = SHA256.Hasher()
        var lineCount = 0
        while let line = reader.next() {
            pending.append(line)
            lineCount += 1
            if pending.count > 2 { hasher.update(pending.removeFirst()) }
        }
        guard pending.count == 2 else { throw AuditVerifyError.unreadable(path, reason: "it does not end with a manifest and a signature line") }
        var manifestBytes = pending[0]
        if manifestBytes.last == 0x0a { manifestBytes.removeLast() }
        struct SignatureLine: Decodable { var signature: String }
        var signatureBytes = pending[1]
        if signatureBytes.last == 0x0a { signatureBytes.removeLast() }
        guard let signatureLine = try? JSONDecoder().decode(SignatureLine.self, from: Data(signatureBytes)) else {
            throw AuditVerifyError.unreadable(path, reason: "the last line is not the signature")
        }
        var check = try Check(manifestBytes: manifestBytes, signature: Hex.decode(signatureLine.signature), trustedKey: trustedKey, source: path)
        guard let second = LineReader(path: path) else { throw AuditVerifyError.unreadable(path, reason: "it cannot be opened") }
        for _ in 0..<(lineCount - 2) {
            guard let line = second.next() else { break }
            try check.consume(line)
        }
        return check.finish(fileHash: hasher.finalize())
    }

    // MARK: The check itself

    struct Check {
        let manifest: AuditManifest
        let source: String
        var problems: [String] = []
        var verifier: AuditChain.Verifier
        var line = 0
        var header: Bool
        var pendingRecord: [UInt8] = []
        var firstSeen: AuditChain.Entry?

        init(manifestBytes: [UInt8], signature: [UInt8]?, trustedKey: [UInt8]?, source: String) throws {
            guard let manifest = try? JSONDecoder().decode(AuditManifest.self, from: Data(manifestBytes)) else {
                throw AuditVerifyError.unreadable(source, reason: "the manifest is not an audit extract manifest")
            }
            self.manifest = manifest
            self.source = source
            if !AuditManifest.readableFormats.contains(manifest.format) {
                problems.append("The manifest's format is \(manifest.format), which this version of dispatch does not know (it reads \(AuditManifest.readableFormats.sorted().joined(separator: " and "))).")
            }
            let key = Hex.decode(manifest.signingKey) ?? []
            if let signature, SignatureCheck.isValid(signature, of: manifestBytes, signingKey: key) {
                if let trustedKey, trustedKey != key {
                    problems.append("The manifest is signed by the key \(manifest.signingKey), not by the key you trust (\(Hex.encode(trustedKey))).")
                }
            } else {
                problems.append("The manifest's signature does not match it: the manifest was changed, or signed by someone else.")
            }
            let start = manifest.previousHash.flatMap(Hex.decode) ?? AuditChain.genesisHash
            verifier = AuditChain.Verifier(startingAfter: start, firstSequence: manifest.firstSequence ?? 1)
            header = manifest.entriesFormat == .csv
        }

        mutating func consume(_ raw: [UInt8]) throws {
            line += 1
            var bytes = raw
            if bytes.last == 0x0a { bytes.removeLast() }
            if manifest.entriesFormat == .csv {
                // A quoted field may hold a line break: a record ends when its quotes balance.
                pendingRecord += pendingRecord.isEmpty ? bytes : [0x0a] + bytes
                guard pendingRecord.filter({ $0 == 0x22 }).count % 2 == 0 else { return }
                var record = pendingRecord
                pendingRecord = []
                if record.last == 0x0d { record.removeLast() }
                let fields = CSVRecord.parse(String(decoding: record, as: UTF8.self))
                if header {
                    header = false
                    if fields != AuditExtractFormat.csvColumns { problems.append("Line \(line): the header is not the audit extract's columns.") }
                    return
                }
                guard fields.count == AuditExtractFormat.csvColumns.count, let sequence = Int(fields[1]) else {
                    problems.append("Line \(line): not an audit entry.")
                    return
                }
                add(
                    AuditChain.Entry(
                        organizationID: fields[0], sequence: sequence, occurredAt: fields[2], actorID: fields[3].isEmpty ? nil : fields[3],
                        actorRole: fields[4], action: fields[5], subjectType: fields[6], subjectID: fields[7].isEmpty ? nil : fields[7],
                        details: fields[8],
                        previousHash: fields[9], entryHash: fields[10]))
            } else {
                guard let decoded = try? JSONDecoder().decode(AuditLine.self, from: Data(bytes)) else {
                    problems.append("Line \(line): not an audit entry.")
                    return
                }
                switch decoded.entry {
                case .success(let entry): add(entry)
                case .failure:
                    problems.append("Line \(line): entry \(decoded.sequence)'s details are not the ones its hash covers (legacy_details says something else).")
                }
            }
        }

        private mutating func add(_ entry: AuditChain.Entry) {
            let before = verifier.breaks.count
            verifier.check(entry)
            for found in verifier.breaks[before...] { problems.append("Line \(line): \(found.description.prefix(1).uppercased() + found.description.dropFirst()).") }
            if entry.organizationID != manifest.organizationID {
                problems.append("Line \(line): entry \(entry.sequence) belongs to another organisation.")
            }
            firstSeen = firstSeen ?? entry
        }

        mutating func finish(fileHash: [UInt8]) -> AuditVerification {
            if !pendingRecord.isEmpty { problems.append("The entries end inside a quoted field: the file was cut short.") }
            if verifier.count != manifest.entryCount {
                problems.append("The extract holds \(verifier.count) entries; the manifest says \(manifest.entryCount): entries were removed or added.")
            }
            if let expected = manifest.firstSequence, let first = firstSeen, first.sequence != expected {
                problems.append("The first entry is \(first.sequence); the manifest says \(expected).")
            }
            if manifest.entryCount > 0, Hex.encode(verifier.lastHash) != manifest.lastEntryHash {
                problems.append("The last entry's hash is not the one the manifest signed: entries at the end were changed, removed or added.")
            }
            if Hex.encode(fileHash) != manifest.entriesSHA256 {
                problems.append("The entries file is not byte for byte the one the manifest describes.")
            }
            return AuditVerification(
                entryCount: verifier.count, firstSequence: firstSeen?.sequence, lastSequence: verifier.lastSequence, signingKey: manifest.signingKey,
                problems: problems)
        }
    }
}

/// Reads a file line by line (each line with its `\n`), 64 KiB at a time.
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var position = 0
    private var finished = false

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
    }

    deinit { try? handle.close() }

    func next() -> [UInt8]? {
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0a) {
                let line = Array(buffer[position...newline])
                position = newline + 1
                return line
            }
            if finished {
                guard position < buffer.count else { return nil }
                let rest = Array(buffer[position...])
                position = buffer.count
                return rest
            }
            buffer.removeFirst(position)
            position = 0
            let chunk = (try? handle.read(upToCount: 65_536)) ?? nil
            if let chunk, !chunk.isEmpty { buffer += chunk } else { finished = true }
        }
    }
}

/// RFC 4180 fields of one record (quotes doubled inside quoted fields).
enum CSVRecord {
    static func parse(_ record: String) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var characters = record.makeIterator()
        var pendingQuote = false
        while let character = characters.next() {
            if quoted {
                if pendingQuote {
                    pendingQuote = false
                    if character == "\"" { field.append("\""); continue }
                    quoted = false
                } else if character == "\"" {
                    pendingQuote = true
                    continue
                } else {
                    field.append(character)
                    continue
                }
            }
            switch character {
            case "\"" where field.isEmpty: quoted = true
            case ",": fields.append(field); field = ""
            default: field.append(character)
            }
        }
        fields.append(field)
        return fields
    }
}
