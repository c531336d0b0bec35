import Foundation
import Testing

/// `dispatch bench all` at its smallest: it runs, compares against its baselines, and writes its
/// section into a document between the markers and nowhere else. (The figures themselves are not
/// checked here: speed targets live in the benchmark, docs/performance.md.)
@Suite("dispatch bench all")
struct BenchCommandTests {
    @Test("the envelope and feed benchmarks run against their baselines, print linear text with a verdict per target, and replace only the marked section of --update's file")
    func smallRun() async throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let document = runner.sandbox.appendingPathComponent("performance.md").path
        let prose = "The results go between `<!-- bench:begin -->` and `<!-- bench:end -->` below.\n"
        try "# Before\n\n\(prose)\n<!-- bench:begin -->\nold figures\n<!-- bench:end -->\n\n# After\n".write(toFile: document, atomically: true, encoding: .utf8)

        let result = try await runner.running(["bench", "all", "--only", "envelope,feeds", "--seconds", "1", "--rounds", "1", "--update", document])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.isPlainText)
        #expect(result.output.contains("Envelope format 1, 3 recipient(s), 2048 byte case"), "\(result.output)")
        #expect(result.output.contains("Envelope format 2, 3 recipient(s), 2048 byte case"), "\(result.output)")
        #expect(result.output.contains("Calendar feed with 50 open assignments"))
        let verdicts = result.output.split(separator: "\n").filter { $0.hasPrefix("Met: ") || $0.hasPrefix("Missed: ") }
        #expect(verdicts.count == 9, "four envelope figures per format and the feed's: \(verdicts)")

        let updated = try String(contentsOfFile: document, encoding: .utf8)
        #expect(updated.hasPrefix("# Before\n\n\(prose)\n<!-- bench:begin -->\n"), "a mention of the markers in the prose is not a marker")
        #expect(updated.hasSuffix("<!-- bench:end -->\n\n# After\n"))
        #expect(!updated.contains("old figures"))
        #expect(updated.contains("| figure | value | target | met |"))
        #expect(updated.contains("`dispatch bench all --only envelope,feeds --rounds 1 --seconds 1`"))

        let unmarked = runner.sandbox.appendingPathComponent("plain.md").path
        try "no markers\n".write(toFile: unmarked, atomically: true, encoding: .utf8)
        let refused = try await runner.running(["bench", "all", "--only", "envelope", "--rounds", "1", "--update", unmarked])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("bench:begin"), "\(refused.errors)")
        #expect(try String(contentsOfFile: unmarked, encoding: .utf8) == "no markers\n", "a file without markers is left alone")
        #expect(try await runner.running(["bench", "all", "--only", "envelope,everything"]).errors.contains("'everything' is none of them"))
    }
}
