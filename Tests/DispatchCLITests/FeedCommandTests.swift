import Foundation
import Testing

/// `dispatch feed …`, through the built executable.
@Suite("Feed commands", .serialized)
struct FeedCommandTests {
    @Test("create prints the address once; show never does; rotate and revoke; mistakes are refused and change nothing")
    func feedFlow() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["org", "create", "--name", "Blindeforbundet"]).status == 0)
        #expect(try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "mentor", "--role", "peer_mentor"]).status == 0)
        let environment = ["DISPATCH_PUBLIC_URL": "https://dispatch.example.org/"]

        let created = try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "mentor"], environment: environment)
        #expect(created.status == 0, "\(created.errors)")
        #expect(created.output.isPlainText)
        let url = try #require(created.output.split(separator: "\n").first { $0.hasPrefix("https://") })
        #expect(url.range(of: "^https://dispatch\\.example\\.org/feeds/cal_[A-Za-z0-9_-]{43}\\.ics$", options: .regularExpression) != nil, "\(url)")
        #expect(created.output.contains("webcal://dispatch.example.org/feeds/"))
        #expect(created.output.contains("Event texts are in Norwegian."))

        let shown = try runner.run(["feed", "show", "--org", "Blindeforbundet", "--handle", "mentor"])
        #expect(shown.status == 0 && shown.output.contains("mentor has a calendar feed"))
        #expect(!shown.output.contains("cal_"), "the address is not shown again")

        let again = try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "mentor"])
        #expect(again.status != 0 && again.errors.contains("dispatch feed rotate"))
        let language = try runner.run(["feed", "rotate", "--org", "Blindeforbundet", "--handle", "mentor", "--language", "de"])
        #expect(language.status == 1 && language.errors.contains("The language is nb or en."))

        let rotated = try runner.run(["feed", "rotate", "--org", "Blindeforbundet", "--handle", "mentor", "--language", "en", "--json"], environment: environment)
        #expect(rotated.status == 0, "\(rotated.errors)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(rotated.output.utf8)) as? [String: Any])
        #expect(json["replaced"] as? Bool == true)
        #expect((json["url"] as? String).map { $0 != String(url) && $0.hasPrefix("https://dispatch.example.org/feeds/cal_") } == true)

        let revoked = try runner.run(["feed", "revoke", "--org", "Blindeforbundet", "--handle", "mentor"])
        #expect(revoked.status == 0 && revoked.output.contains("no longer works"))
        let none = try runner.run(["feed", "show", "--org", "Blindeforbundet", "--handle", "mentor"])
        #expect(none.status == 1 && none.errors.contains("This user has no calendar feed."))
        #expect(try runner.run(["feed", "revoke", "--org", "Blindeforbundet", "--handle", "mentor"]).status == 1)
        let unknown = try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "nobody"])
        #expect(unknown.status == 1 && unknown.errors.contains("nobody"))
        let badURL = try runner.run(["feed", "create", "--org", "Blindeforbundet", "--handle", "mentor"], environment: ["DISPATCH_PUBLIC_URL": "ftp://x"])
        #expect(badURL.status != 0 && badURL.errors.contains("DISPATCH_PUBLIC_URL"))
        #expect(try runner.run(["feed", "show", "--org", "Blindeforbundet", "--handle", "mentor"]).status == 1, "the refused create made nothing")
    }
}
