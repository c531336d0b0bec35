import Foundation

/// The figures of one `dispatch bench all` run, with the machine they were measured on: as linear
/// text (one figure a line, read well aloud), as JSON, and as the Markdown section that
/// docs/performance.md keeps between its `bench:begin` and `bench:end` markers.
public struct BenchmarkReport: Sendable, Encodable {
    public struct Machine: Sendable, Encodable {
        public var date: String
        public var cores: Int
        public var memoryGiB: Int
        public var postgres: String
        public var build: String

        enum CodingKeys: String, CodingKey {
            case date, cores, postgres, build
            case memoryGiB = "memory_gib"
        }

        static func current(postgres: String) -> Machine {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate]
            #if DEBUG
            let build = "debug"
            #else
            let build = "release"
            #endif
            return Machine(
                date: formatter.string(from: Date()), cores: ProcessInfo.processInfo.activeProcessorCount,
                memoryGiB: Int((Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824).rounded()),
                postgres: postgres.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").first.map(String.init) ?? postgres, build: build)
        }
    }

    /// One figure against its target: what the issue asks for and whether this run met it.
    public struct Check: Sendable, Encodable {
        public var figure: String
        public var value: String
        public var target: String
        public var met: Bool
    }

    public var machine: Machine
    public var command: String
    var envelope: [EnvelopeBenchmark.Result]?
    var dispatch: DispatchBenchmark.Result?
    var feeds: FeedBenchmark.Result?
    var queries: QueryBenchmark.Result?
    var sweep: SweepBenchmark.Result?
    public var exports: ExportBenchmark.Report?

    init(machine: Machine, options: BenchmarkSuite.Options) {
        self.machine = machine
        var command = "dispatch bench all"
        if options.parts != Set(BenchmarkSuite.Part.allCases) {
            command += " --only " + BenchmarkSuite.Part.allCases.filter(options.parts.contains).map(\.rawValue).joined(separator: ",")
        }
        let defaults = BenchmarkSuite.Options()
        if options.assignments != defaults.assignments { command += " --assignments \(options.assignments)" }
        if options.reminderAssignments != defaults.reminderAssignments { command += " --reminder-assignments \(options.reminderAssignments)" }
        if options.rounds != defaults.rounds || options.envelopeRounds != defaults.envelopeRounds { command += " --rounds \(options.rounds)" }
        if options.seconds != defaults.seconds { command += " --seconds \(options.seconds)" }
        self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case machine, command, envelope, dispatch, feeds, queries, sweep, exports, checks
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(machine, forKey: .machine)
        try container.encode(command, forKey: .command)
        try container.encodeIfPresent(envelope, forKey: .envelope)
        try container.encodeIfPresent(dispatch, forKey: .dispatch)
        try container.encodeIfPresent(feeds, forKey: .feeds)
        try container.encodeIfPresent(queries, forKey: .queries)
        try container.encodeIfPresent(sweep, forKey: .sweep)
        try container.encodeIfPresent(exports, forKey: .exports)
        try container.encode(checks, forKey: .checks)
    }

    /// Every figure that has a target, with the verdict.
    public var checks: [Check] {
        var checks: [Check] = []
        for result in envelope ?? [] {
            let seal = result.sealMicroseconds / result.sealBaselineMicroseconds
            let open = result.openMicroseconds / result.openBaselineMicroseconds
            let bare = result.format == 2 ? "swift-crypto HPKE and libsodium" : "libsodium"
            checks.append(Check(
                figure: "Envelope format \(result.format) seal, \(result.recipients) recipient(s), against \(bare)", value: Self.times(seal), target: "at most 1.10 times",
                met: seal <= 1.10))
            checks.append(Check(
                figure: "Envelope format \(result.format) open, \(result.recipients) recipient(s), against \(bare)", value: Self.times(open), target: "at most 1.10 times",
                met: open <= 1.10))
        }
        if let dispatch {
            checks.append(Check(figure: "Dispatches over HTTP against pgbench", value: Self.times(dispatch.ratio), target: "at least 0.6 times", met: dispatch.ratio >= 0.6))
            checks.append(Check(
                figure: "Dispatch p99 at half the highest rate", value: Self.milliseconds(dispatch.halfRate.p99Milliseconds), target: "under 25 ms",
                met: dispatch.halfRate.p99Milliseconds < 25))
        }
        if let feeds {
            let cheapest = max(feeds.metrics.perSecond, feeds.health.perSecond)
            let ratio = cheapest > 0 ? feeds.notModified.perSecond / cheapest : 0
            checks.append(Check(figure: "Calendar feed 304 against the cheapest endpoint", value: Self.times(ratio), target: "at least 0.5 times", met: ratio >= 0.5))
        }
        if let queries {
            checks.append(Check(
                figure: "Status overview, \(queries.overviewOpen) open of \(queries.assignments), p99 in the database", value: Self.milliseconds(queries.overview.p99Milliseconds),
                target: "under 5 ms", met: queries.overview.p99Milliseconds < 5))
            checks.append(Check(
                figure: "Peer mentor's inbox, \(queries.inboxOpen) open of \(queries.assignments), p99 in the database", value: Self.milliseconds(queries.inbox.p99Milliseconds),
                target: "under 5 ms", met: queries.inbox.p99Milliseconds < 5))
            checks.append(Check(
                figure: "Reminder pass over \(queries.reminderAssignments) with nothing due, p99", value: Self.milliseconds(queries.idlePass.p99Milliseconds),
                target: "under 50 ms", met: queries.idlePass.p99Milliseconds < 50))
            checks.append(Check(
                figure: "Reminder pass's selection of the first 100 of \(queries.dueReminders) due, in the database",
                value: Self.milliseconds(queries.reminderSelection.p99Milliseconds), target: "under 50 ms", met: queries.reminderSelection.p99Milliseconds < 50))
        }
        if let sweep {
            checks.append(Check(
                figure: "Expiry sweep of \(sweep.assignments) against one SQL statement (speed)", value: Self.times(sweep.ratio), target: "at least 0.5 times",
                met: sweep.ratio >= 0.5))
        }
        for export in exports?.measurements ?? [] {
            let speed = export.seconds > 0 ? export.baselineSeconds / export.seconds : 0
            checks.append(Check(
                figure: "\(export.name) of \(exports!.assignments) assignments against psql (speed)", value: Self.times(speed), target: "at least 0.8 times",
                met: speed >= 0.8))
        }
        return checks
    }

    static func times(_ ratio: Double) -> String { String(format: "%.2f times", ratio) }
    static func milliseconds(_ value: Double) -> String { String(format: "%.1f ms", value) }
    static func rate(_ value: Double) -> String { String(format: "%.0f a second", value) }

    /// Linear text: the machine, then each figure on a line of its own, then the verdicts.
    public var plainText: String {
        var lines = ["Measured \(machine.date) on \(machine.cores) cores, \(machine.memoryGiB) GiB, PostgreSQL \(machine.postgres), \(machine.build) build."]
        for result in envelope ?? [] {
            lines.append(String(
                format: "Envelope format %d, %d recipient(s), %d byte case (%d bytes sealed): seal %.1f µs against the bare calls' %.1f µs; open %.1f µs against %.1f µs.",
                result.format, result.recipients, result.payloadBytes, result.envelopeBytes, result.sealMicroseconds, result.sealBaselineMicroseconds,
                result.openMicroseconds, result.openBaselineMicroseconds))
        }
        if let dispatch {
            lines.append(
                "Dispatch over HTTP with \(dispatch.connections) clients: \(Self.rate(dispatch.maximum.perSecond)) (p50 \(Self.milliseconds(dispatch.maximum.p50Milliseconds)), p99 \(Self.milliseconds(dispatch.maximum.p99Milliseconds))), against pgbench's \(Self.rate(dispatch.pgbenchPerSecond)) with the same SQL.")
            lines.append(
                "At half that rate, \(Self.rate(dispatch.halfRate.perSecond)): p50 \(Self.milliseconds(dispatch.halfRate.p50Milliseconds)), p99 \(Self.milliseconds(dispatch.halfRate.p99Milliseconds)); \(dispatch.maximum.unexpected + dispatch.halfRate.unexpected) unexpected answers.")
        }
        if let feeds {
            lines.append(
                "Calendar feed with \(feeds.openAssignments) open assignments, \(feeds.connections) clients: 304 at \(Self.rate(feeds.notModified.perSecond)) (p99 \(Self.milliseconds(feeds.notModified.p99Milliseconds))), 200 at \(Self.rate(feeds.full.perSecond)) (p99 \(Self.milliseconds(feeds.full.p99Milliseconds))); /metrics at \(Self.rate(feeds.metrics.perSecond)), /healthz at \(Self.rate(feeds.health.perSecond)).")
        }
        if let queries {
            lines.append(
                "Queries over \(queries.assignments) assignments (seeded with \(queries.reminderAssignments) in all in \(String(format: "%.0f", queries.seedSeconds)) s): status overview p50 \(Self.milliseconds(queries.overview.p50Milliseconds)), p99 \(Self.milliseconds(queries.overview.p99Milliseconds)); inbox p50 \(Self.milliseconds(queries.inbox.p50Milliseconds)), p99 \(Self.milliseconds(queries.inbox.p99Milliseconds)).")
            lines.append(
                "Reminder pass: \(queries.remindersSent) reminders sent in \(String(format: "%.2f", queries.reminderPassSeconds)) s; a pass with nothing due p50 \(Self.milliseconds(queries.idlePass.p50Milliseconds)), p99 \(Self.milliseconds(queries.idlePass.p99Milliseconds)).")
        }
        if let sweep {
            lines.append(String(
                format: "Expiry sweep of %d expired assignments: %.2f s, against %.2f s for one SQL statement doing the same, each with its VACUUM.",
                sweep.assignments, sweep.seconds, sweep.baselineSeconds))
        }
        if let exports { lines.append(exports.plainText) }
        for check in checks {
            lines.append("\(check.met ? "Met" : "Missed"): \(check.figure): \(check.value), target \(check.target).")
        }
        return lines.joined(separator: "\n")
    }

    /// The Markdown section of docs/performance.md.
    public var markdown: String {
        var lines = [
            "Measured **\(machine.date)** with `\(command)` (\(machine.build) build) on \(machine.cores) cores and \(machine.memoryGiB) GiB, shared; PostgreSQL \(machine.postgres).",
            "",
            "| figure | value | target | met |",
            "|---|---|---|---|",
        ]
        for check in checks { lines.append("| \(check.figure) | \(check.value) | \(check.target) | \(check.met ? "yes" : "**no**") |") }
        lines.append("")
        if let envelope, !envelope.isEmpty {
            lines += ["| envelope | sealed size | seal | bare calls | open | bare calls |", "|---|---|---|---|---|---|"]
            for result in envelope {
                lines.append(String(
                    format: "| format %d, %d byte case, %d recipient(s) | %d bytes | %.1f µs | %.1f µs | %.1f µs | %.1f µs |", result.format, result.payloadBytes, result.recipients,
                    result.envelopeBytes, result.sealMicroseconds, result.sealBaselineMicroseconds, result.openMicroseconds, result.openBaselineMicroseconds))
            }
            lines.append("")
        }
        if let dispatch {
            lines += [
                "| dispatch load | rate | p50 | p99 | unexpected answers |", "|---|---|---|---|---|",
                "| HTTP, \(dispatch.connections) clients, closed loop (highest rate) | \(Self.rate(dispatch.maximum.perSecond)) | \(Self.milliseconds(dispatch.maximum.p50Milliseconds)) | \(Self.milliseconds(dispatch.maximum.p99Milliseconds)) | \(dispatch.maximum.unexpected) |",
                "| HTTP, open loop at half that rate | \(Self.rate(dispatch.halfRate.perSecond)) | \(Self.milliseconds(dispatch.halfRate.p50Milliseconds)) | \(Self.milliseconds(dispatch.halfRate.p99Milliseconds)) | \(dispatch.halfRate.unexpected) |",
                "| pgbench, the same SQL, \(dispatch.connections) connections | \(Self.rate(dispatch.pgbenchPerSecond)) | | | |",
                "",
            ]
        }
        if let feeds {
            lines += ["| same server, \(feeds.connections) clients | rate | p50 | p99 | unexpected answers |", "|---|---|---|---|---|"]
            for (name, result) in [
                ("calendar feed, 304 (If-None-Match)", feeds.notModified), ("calendar feed, 200, \(feeds.openAssignments) events", feeds.full),
                ("`/metrics` (no database)", feeds.metrics), ("`/healthz` (`SELECT 1`)", feeds.health),
            ] {
                lines.append("| \(name) | \(Self.rate(result.perSecond)) | \(Self.milliseconds(result.p50Milliseconds)) | \(Self.milliseconds(result.p99Milliseconds)) | \(result.unexpected) |")
            }
            lines.append("")
        }
        if let exports {
            lines += [
                "| export of \(exports.assignments) assignments | rows | ours | psql | speed against psql | resident memory after (peak) |",
                "|---|---|---|---|---|---|",
            ]
            for m in exports.measurements {
                lines.append("| \(m.name) | " + String(
                    format: "%d | %.2f s | %.2f s | %.2f times | %.1f MiB (%.1f) |", m.rows, m.seconds, m.baselineSeconds,
                    m.seconds > 0 ? m.baselineSeconds / m.seconds : 0, m.residentMiB, m.peakResidentMiB))
            }
            lines += ["", String(format: "Seeding %d assignments through the triggers (events and audit chain) took %.0f s; resident memory before the exports %.1f MiB.", exports.assignments, exports.seedSeconds, exports.residentBeforeMiB), ""]
        }
        if let queries {
            lines += [
                "Seeding \(queries.reminderAssignments) assignments for the queries took \(String(format: "%.0f", queries.seedSeconds)) s. The reminder pass sent \(queries.remindersSent) reminders in \(String(format: "%.2f", queries.reminderPassSeconds)) s (batches of 100, each one transaction with its notifications and audit entries).",
                "",
            ]
            for (name, timing) in [("Status overview of a coordinator", queries.overview), ("Peer mentor's inbox", queries.inbox), ("Reminder pass, selection of due assignments", queries.reminderSelection)] {
                lines += ["\(name) (counts, then the first page of 50, where two plans):", "", "```"]
                lines += timing.plans.flatMap { [$0, ""] }.dropLast()
                lines += ["```", ""]
            }
        }
        return lines.joined(separator: "\n")
    }

    static let beginMarker = "<!-- bench:begin -->"
    static let endMarker = "<!-- bench:end -->"

    /// Where the markers stand in `document`, each on a line of its own (a mention in the prose,
    /// inside a sentence, does not count): the end of the begin line and the start of the end line.
    private static func markedRange(in document: String) -> Range<String.Index>? {
        func line(_ marker: String, from start: String.Index) -> Range<String.Index>? {
            var search = start
            while let found = document.range(of: marker, range: search..<document.endIndex) {
                let atLineStart = found.lowerBound == document.startIndex || document[document.index(before: found.lowerBound)] == "\n"
                let atLineEnd = found.upperBound == document.endIndex || document[found.upperBound] == "\n"
                if atLineStart && atLineEnd { return found }
                search = found.upperBound
            }
            return nil
        }
        guard let begin = line(beginMarker, from: document.startIndex), let end = line(endMarker, from: begin.upperBound) else { return nil }
        return begin.upperBound..<end.lowerBound
    }

    /// Whether `document` has the markers ``updating(_:)`` writes between.
    public static func hasMarkers(_ document: String) -> Bool { markedRange(in: document) != nil }

    /// `document` with the text between its `<!-- bench:begin -->` and `<!-- bench:end -->` lines
    /// replaced by ``markdown``; `nil` when it has no such lines.
    public func updating(_ document: String) -> String? {
        guard let range = Self.markedRange(in: document) else { return nil }
        return String(document[..<range.lowerBound]) + "\n" + markdown + "\n" + String(document[range.upperBound...])
    }
}
