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

    init(machine: Machine, options: BenchmarkSuite.Options) {
        self.machine = machine
        var command = "dispatch bench all"
        if options.parts != Set(BenchmarkSuite.Part.allCases) {
            command += " --only " + BenchmarkSuite.Part.allCases.filter(options.parts.contains).map(\.rawValue).joined(separator: ",")
        }
        let defaults = BenchmarkSuite.Options()
        if options.assignments != defaults.assignments { command += " --assignments \(options.assignments)" }
        if options.reminderAssignments != defaults.reminderAssignments { command += " --reminder-assignments \(options.reminderAssignments)" }
        if options.rounds != defaults.rounds { command += " --rounds \(options.rounds)" }
        if options.seconds != defaults.seconds { command += " --seconds \(options.seconds)" }
        self.command = command
    }

    enum CodingKeys: String, CodingKey {
        case machine, command, envelope, dispatch, checks
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(machine, forKey: .machine)
        try container.encode(command, forKey: .command)
        try container.encodeIfPresent(envelope, forKey: .envelope)
        try container.encodeIfPresent(dispatch, forKey: .dispatch)
        try container.encode(checks, forKey: .checks)
    }

    /// Every figure that has a target, with the verdict.
    public var checks: [Check] {
        var checks: [Check] = []
        for result in envelope ?? [] {
            let seal = result.sealMicroseconds / result.sealBaselineMicroseconds
            let open = result.openMicroseconds / result.openBaselineMicroseconds
            checks.append(Check(figure: "Envelope seal, \(result.recipients) recipient(s), against libsodium", value: Self.times(seal), target: "at most 1.10 times", met: seal <= 1.10))
            checks.append(Check(figure: "Envelope open, \(result.recipients) recipient(s), against libsodium", value: Self.times(open), target: "at most 1.10 times", met: open <= 1.10))
        }
        if let dispatch {
            checks.append(Check(figure: "Dispatches over HTTP against pgbench", value: Self.times(dispatch.ratio), target: "at least 0.6 times", met: dispatch.ratio >= 0.6))
            checks.append(Check(
                figure: "Dispatch p99 at half the highest rate", value: Self.milliseconds(dispatch.halfRate.p99Milliseconds), target: "under 25 ms",
                met: dispatch.halfRate.p99Milliseconds < 25))
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
                format: "Envelope, %d recipient(s), %d byte case (%d bytes sealed): seal %.1f µs against libsodium's %.1f µs; open %.1f µs against %.1f µs.",
                result.recipients, result.payloadBytes, result.envelopeBytes, result.sealMicroseconds, result.sealBaselineMicroseconds,
                result.openMicroseconds, result.openBaselineMicroseconds))
        }
        if let dispatch {
            lines.append(
                "Dispatch over HTTP with \(dispatch.connections) clients: \(Self.rate(dispatch.maximum.perSecond)) (p50 \(Self.milliseconds(dispatch.maximum.p50Milliseconds)), p99 \(Self.milliseconds(dispatch.maximum.p99Milliseconds))), against pgbench's \(Self.rate(dispatch.pgbenchPerSecond)) with the same SQL.")
            lines.append(
                "At half that rate, \(Self.rate(dispatch.halfRate.perSecond)): p50 \(Self.milliseconds(dispatch.halfRate.p50Milliseconds)), p99 \(Self.milliseconds(dispatch.halfRate.p99Milliseconds)); \(dispatch.maximum.unexpected + dispatch.halfRate.unexpected) unexpected answers.")
        }
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
            lines += ["| envelope | sealed size | seal | libsodium | open | libsodium |", "|---|---|---|---|---|---|"]
            for result in envelope {
                lines.append(String(
                    format: "| %d byte case, %d recipient(s) | %d bytes | %.1f µs | %.1f µs | %.1f µs | %.1f µs |", result.payloadBytes, result.recipients,
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
        return lines.joined(separator: "\n")
    }

    /// `document` with the text between its `<!-- bench:begin -->` and `<!-- bench:end -->`
    /// markers replaced by ``markdown``; `nil` when it has no such markers.
    public func updating(_ document: String) -> String? {
        guard let begin = document.range(of: "<!-- bench:begin -->"), let end = document.range(of: "<!-- bench:end -->"), begin.upperBound <= end.lowerBound
        else { return nil }
        return String(document[..<begin.upperBound]) + "\n" + markdown + "\n" + String(document[end.lowerBound...])
    }
}
