import AssignmentCore
import DatabaseTestSupport
import Foundation
import Hummingbird
import HummingbirdTesting
import Postgres
import Server
import Storage
import Testing

/// The disk under the database fills up mid-dispatch. On a cluster of its own in a small tmpfs,
/// which needs root to mount: in CI (which runs as root) the test always runs, and fails loudly if
/// it cannot mount.
@Suite("Disk full", .serialized)
struct DiskFullTests {
    static var canMount: Bool { getuid() == 0 || ProcessInfo.processInfo.environment["CI"] != nil }

    static func run(_ executable: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    @Test("a dispatch that finds the data folder full gets 503 database_storage_full and leaves nothing behind; once space returns, the same requests succeed", .enabled(if: canMount, "mounting a tmpfs needs root; CI (.ci/run sets CI) always runs it"))
    func dispatchOnAFullDisk() async throws {
        let mount = "/tmp/dispatch-disk-full-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        #expect(try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=80m,mode=1777", "tmpfs", mount]) == 0, "mounting a tmpfs (needs root)")
        let folder = mount + "/data"
        let keyring = mount + ".erasure.keyring"  // outside: this test fills the database's disk, not the keyring's
        defer {
            DatabaseOutageTests.remove(folder)
            _ = try? Self.run("/bin/umount", ["-l", mount])
            try? FileManager.default.removeItem(atPath: mount)
            try? FileManager.default.removeItem(atPath: keyring)
        }
        let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000))
        let application = try await buildApplication(
            configuration: ServerConfiguration(
                port: 0,
                database: DatabaseConfiguration(
                    location: .embedded(dataDirectory: folder, binDirectory: nil), scopeProofKeys: .keys(TestPostgres.scopeProofKeys),
                    erasureKeyringPath: keyring, maximumConnections: 4),
                now: { clock.now }, notificationInterval: nil, jobInterval: nil, embeddedDatabaseCheckInterval: nil),
            logger: TestPostgres.logger)
        let cluster = try ManagedCluster(dataDirectory: folder, logger: TestPostgres.logger)
        let database = try await Database.open(
            DatabaseConfiguration(
                location: .external(connectionString: cluster.applicationConnectionString(), ownerConnectionString: cluster.ownerConnectionString()),
                scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: keyring, maximumConnections: 1),
            logger: TestPostgres.logger)
        // Large cases, so that every dispatch needs new pages on disk.
        let payload = #"{"contact_name":"Kari","epikrise":"\#(String(repeating: "x", count: 24_000))","version":1}"#
        let world = try await DispatchWorld.make(accounts: AccountStore(database: database), clock: clock, payload: payload)
        let filler = mount + "/filler"

        try await application.test(.live) { client in
            try await world.registerDevices(client)
            #expect(try await world.post(client, "/v1/assignments", body: try world.dispatchBody(id: AssignmentID(UUID())), as: world.coordinatorToken).status == .created)

            // Fill what is left of the disk.
            FileManager.default.createFile(atPath: filler, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            let chunk = Data(count: 1 << 20)
            while (try? handle.write(contentsOf: chunk)) != nil {}
            try? handle.close()

            var refused: [(AssignmentID, String)] = []
            var accepted: [AssignmentID] = []
            for _ in 0..<20 where refused.count < 3 {
                let id = AssignmentID(UUID())
                let body = try world.dispatchBody(id: id)
                let response = try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "full-\(id)"])
                switch response.status {
                case .created: accepted.append(id)
                case .serviceUnavailable:
                    #expect(problemCode(response) == "database_storage_full", "\(String(buffer: response.body))")
                    #expect(response.headers[.retryAfter] != nil)
                    refused.append((id, body))
                default: Issue.record("a dispatch on a full disk answered \(response.status): \(String(buffer: response.body))")
                }
            }
            #expect(!refused.isEmpty, "the full disk was noticed (accepted \(accepted.count))")
            let refusedIDs = refused.map(\.0.description).joined(separator: ",")
            let leftovers = try await database.withOwnerConnection { db in
                try ["assignments WHERE id", "assignment_recipients WHERE assignment_id", "assignment_events WHERE assignment_id",
                     "audit_entries WHERE subject_id", "notifications WHERE assignment_id"].map { table in
                    try db.query("SELECT count(*) AS n FROM \(table) = ANY(string_to_array($1, ',')::uuid[])", [refusedIDs]).first!.decode("n", as: Int.self)
                }
            }
            #expect(leftovers == [0, 0, 0, 0, 0], "nothing of a refused dispatch was written")

            // Space returns: the same requests, with the same keys, go through, each once.
            try FileManager.default.removeItem(atPath: filler)
            for (id, body) in refused {
                let response = try await world.post(client, "/v1/assignments", body: body, as: world.coordinatorToken, headers: [.idempotencyKey: "full-\(id)"])
                #expect(response.status == .created, "\(response.status) \(String(buffer: response.body))")
            }
            let stored = try await database.withOwnerConnection { db in
                try db.query("SELECT count(*) AS n FROM assignments WHERE id = ANY(string_to_array($1, ',')::uuid[])", [refusedIDs]).first!.decode("n", as: Int.self)
            }
            #expect(stored == refused.count)
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
        try await database.close()
    }
}
