import Foundation

/// When a day's erasure key may go, and how long it may live at the latest (`docs/security.md`,
/// "Erasure").
///
/// Every sealed key stored on day E is wrapped under E's key. An assignment dispatched on E expires
/// at most its organisation's assignment lifetime after dispatch (``DispatchRules``), and cancel,
/// expiry and the key sweep destroy its sealed keys; so once E is over and no live sealed key of E
/// is left, nothing needs E's key, and the key sweep destroys it. That happens at the latest when E
/// has ended, the longest lifetime of any organisation has passed, and the sweeps have run once
/// more.
public enum ErasurePolicy {
    /// The held days whose key may be destroyed at `time`: over, and wrapping no live sealed key.
    public static func destroyable(held: [ErasureEpoch], live: Set<ErasureEpoch>, at time: Date) -> [ErasureEpoch] {
        held.filter { $0.end <= time && !live.contains($0) }.sorted()
    }

    /// The latest a day's key lives, with the longest assignment lifetime of any organisation (plus
    /// the interval until the sweeps next run).
    public static func latestDestruction(of epoch: ErasureEpoch, longestLifetimeDays: Int) -> Date {
        epoch.end.addingTimeInterval(Double(longestLifetimeDays) * 86_400)
    }
}
