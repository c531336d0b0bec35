import Envelope
import Foundation
import Postgres
import Testing

@Suite("The dispatch command", .serialized)
struct DispatchCLITests {

    @Test("`dispatch up` creates the embedded database, migrates it, reports, and stops it again")
    func mainJob() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let first = try runner.run(["up"])
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("Database: embedded PostgreSQL"))
        #expect(first.output.contains("Applied now: 0001 initial schema, "))
        #expect(first.output.contains(" applied, none pending."))
        #expect(first.output.contains("Serving role: dispatch_app, no superuser, bound by row-level security, owns nothing."))
        #expect(!first.output.contains("Warning"))
        let migrations = try runner.run(["migrate", "--status"]).output.split(separator: "\n").dropFirst()
        #expect(!migrations.isEmpty && migrations.allSatisfy { $0.contains(": applied ") }, "\(migrations)")
        #expect(first.output.contains("It was started by this command and is stopped when the command ends."))
        #expect(first.output.isPlainText)
        let status = try runner.run(["db", "status"])
        #expect(status.output.contains("State: stopped."))
        let second = try runner.run(["up"])
        #expect(second.status == 0)
        #expect(!second.output.contains("Applied now"))
        #expect(second.output.contains("Contents: 0 organisations, 0 users, 0 assignments."))
    }

    @Test("db start, status, migrate --status, and db stop")
    func databaseLifecycle() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let started = try runner.run(["db", "start"])
        #expect(started.status == 0, "\(started.errors)")
        #expect(started.output.contains("Embedded database started."))
        let status = try runner.run(["db", "status", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        #expect(json?["state"] as? String == "running")
        #expect((json?["connectionURI"] as? String)?.hasPrefix("postgresql://dispatch@/dispatch?host=") == true)
        let migrations = try runner.run(["migrate", "--status"])
        #expect(migrations.output.contains("0001 initial schema: applied"))
        let shared = try runner.run(["up"])
        #expect(shared.output.contains("It was already running; this command leaves it running."))
        #expect(try runner.run(["db", "status"]).output.contains("State: running"))
        let again = try runner.run(["db", "start"])
        #expect(again.output.contains("was already running"))
        let stopped = try runner.run(["db", "stop"])
        #expect(stopped.output.contains("Embedded database stopped."))
        #expect(try runner.run(["db", "stop"]).output.contains("was not running"))
    }

    @Test("keys generate and keys show, with a fingerprint to read aloud")
    func keys() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let passphrase = runner.sandbox.appendingPathComponent("passphrase").path
        try "a long enough passphrase\n".write(toFile: passphrase, atomically: true, encoding: .utf8)
        let generated = try runner.run(["keys", "generate", "--passphrase-file", passphrase, "--kdf-profile", "interactive"])
        #expect(generated.status == 0, "\(generated.errors)")
        #expect(generated.output.hasPrefix("Keys created."))
        let keystore = runner.sandbox.appendingPathComponent("keys/device.keystore").path
        let mode = try FileManager.default.attributesOfItem(atPath: keystore)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)

        let shown = try runner.run(["keys", "show"])
        #expect(shown.status == 0)
        #expect(shown.output.isPlainText)
        let line = try #require(shown.output.split(separator: "\n").first { $0.hasPrefix("Fingerprint to read aloud: ") })
        let groups = line.dropFirst("Fingerprint to read aloud: ".count).dropLast().split(separator: " ")
        #expect(groups.count == 6 && groups.allSatisfy { $0.count == 5 && $0.allSatisfy(\.isNumber) }, "\(line)")

        let json = try JSONSerialization.jsonObject(with: Data(try runner.run(["keys", "show", "--json"]).output.utf8)) as? [String: Any]
        let stored = try Keystore.publicKeys(at: keystore)
        #expect(json?["fingerprint"] as? String == stored.fingerprint.hex)
        #expect(json?["readAloud"] as? [String] == stored.fingerprint.readAloud)

        // The passphrase opens it; the keys are the ones shown.
        let unlocked = try Keystore.unlock(at: keystore, passphrase: SecretBytes(utf8: "a long enough passphrase"))
        #expect(unlocked.fingerprint == stored.fingerprint)

        let overwrite = try runner.run(["keys", "generate", "--passphrase-file", passphrase])
        #expect(overwrite.status != 0)
        #expect(overwrite.errors.contains("already exists"))
        #expect(try Keystore.publicKeys(at: keystore) == stored)

        // New keystores have the post-quantum key; upgrading one that has it changes nothing.
        #expect(shown.output.contains("Post-quantum key: yes.") && stored.isPostQuantum)
        #expect(try runner.run(["keys", "upgrade", "--passphrase-file", passphrase]).output.hasPrefix("This device has a post-quantum key already"))
        #expect(try Keystore.publicKeys(at: keystore) == stored)
        // A keystore from before format 2 (version 1) keeps opening, and upgrade adds the key under the same passphrase.
        let older = try DeviceKeyPair.generate(postQuantum: false)
        try Keystore.create(at: keystore, keys: older, passphrase: SecretBytes(utf8: "a long enough passphrase"), hardness: .testingOnly, overwrite: true)
        #expect(try runner.run(["keys", "show"]).output.contains("Post-quantum key: no. Run dispatch keys upgrade, then dispatch keys register."))
        let wrong = try runner.run(["keys", "upgrade", "--passphrase-stdin"], input: "not the passphrase\n")
        #expect(wrong.status != 0 && wrong.errors.contains("Wrong passphrase"))
        #expect(try Keystore.publicKeys(at: keystore) == older.publicKeys, "a refused upgrade changes nothing")
        let upgraded = try runner.run(["keys", "upgrade", "--passphrase-file", passphrase])
        #expect(upgraded.status == 0 && upgraded.output.hasPrefix("Post-quantum key added.") && upgraded.output.contains("Next: dispatch keys register."), "\(upgraded.errors)")
        let now = try Keystore.unlock(at: keystore, passphrase: SecretBytes(utf8: "a long enough passphrase"))
        #expect(now.publicKeys.isPostQuantum && now.publicKeys.classical == older.publicKeys)
    }

    @Test("bad input gets a clear message and a non-zero exit, and changes nothing")
    func badInput() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let unknown = try runner.run(["teleport"])
        #expect(unknown.status == 64)
        #expect(unknown.errors.contains("Unexpected argument 'teleport'"))
        let level = try runner.run(["--log-level", "loud"])
        #expect(level.status == 64)
        #expect(level.errors.contains("Unknown log level 'loud'"))
        let unreachable = try runner.run(["up"], environment: ["DATABASE_URL": "postgresql://dispatch:hunter2-secret@127.0.0.1:1/dispatch?connect_timeout=2"])
        #expect(unreachable.status == 1)
        #expect(unreachable.errors.contains("could not connect to PostgreSQL"))
        #expect(!(unreachable.errors + unreachable.output).contains("hunter2"))
        let external = try runner.run(["db", "start"], environment: ["DATABASE_URL": "postgresql://localhost/x"])
        #expect(external.status != 0)
        #expect(external.errors.contains("DATABASE_URL is set"))
        let missing = try runner.run(["keys", "show", "--keystore", runner.sandbox.appendingPathComponent("none").path])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("No keystore at"))
        #expect(missing.errors.contains("dispatch keys generate"))
        let noTerminal = try runner.run(["keys", "generate"])
        #expect(noTerminal.status != 0)
        #expect(noTerminal.errors.contains("--passphrase-file or --passphrase-stdin"))
        let short = try runner.run(["keys", "generate", "--passphrase-stdin"], input: "short\n")
        #expect(short.status == 1)
        #expect(short.errors.contains("at least 8"))
        #expect(!FileManager.default.fileExists(atPath: runner.sandbox.appendingPathComponent("keys/device.keystore").path))
        // A keystore others can read is refused, with the command that fixes it.
        let generated = try runner.run(["keys", "generate", "--passphrase-stdin", "--kdf-profile", "interactive"], input: "long enough passphrase\n")
        #expect(generated.status == 0, "\(generated.errors)")
        let keystore = runner.sandbox.appendingPathComponent("keys/device.keystore").path
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keystore)
        let open = try runner.run(["keys", "show"])
        #expect(open.status == 1)
        #expect(open.errors.contains("chmod 600 \(keystore)"))
        #expect(!FileManager.default.fileExists(atPath: runner.dataDirectory), "no command here touched the database")
    }

    @Test("help lists the commands in plain text")
    func help() throws {
        let runner = try DispatchRunner()
        defer { runner.cleanUp() }
        let help = try runner.run(["--help"])
        #expect(help.status == 0)
        for command in ["serve", "up", "migrate", "db", "keys", "login", "send", "status", "inbox", "open", "ack", "contact", "complete", "cancel", "sync"] { #expect(help.output.contains("  \(command) "), "\(command)") }
        #expect(help.output.isPlainText)
    }
}
