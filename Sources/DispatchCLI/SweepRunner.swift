import ArgumentParser
import Foundation
import Jobs
import Postgres
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// What the sweep commands share: the database, progress on standard error (a bar on a terminal,
/// plain lines otherwise, so a screen reader or a log gets sentences), Ctrl-C finishing the batch in
/// hand and stopping, and the report (text or JSON, and optionally a JSON file).
struct SweepRunner {
    let options: GlobalOptions
    let sweep: SweepOptions

    func run(
        _ body: (Database, @escaping @Sendable (Int, Int) -> Void, @escaping @Sendable () -> Bool) async throws -> SweepReport
    ) async throws {
        let environment = try CommandEnvironment(options: options)
        let interrupted = InterruptFlag()
        let onTerminal = isatty(STDERR_FILENO) == 1
        let report = try await Database.using(try environment.databaseConfiguration(), logger: environment.logger) { database in
            try await database.prepareSchema(now: Date())
            return try await body(database, { done, due in Self.progress(done: done, due: due, onTerminal: onTerminal) }, { interrupted.isSet })
        }
        if onTerminal { FileHandle.standardError.write(Data("\n".utf8)) }
        if let path = sweep.report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.dateEncodingStrategy = .iso8601
            do {
                try encoder.encode(report).write(to: URL(fileURLWithPath: CommandEnvironment.absolute(path)))
            } catch {
                throw ValidationError("The report could not be written to \(path): \(error.localizedDescription)")
            }
        }
        try Output.print(report, json: sweep.json) { $0.plainText }
    }

    static func progress(done: Int, due: Int, onTerminal: Bool) {
        let total = max(due, done)
        if onTerminal {
            let width = 30
            let filled = total == 0 ? width : width * done / total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(done) of \(total)".utf8))
        } else {
            FileHandle.standardError.write(Data("Swept \(done) of \(total).\n".utf8))
        }
    }
}

/// Set by SIGINT or SIGTERM, so that a sweep finishes the batch in hand (one transaction) and stops.
final class InterruptFlag: @unchecked Sendable {
    private let source: [any DispatchSourceSignal]
    private let lock = NSLock()
    private var set = false

    init() {
        var sources: [any DispatchSourceSignal] = []
        let flag = Box()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { flag.fire() }
            source.resume()
            sources.append(source)
        }
        self.source = sources
        flag.owner = self
    }

    var isSet: Bool { lock.withLock { set } }

    fileprivate func fire() { lock.withLock { set = true } }

    private final class Box: @unchecked Sendable {
        weak var owner: InterruptFlag?
        func fire() { owner?.fire() }
    }
}
