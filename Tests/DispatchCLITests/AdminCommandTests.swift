import Envelope
import Foundation
import Testing

/// The organisation admin's commands, through the built executable.
@Suite("Admin commands", .serialized)
struct AdminCommandTests {
    @Test("create an organisation, a local association, users and a token; change settings and status")
    func adminFlow() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let created = try runner.run(["org", "create", "--name", "Blindeforbundet"])
        #expect(created.status == 0, "\(created.errors)")
        #expect(created.output.contains("Encrypted assignments: on."))
        #expect(created.output.contains("Honorarium tiers: 3 and 15 assignments, counted when completed."))
        #expect(created.output.isPlainText)
        #expect(try runner.run(["org", "add-local-association", "--org", "blindeforbundet", "--name", "Oslo"]).status == 0)
        let user = try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "kari.k", "--role", "coordinator", "--local-association", "Oslo", "--json"])
        let userJSON = try JSONSerialization.jsonObject(with: Data(user.output.utf8)) as? [String: Any]
        #expect(userJSON?["handle"] as? String == "kari.k")
        #expect(userJSON?["role"] as? String == "coordinator")

        let issued = try runner.run(["tokens", "issue", "--org", "Blindeforbundet", "--handle", "kari.k", "--days", "7"])
        #expect(issued.status == 0)
        #expect(issued.output.contains("shown only this once"))
        let token = try #require(issued.output.split(separator: "\n").first { $0.hasPrefix("adt_") })
        #expect(token.count == 47)

        let settings = try runner.run(["org", "set", "--org", "Blindeforbundet", "--module", "off", "--reminder-after-days", "7", "--honorarium-tiers", "5,10", "--count-at", "acknowledged"])
        #expect(settings.status == 0, "\(settings.errors)")
        #expect(settings.output.contains("Encrypted assignments: off."))
        #expect(settings.output.contains("Reminders: after 7 days"))
        #expect(settings.output.contains("Honorarium tiers: 5 and 10 assignments, counted when acknowledged."))

        let paused = try runner.run(["users", "pause", "--org", "Blindeforbundet", "--handle", "kari.k"])
        #expect(paused.output.contains("Status: paused."))
        #expect(try runner.run(["users", "deactivate", "--org", "Blindeforbundet", "--handle", "kari.k"]).output.contains("Status: deactivated."))
        #expect(try runner.run(["users", "reactivate", "--org", "Blindeforbundet", "--handle", "kari.k"]).output.contains("Status: active."))
        let listed = try runner.run(["org", "list"])
        #expect(listed.output.hasPrefix("1 organisation:\nBlindeforbundet, id "))

        let rates = try runner.run([
            "org", "set", "--org", "Blindeforbundet", "--honorarium-rates", "band:1:0,band:3:50000:LA101,bonus:3:100000:LA110", "--rates-valid-from", "2026-03-01",
        ])
        #expect(rates.status == 0, "\(rates.errors)")
        let shown = try runner.run(["honorarium", "rates", "--org", "Blindeforbundet"])
        #expect(shown.output == "From 2026-03-01, in NOK:\nFrom counted assignment 1 of the year on, each pays 0.00.\nFrom counted assignment 3 of the year on, each pays 500.00, pay code LA101.\nReaching tier 3 pays 1000.00 once, pay code LA110.\n", "\(shown.output)")
        #expect(shown.output.isPlainText)
        let closedFile = runner.sandbox.appendingPathComponent("closed.csv").path
        let close = try runner.run(["report", "honorarium", "--org", "Blindeforbundet", "--close", "2026-01", "--out", closedFile])
        #expect(close.status == 0, "\(close.errors)")
        let digest = SHA256.hexHash(Array(try Data(contentsOf: URL(fileURLWithPath: closedFile))))
        #expect(close.output == "Closed 2026-01 as paid. The file's SHA-256: \(digest).\n", "\(close.output)")
        let again = try runner.run(["report", "honorarium", "--org", "Blindeforbundet", "--close", "2026-01"])
        #expect(again.status == 1)
        #expect(again.errors.contains("2026-01 is closed already"))
        for arguments in [["--close", "2026-Q1"], ["--close", "2026-01", "--period", "2026"], []] {
            #expect(try runner.run(["report", "honorarium", "--org", "Blindeforbundet"] + arguments).status == 64, "\(arguments)")
        }
        let json = try runner.run(["honorarium", "rates", "--org", "Blindeforbundet", "--json"])
        #expect(json.output.contains("\"amount_ore\" : 50000"), "\(json.output)")
    }

    @Test("a compliance officer is added like any user, and a one-time sign-in link is printed once, plainly or as JSON")
    func signInLinks() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["org", "create", "--name", "Blindeforbundet"]).status == 0)
        let officer = try runner.run(["users", "add", "--org", "Blindeforbundet", "--handle", "per", "--role", "compliance_officer", "--json"])
        #expect(officer.status == 0, "\(officer.errors)")
        #expect((try JSONSerialization.jsonObject(with: Data(officer.output.utf8)) as? [String: Any])?["role"] as? String == "compliance_officer")
        let link = try runner.run(["users", "sign-in-link", "--org", "Blindeforbundet", "--handle", "per"], environment: ["DISPATCH_PUBLIC_URL": "https://dispatch.example.org"])
        #expect(link.status == 0, "\(link.errors)")
        let lines = link.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("Sign-in link for per, good once until ") == true, "\(link.output)")
        let url = try #require(lines.first { $0.hasPrefix("https://dispatch.example.org/sign-in/link?code=lnk_") })
        #expect(url.count == "https://dispatch.example.org/sign-in/link?code=lnk_".count + 43)
        #expect(link.output.isPlainText)
        let json = try runner.run(["users", "sign-in-link", "--org", "Blindeforbundet", "--handle", "per", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect((object["url"] as? String)?.contains("/sign-in/link?code=lnk_") == true && object["expires_at"] is String)
        #expect(object["url"] as? String != url, "every link is new")
        // Nobody to sign in: an unknown or deactivated user gets a clear refusal.
        let unknown = try runner.run(["users", "sign-in-link", "--org", "Blindeforbundet", "--handle", "nobody"])
        #expect(unknown.status != 0 && unknown.errors.contains("nobody"), "\(unknown.errors)")
        #expect(try runner.run(["users", "deactivate", "--org", "Blindeforbundet", "--handle", "per"]).status == 0)
        let deactivated = try runner.run(["users", "sign-in-link", "--org", "Blindeforbundet", "--handle", "per"])
        #expect(deactivated.status != 0 && deactivated.errors.contains("deactivated"), "\(deactivated.errors)")
    }

    @Test("wrong input is refused with a message that says what to do, and changes nothing")
    func refusals() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        #expect(try runner.run(["org", "create", "--name", "Org"]).status == 0)
        let duplicate = try runner.run(["org", "create", "--name", "ORG"])
        #expect(duplicate.status == 1)
        #expect(duplicate.errors.contains("An organisation named ORG exists already."))
        let unknown = try runner.run(["org", "show", "--org", "Nowhere"])
        #expect(unknown.status == 1)
        #expect(unknown.errors.contains("dispatch org list"))
        let role = try runner.run(["users", "add", "--org", "Org", "--handle", "ola", "--role", "wizard"])
        #expect(role.status == 64)
        #expect(role.errors.contains("peer_mentor"))
        let handle = try runner.run(["users", "add", "--org", "Org", "--handle", "Ola Nordmann", "--role", "peer_mentor"])
        #expect(handle.status == 1)
        #expect(handle.errors.contains("is not a usable handle"))
        let setting = try runner.run(["org", "set", "--org", "Org", "--reminder-after-days", "0"])
        #expect(setting.status == 1)
        #expect(setting.errors.contains("reminder_after_days must be between 1 and 365"))
        let tiers = try runner.run(["org", "set", "--org", "Org", "--honorarium-tiers", "15,3"])
        #expect(tiers.status == 1)
        for (bad, message) in [("band:3:-500", "whole øre"), ("band:3:500.50", "whole øre"), ("band:3:500,band:3:700", "same count or tier")] {
            let refused = try runner.run(["org", "set", "--org", "Org", "--honorarium-rates", bad, "--reminder-after-days", "7"])
            #expect(refused.status == 1, "\(bad)")
            #expect(refused.errors.contains(message), "\(bad): \(refused.errors)")
        }
        let halfway = try runner.run(["org", "set", "--org", "Org", "--honorarium-rates", "band:3:500", "--reminder-after-days", "0"])
        #expect(halfway.status == 1)
        #expect(try runner.run(["honorarium", "rates", "--org", "Org"]).output.hasPrefix("No honorarium rates are set"), "a refused setting saves no rates either")
        #expect(try runner.run(["org", "show", "--org", "Org"]).output.contains("Reminders: after 10 days"))
        #expect(try runner.run(["org", "show", "--org", "Org"]).output.contains("Honorarium tiers: 3 and 15"))
        let token = try runner.run(["tokens", "issue", "--org", "Org", "--handle", "nobody"])
        #expect(token.status == 1)
        #expect(token.errors.contains("no user with the handle nobody"))
        let revoke = try runner.run(["tokens", "revoke", "--org", "Org", "--id", "not-a-uuid"])
        #expect(revoke.status == 64)
    }
}
