import Foundation

/// Timing and memory read-outs shared by the benchmarks. Figures are medians and percentiles of
/// several measurements, because one measurement on a shared machine says little.
enum BenchmarkStatistics {
    static func seconds(since start: ContinuousClock.Instant) -> Double {
        seconds(ContinuousClock.now - start)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func median(_ values: [Double]) -> Double { percentile(50, of: values) }

    /// The nearest-rank percentile (`p` from 0 to 100); 0 for no values.
    static func percentile(_ p: Double, of values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// VmRSS and VmHWM of this process (Linux /proc), in MiB.
    static func residentMiB() -> Double { procStatus("VmRSS:") }
    static func peakResidentMiB() -> Double { procStatus("VmHWM:") }

    private static func procStatus(_ key: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key) }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kilobytes / 1024
    }

    static func size(of path: String) -> Int {
        var total = 0
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return 0 }
        let files = isFolder.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).map { path + "/" + $0 } : [path]
        for file in files { total += ((try? FileManager.default.attributesOfItem(atPath: file)[.size]) as? Int) ?? 0 }
        return total
    }
}
