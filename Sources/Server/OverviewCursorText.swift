import Foundation
import Storage

/// How a client carries an ``OverviewCursor``: compact JSON in unpadded base64url. Clients never
/// look inside; a text that is not a cursor this server made decodes to `nil`.
enum OverviewCursorText {
    private struct Wire: Codable {
        var t: Date
        var r: [Int]
        var d: Int
        var i: UUID
    }

    static func encode(_ cursor: OverviewCursor) -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        let data = (try? encoder.encode(Wire(t: cursor.asOf, r: cursor.ranks, d: cursor.deadline, i: cursor.id))) ?? Data()
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: String) -> OverviewCursor? {
        guard text.count <= 400 else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        guard let data = Data(base64Encoded: base64), let wire = try? decoder.decode(Wire.self, from: data) else { return nil }
        return OverviewCursor(asOf: wire.t, ranks: wire.r, deadline: wire.d, id: wire.i)
    }
}
