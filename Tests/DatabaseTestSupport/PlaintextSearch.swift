import Foundation
import Logging
import Postgres
import Storage

/// Looks for a planted marker everywhere the server keeps data, for the "no plaintext, ever" tests.
public enum PlaintextSearch {
    /// Every `table.column` (text, bytes, arrays, JSON) of the public schema holding `marker`, and
    /// how many columns were searched (so a test can tell the search covered the schema).
    public static func columns(containing marker: String, in database: Database) async throws -> (hits: [String], searched: Int) {
        try await database.withOwnerConnection { db in
            let columns = try db.query(
                """
                SELECT table_name, column_name, data_type FROM information_schema.columns
                 WHERE table_schema = 'public' AND data_type IN ('text', 'bytea', 'character varying', 'ARRAY', 'json', 'jsonb')
                """)
            var hits: [String] = []
            for column in columns {
                let table: String = try column.decode("table_name")
                let name: String = try column.decode("column_name")
                let type: String = try column.decode("data_type")
                let condition = type == "bytea" ? "position(convert_to($1, 'UTF8') in \"\(name)\") > 0" : "\"\(name)\"::text LIKE '%' || $1 || '%'"
                let count = try db.query("SELECT count(*) AS n FROM \"\(table)\" WHERE \(condition)", [marker]).first!.decode("n", as: Int.self)
                if count > 0 { hits.append("\(table).\(name)") }
            }
            return (hits, columns.count)
        }
    }

    /// The marker and the forms it could leak in without being spelled out: lowercase and
    /// uppercase hex of its UTF-8 bytes, and base64 at each of the three alignments (the stable
    /// middle of each, which is what base64 of any text around the marker contains).
    public static func encodings(of marker: String) -> [String] {
        let bytes = Array(marker.utf8)
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        var forms = [marker, hex, hex.uppercased()]
        for offset in 0..<3 {
            let padded = Data(Array(repeating: UInt8(ascii: "x"), count: offset) + bytes).base64EncodedString()
            let start = offset == 0 ? 0 : 4
            let stable = padded.dropFirst(start).prefix(((bytes.count - (offset == 0 ? 0 : 3 - offset)) / 3) * 4)
            if stable.count >= 8 { forms.append(String(stable)) }
        }
        return forms
    }

    /// Every file at the given paths (files, or folders searched through) whose bytes contain any
    /// of `needles`, with the needle found.
    public static func files(containingAny needles: [String], at paths: [String]) -> [String] {
        hits(at: paths) { data in needles.filter { data.range(of: Data($0.utf8)) != nil }.map { "\($0.prefix(12))…" } }
    }

    /// Every file at the given paths (files, or folders searched through) whose bytes contain any
    /// of the byte strings `needles` (keys, which are not text).
    public static func files(containingBytes needles: [[UInt8]], at paths: [String]) -> [String] {
        hits(at: paths) { data in needles.indices.filter { data.range(of: Data(needles[$0])) != nil }.map { "needle \($0)" } }
    }

    /// Reads every file at the given paths (files, or folders searched through) one at a time, so
    /// a large WAL folder never sits in memory whole, and names what `found` finds in each.
    static func hits(at paths: [String], _ found: (Data) -> [String]) -> [String] {
        var hits: [String] = []
        for path in paths {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            let files = isFolder.boolValue ? ((FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []).map { path + "/" + $0 } : [path]
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else { continue }
                hits += found(data).map { "\(file) (\($0))" }
            }
        }
        return hits
    }

    /// Every regular file under `folder` whose bytes contain `marker`.
    public static func files(containing marker: String, under folder: String) -> [String] {
        let needle = Data(marker.utf8)
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var hits: [String] = []
        while let relative = enumerator?.nextObject() as? String {
            let path = folder + "/" + relative
            if let data = FileManager.default.contents(atPath: path), data.range(of: needle) != nil { hits.append(path) }
        }
        return hits
    }
}

/// A log handler that keeps every line it is given, with its metadata, at every level: the server's
/// log output, for tests that search it.
public final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    public init() {}

    public var text: String { lock.withLock { lines.joined(separator: "\n") } }
    public var count: Int { lock.withLock { lines.count } }

    public func logger(label: String = "server") -> Logger {
        var logger = Logger(label: label) { _ in Handler(recorder: self) }
        logger.logLevel = .trace
        return logger
    }

    func append(_ line: String) { lock.withLock { lines.append(line) } }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            recorder.append("\(event.level) \(event.message) \(merged.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))")
        }
    }
}

/// A fingerprint of every row of every table of the public schema, to show that a refused request
/// changed nothing (not even a row it should not have written).
///
/// Audit entries are fingerprinted without their link (sequence and hashes): the server's chainer
/// links entries in the background, whenever it runs, and that is not a change a request made. An
/// entry a request wrote still shows as a new row.
public enum DatabaseSnapshot {
    public static func take(_ database: Database) async throws -> [String: String] {
        try await database.withOwnerConnection { db in
            var snapshot: [String: String] = [:]
            for table in try db.query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename") {
                let name: String = try table.decode("tablename")
                let rows = name == "audit_entries"
                    ? "(SELECT id, organization_id, occurred_at, actor_id, actor_role, action, subject_type, subject_id, details, legacy_details FROM audit_entries)"
                    : "\"\(name)\""
                let digest = try db.query(
                    "SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS digest FROM \(rows) t"
                ).first!.decode("digest", as: String.self)
                snapshot[name] = digest
            }
            return snapshot
        }
    }

    /// The tables whose rows differ between two snapshots.
    public static func changedTables(_ before: [String: String], _ after: [String: String]) -> [String] {
        Set(before.keys).union(after.keys).filter { before[$0] != after[$0] }.sorted()
    }
}
