import CLibPQ
import Foundation

/// One libpq connection. Its calls block, so it is only ever used from the connection pool's
/// thread pool, by one thread at a time (the pool hands it to one borrower at a time).
///
/// Every statement goes through `PQexecParams` with its parameters bound separately, except
/// ``executeScript(_:)``, which runs trusted SQL (the migrations) and takes no parameters at all.
public final class PostgresConnection: @unchecked Sendable {
    // Sendable: the pool guarantees exclusive use; see the type's documentation.
    private let handle: OpaquePointer
    /// Set by ``close()``; the pool's exclusive use makes plain storage safe.
    private var isClosed = false

    /// Connects with a libpq connection string or `postgresql://` URI, then fixes the session's
    /// time zone and date style so that timestamps decode the same everywhere.
    public init(connectionString: String) throws {
        guard let handle = PQconnectdb(connectionString) else {
            throw PostgresError(kind: .connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(kind: .connection, message: "could not connect to PostgreSQL: \(message)")
        }
        self.handle = handle
        // Notices (RAISE NOTICE, "relation already exists, skipping") are dropped: their text can
        // echo values, and nothing here needs them.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        do {
            try execute("SET TimeZone = 'UTC'")
            try execute("SET DateStyle = 'ISO, YMD'")
            try execute("SET IntervalStyle = 'iso_8601'")
        } catch {
            PQfinish(handle)
            throw error
        }
    }

    /// Ends the session (`PQfinish`). It can block on a broken network, so the pool calls it on
    /// its thread pool; a connection dropped without it is finished when released from memory.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        PQfinish(handle)
    }

    deinit {
        if !isClosed { PQfinish(handle) }
    }

    /// Whether the connection is still usable; the pool drops broken ones.
    public var isHealthy: Bool { !isClosed && PQstatus(handle) == CONNECTION_OK }

    /// Whether no transaction is open: a connection goes back into the pool only in this state.
    public var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// Reads what has arrived on the socket without blocking and returns the notifications in it
    /// (a listening connection, ``PostgresListener``); throws when the connection is broken.
    func pendingNotifications() throws -> [PostgresNotification] {
        guard !isClosed else { throw PostgresError(kind: .connection, message: "the listening connection is closed") }
        guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connection, message: "the listening connection was lost: \(Self.trimmed(PQerrorMessage(handle)))")
        }
        var notifications: [PostgresNotification] = []
        while let notify = PQnotifies(handle) {
            notifications.append(PostgresNotification(channel: String(cString: notify.pointee.relname), payload: String(cString: notify.pointee.extra)))
            PQfreemem(notify)
        }
        return notifications
    }

    /// The server's version, e.g. 150018 for 15.18.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Runs one statement with bound parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws -> PostgresRows {
        let values = parameters.map(\.postgresValue)
        // Text parameters need NUL-terminated C strings and bytea parameters raw bytes that live
        // until PQexecParams returns; keep both in arrays owned by this frame.
        var buffers: [[UInt8]] = values.map { value in
            switch value {
            case .null: []
            case .text(let text): Array(text.utf8) + [0]
            case .bytes(let bytes): bytes
            }
        }
        var lengths: [Int32] = values.map { value in
            if case .bytes(let bytes) = value { return Int32(bytes.count) }
            return 0
        }
        var formats: [Int32] = values.map { value in
            if case .bytes = value { return 1 }
            return 0
        }
        let result: OpaquePointer? = withParameterPointers(&buffers, values: values) { pointers in
            lengths.withUnsafeMutableBufferPointer { lengthBuffer in
                formats.withUnsafeMutableBufferPointer { formatBuffer in
                    PQexecParams(
                        handle, sql, Int32(values.count), nil, pointers, lengthBuffer.baseAddress, formatBuffer.baseAddress, 0)
                }
            }
        }
        return try PostgresRows(checking: result, connection: handle)
    }

    /// Runs a statement whose rows are not needed.
    public func execute(_ sql: String, _ parameters: [any PostgresEncodable] = []) throws {
        try query(sql, parameters)
    }

    /// Runs a script of several statements (`PQexec`). For migrations and set-up only: it binds no
    /// parameters, so it must never see text that came from a request.
    public func executeScript(_ sql: String) throws {
        let result = PQexec(handle, sql)
        _ = try PostgresRows(checking: result, connection: handle)
    }

    /// `BEGIN`, the body, `COMMIT`; `ROLLBACK` when the body throws.
    public func transaction<Result>(_ body: (PostgresConnection) throws -> Result) throws -> Result {
        try execute("BEGIN")
        do {
            let result = try body(self)
            try execute("COMMIT")
            return result
        } catch {
            if isHealthy { try? execute("ROLLBACK") }
            throw error
        }
    }

    private func withParameterPointers<Result>(
        _ buffers: inout [[UInt8]],
        values: [PostgresValue],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> Result
    ) -> Result {
        var pointers: [UnsafePointer<CChar>?] = []
        pointers.reserveCapacity(buffers.count)
        func collect(_ index: Int) -> Result {
            if index == buffers.count {
                return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
            }
            if case .null = values[index] {
                pointers.append(nil)
                return collect(index + 1)
            }
            if buffers[index].isEmpty { buffers[index] = [0] }
            return buffers[index].withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer in
                    pointers.append(pointer)
                    return collect(index + 1)
                }
            }
        }
        return collect(0)
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// The rows of one result, copied out of libpq's result (which is freed at once).
public struct PostgresRows: Sendable, Sequence {
    public let columns: [String]
    public let rows: [PostgresRow]
    /// For INSERT/UPDATE/DELETE: how many rows the statement touched.
    public let affectedRows: Int

    init(checking result: OpaquePointer?, connection: OpaquePointer) throws {
        guard let result else {
            throw PostgresError(kind: .connection, message: PostgresConnection.trimmed(PQerrorMessage(connection)))
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            let field = { (code: Character) -> String? in
                guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
                return String(cString: value)
            }
            let sqlState = field("C")
            let message = field("M") ?? PostgresConnection.trimmed(PQerrorMessage(connection))
            let kind: PostgresError.Kind = PQstatus(connection) == CONNECTION_OK ? .statement : .connection
            throw PostgresError(kind: kind, sqlState: sqlState, message: message, constraint: field("n"))
        }
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var index: [String: Int] = [:]
        for (position, name) in columns.enumerated() where index[name] == nil { index[name] = position }
        let rowCount = Int(PQntuples(result))
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(columnCount)
            for column in 0..<columnCount {
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                }
            }
            rows.append(PostgresRow(values: values, columnIndex: index))
        }
        self.columns = columns
        self.rows = rows
        let tuples = PQcmdTuples(result).map { String(cString: $0) } ?? ""
        self.affectedRows = Int(tuples) ?? 0
    }

    public func makeIterator() -> IndexingIterator<[PostgresRow]> { rows.makeIterator() }

    public var first: PostgresRow? { rows.first }
    public var count: Int { rows.count }
}

/// One row; columns are read by name and decoded to the type asked for.
public struct PostgresRow: Sendable {
    let values: [String?]
    let columnIndex: [String: Int]

    /// The column decoded as `T`; a NULL or a missing column is an error.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let value = try decodeIfPresent(column, as: type) else {
            throw PostgresError(kind: .decoding, message: "column \(column) is NULL")
        }
        return value
    }

    /// The column decoded as `T`, or `nil` when it is NULL.
    public func decodeIfPresent<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T? {
        guard let position = columnIndex[column] else {
            throw PostgresError(kind: .decoding, message: "no column named \(column) in the result")
        }
        guard let text = values[position] else { return nil }
        do {
            return try T(postgresText: text)
        } catch let error as PostgresError {
            throw PostgresError(kind: .decoding, message: "column \(column): \(error.message)")
        }
    }
}
