import AssignmentCore
import DatabaseTestSupport
import Envelope
import Foundation
import Jobs
import Logging
import Postgres
import Storage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Erasure that holds (docs/security.md, "Erasure"): sealed keys are stored only wrapped under a
/// day's erasure key that never enters PostgreSQL; a cancel and one pass of the job runner leave
/// no byte of them in the heap files; destroying the day's key makes every older copy (WAL,
/// backups) useless.
@Suite("Erasure that holds")
struct ErasureTests {
    let start = Date(timeIntervalSince1970: 1_795_000_000)  // 2026-11-18 08:53 UTC

    /// A real envelope from the coordinator to the mentor, with a marker in its payload, dispatched
    /// at `time`; returns its id and the envelope (with the mentor's sealed key).
    func dispatch(
        _ world: TestOrganization, at time: Date, marker: String = "MARKER-\(UUID().uuidString)", format: EnvelopeFormat? = nil
    ) async throws -> (AssignmentID, AssignmentEnvelope) {
        let id = AssignmentID(UUID())
        let envelope = try EnvelopeSealer().seal(
            payload: Array(#"{"version":1,"contact_name":"\#(marker)"}"#.utf8), assignmentID: id.uuid, organizationID: world.id.uuid,
            sender: world.coordinatorDevice, recipients: [world.mentorDevice.publicKeys], format: format)
        _ = try await world.store.dispatch(
            DispatchSubmission(id: id, recipientID: world.mentor.userID, title: "Oppdrag", envelope: envelope.serialized), by: world.coordinator, at: time)
        return (id, envelope)
    }

    /// What the mentor's device does with a downloaded envelope.
    func open(_ bytes: [UInt8], _ id: AssignmentID, _ world: TestOrganization) throws -> String {
        let payload = try EnvelopeOpener.open(
            try AssignmentEnvelope.parse(bytes), recipient: world.mentorDevice, sender: world.coordinatorDevice.publicKeys, assignmentID: id.uuid,
            organizationID: world.id.uuid)
        return String(decoding: payload, as: UTF8.self)
    }

    func storedSealedKey(_ id: AssignmentID, in database: Database) async throws -> (bytes: [UInt8]?, epoch: ErasureEpoch?) {
        try await database.withOwnerConnection { db in
            let row = try db.query("SELECT sealed_key, erasure_epoch FROM assignment_recipients WHERE assignment_id = $1", [id]).first!
            return (try row.decodeIfPresent("sealed_key", as: [UInt8].self), try row.decodeIfPresent("erasure_epoch", as: ErasureEpoch.self))
        }
    }

    @Test("a sealed key is stored only wrapped under its day's erasure key; the envelope handed out carries the original, and a wrapped key moved to another row is refused")
    func storedWrapped() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let (id, envelope) = try await dispatch(world, at: start)
        let sealedKey = envelope.sealedKeys[0].sealedKey
        let stored = try await storedSealedKey(id, in: database)
        #expect(stored.epoch == ErasureEpoch(containing: start))
        #expect(envelope.format == .v2 && sealedKey.count == 1168)
        let wrappedCount = 8 + 24 + 1168 + 16
        #expect(stored.bytes?.count == wrappedCount, "key id, nonce, the sealed key, tag")
        #expect(stored.bytes.map { !Data($0).contains(Data(sealedKey)) } == true, "the bare sealed key is not in the row")
        #expect(try database.erasureKeyring.epochs() == [ErasureEpoch(containing: start)])
        let keyring = try String(contentsOfFile: database.erasureKeyring.path, encoding: .utf8)
        #expect(keyring.hasPrefix("assignment-dispatch erasure keyring 1\n2026-11-18 "))
        let mode = try FileManager.default.attributesOfItem(atPath: database.erasureKeyring.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        let downloaded = try await world.store.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 60)
        #expect(try AssignmentEnvelope.parse(downloaded).sealedKeys.map(\.sealedKey) == [sealedKey])
        #expect(try open(downloaded, id, world).contains("MARKER-"))

        // Someone with SQL moves a wrapped key onto another assignment's row: it does not unwrap there.
        let (other, _) = try await dispatch(world, at: start + 120)
        try await database.withOwnerConnection { db in
            try db.execute(
                "UPDATE assignment_recipients SET sealed_key = (SELECT sealed_key FROM assignment_recipients WHERE assignment_id = $1) WHERE assignment_id = $2",
                [id, other])
        }
        await #expect(throws: EnvelopeError.sealedKeyWrapInvalid) {
            _ = try await world.store.downloadEnvelope(other, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 180)
        }
        try await database.close()
    }

    @Test("after a cancel and one pass of the job runner, no byte string of the sealed key, wrapped or not, is in the database's heap files; the bare key never reaches any file")
    func cancelledKeysLeaveTheHeap() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        let (id, envelope) = try await dispatch(world, at: start)
        let sealedKey = envelope.sealedKeys[0].sealedKey
        let wrapped = try #require(try await storedSealedKey(id, in: database).bytes)
        let superuser = try TestPostgres.superuserConnection(to: database)
        defer { superuser.close() }
        let oid = try superuser.query("SELECT oid::int AS oid FROM pg_database WHERE datname = current_database()").first!.decode("oid", as: Int.self)
        let cluster = TestPostgres.cluster.dataDirectory + "/pgdata"
        let heap = cluster + "/base/\(oid)"
        // The control: written out, the wrapped key is in the heap files, and the search finds it.
        try superuser.execute("CHECKPOINT")
        #expect(!PlaintextSearch.files(containingBytes: [wrapped], at: [heap]).isEmpty, "the search finds the wrapped key where it is")

        _ = try await world.store.transition(id, to: .cancelled, by: world.coordinator, at: start + 60, reason: "Ikke lenger aktuelt")
        #expect(try await storedSealedKey(id, in: database).bytes == nil, "the cancel destroys the sealed key in the live row")
        _ = try await JobRunner(database: database, delivery: nil, now: { start + 120 }, logger: TestPostgres.logger).runOnce()

        try superuser.execute("CHECKPOINT")
        #expect(PlaintextSearch.files(containingBytes: [sealedKey, wrapped], at: [heap]).isEmpty, "the heap files hold none of it")
        // The WAL still holds what was written (wrapped only; its old segments may be recycled, so
        // only the absence of the bare key is a fact to check there).
        #expect(PlaintextSearch.files(containingBytes: [sealedKey], at: [cluster + "/pg_wal", cluster + "/base", cluster + "/global"]).isEmpty,
                "the bare sealed key never reached PostgreSQL")
        try await database.close()
    }

    @Test("a backup taken before the cancel: with the peer mentor's key, the case opens from it until the day's erasure key is destroyed, and never after")
    func backupAttack() async throws {
        let folder = "/tmp/dispatch-erasure-\(UUID().uuidString.prefix(8))"
        let backupFolder = folder + "-backup"
        defer {
            for path in [folder, backupFolder] {
                if let cluster = try? ManagedCluster(dataDirectory: path, logger: TestPostgres.logger) { _ = try? cluster.stop() }
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let keyring = folder + "/erasure.keyring"
        let clock = TestClock(start)
        let live = try await Database.openMigrated(
            DatabaseConfiguration(location: .embedded(dataDirectory: folder, binDirectory: nil), scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: keyring),
            logger: TestPostgres.logger, now: start)
        let world = try await TestOrganization.make(in: live, at: start)
        let (id, _) = try await dispatch(world, at: start, marker: "BACKUP-MARKER")

        // pg_basebackup of the running cluster, WAL included, as the server's account.
        let cluster = try #require(live.embedded?.cluster)
        try FileManager.default.createDirectory(atPath: backupFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        if let user = cluster.serverUser { try FileManager.default.setAttributes([.ownerAccountName: user], ofItemAtPath: backupFolder) }
        let backup = Process()
        backup.executableURL = URL(fileURLWithPath: cluster.serverUser == nil ? cluster.binDirectory + "/pg_basebackup" : "/usr/sbin/runuser")
        backup.arguments = (cluster.serverUser.map { ["-u", $0, "--", cluster.binDirectory + "/pg_basebackup"] } ?? [])
            + ["-D", backupFolder + "/pgdata", "-X", "stream", "-h", cluster.socketDirectory, "-U", ManagedCluster.superuser, "--checkpoint=fast", "--no-sync"]
        backup.standardOutput = FileHandle.nullDevice
        backup.standardError = FileHandle.nullDevice
        try backup.run()
        backup.waitUntilExit()
        try #require(backup.terminationStatus == 0, "pg_basebackup failed")

        // The case is cancelled and its day ends; the job runner runs.
        _ = try await world.store.transition(id, to: .cancelled, by: world.coordinator, at: start + 60, reason: "Ikke lenger aktuelt")
        let restored = try await Database.open(
            DatabaseConfiguration(location: .embedded(dataDirectory: backupFolder, binDirectory: nil), scopeProofKeys: .keys(TestPostgres.scopeProofKeys), erasureKeyringPath: keyring),
            logger: TestPostgres.logger)
        let fromBackup = AssignmentStore(database: restored)
        let before = try await fromBackup.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 30)
        #expect(try open(before, id, world).contains("BACKUP-MARKER"), "before the day's key is destroyed, the backup opens the case")

        let sameDay = try await SweepJob.keys(database: live, clock: { start + 120 })
        #expect(sameDay.erasure?.epochsDestroyed == [], "the day is not over yet")
        clock.advance(by: 86_400)
        let report = try await JobRunner(database: live, delivery: nil, now: { clock.now }, logger: TestPostgres.logger).runOnce()
        #expect(report.keys.erasure?.epochsDestroyed == [ErasureEpoch(containing: start)])
        #expect(try live.erasureKeyring.epochs().isEmpty)

        let error = try await #require(throws: EnvelopeError.self) {
            _ = try await fromBackup.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 30)
        }
        #expect(error == .erasureKeyMissing(epoch: "2026-11-18"), "after it, the backup's wrapped key opens nothing")
        try await restored.close()
        try await live.close()
    }

    @Test("an assignment left open expires at its organisation's longest lifetime, and its day's key goes with the next pass: the bound the key sweep reports")
    func lifetimeBoundsEveryKey() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start) { $0.assignmentLifetimeDays = 7 }
        let (id, _) = try await dispatch(world, at: start)
        let epoch = ErasureEpoch(containing: start)
        let early = try await SweepJob.keys(database: database, clock: { start + 2 * 86_400 })
        #expect(early.erasure?.epochsDestroyed == [], "an open assignment keeps its day's key")
        #expect(early.erasure?.epochsHeld == [epoch])
        #expect(early.erasure?.longestLifetimeDays == 7)
        #expect(early.erasure?.oldestHeldGoneBy == epoch.end + 7 * 86_400)
        #expect(early.plainText.contains("Erasure keys held: 1, the oldest for 2026-11-18"), "\(early.plainText)")
        #expect(early.plainText.contains("at the latest 7 days after that day ends"))

        let dryRun = try await SweepJob.keys(database: database, clock: { start + 8 * 86_400 }, dryRun: true)
        #expect(dryRun.erasure?.epochsDestroyed == [], "the expiry sweep has not run yet")
        let pass = try await JobRunner(database: database, delivery: nil, now: { epoch.end + 7 * 86_400 }, logger: TestPostgres.logger).runOnce()
        #expect(pass.expiry.expired == [id])
        #expect(pass.keys.erasure?.epochsDestroyed == [epoch], "within the bound the key is gone")
        #expect(try database.erasureKeyring.epochs().isEmpty)
        try await database.close()
    }

    @Test("two servers on one database share the keyring: a key one makes the other finds, and both hand out envelopes")
    func twoServersShareTheKeyring() async throws {
        let configuration = try await TestPostgres.databaseConfiguration()
        let first = try await Database.open(configuration, logger: TestPostgres.logger)
        let second = try await Database.open(configuration, logger: TestPostgres.logger)
        let world = try await TestOrganization.make(in: first, at: start)
        let otherServer = AssignmentStore(database: second)
        #expect(try second.erasureKeyring.epochs().isEmpty, "the second server started before any key existed")
        let (id, _) = try await dispatch(world, at: start)
        let handedOut = try await otherServer.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 60)
        #expect(try open(handedOut, id, world).contains("MARKER-"))
        // And the other way round, on the next day.
        let nextDay = start + 86_400
        let envelope = try EnvelopeSealer().seal(
            payload: Array(#"{"version":1}"#.utf8), assignmentID: UUID(), organizationID: world.id.uuid, sender: world.coordinatorDevice,
            recipients: [world.mentorDevice.publicKeys])
        let secondID = AssignmentID(envelope.assignmentID)
        _ = try await otherServer.dispatch(
            DispatchSubmission(id: secondID, recipientID: world.mentor.userID, title: "Oppdrag", envelope: envelope.serialized), by: world.coordinator, at: nextDay)
        _ = try await world.store.downloadEnvelope(secondID, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: nextDay + 60)
        #expect(try first.erasureKeyring.epochs() == [ErasureEpoch(containing: start), ErasureEpoch(containing: nextDay)])
        try await second.close()
        try await first.close()
    }

    @Test("sealed keys stored bare before migration 0010 are wrapped when the schema is prepared, and still hand out")
    func bareKeysAreWrapped() async throws {
        let database = try await TestPostgres.database()
        let world = try await TestOrganization.make(in: database, at: start)
        // Rows from before migration 0010 were all format 1: the bare sealed key, no day.
        let (id, envelope) = try await dispatch(world, at: start, format: .v1)
        let sealedKey = envelope.sealedKeys[0].sealedKey
        try await database.withOwnerConnection { db in
            try db.execute("UPDATE assignment_recipients SET sealed_key = $2, erasure_epoch = NULL WHERE assignment_id = $1", [id, sealedKey])
        }
        try await database.prepareSchema(now: start + 60)
        let stored = try await storedSealedKey(id, in: database)
        #expect(stored.epoch == ErasureEpoch(containing: start))
        #expect(stored.bytes?.count == 128)
        let downloaded = try await world.store.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 120)
        #expect(try AssignmentEnvelope.parse(downloaded).sealedKeys.map(\.sealedKey) == [sealedKey])
        try await database.close()
    }

    @Test("a lost keyring is a clear failure: those envelopes answer erasure_key_missing, status names the days, new dispatches work")
    func lostKeyring() async throws {
        let configuration = try await TestPostgres.databaseConfiguration()
        let database = try await Database.open(configuration, logger: TestPostgres.logger)
        let world = try await TestOrganization.make(in: database, at: start)
        let (id, _) = try await dispatch(world, at: start)
        try await database.close()

        // The file is gone; the next start makes an empty one (and today's key anew).
        try FileManager.default.removeItem(atPath: configuration.erasureKeyringPath)
        let restarted = try await Database.open(configuration, logger: TestPostgres.logger)
        let store = AssignmentStore(database: restarted)
        let (fresh, _) = try await dispatch(world.on(restarted), at: start + 3600)
        await #expect(throws: EnvelopeError.erasureKeyMissing(epoch: "2026-11-18")) {
            _ = try await store.downloadEnvelope(id, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 7200)
        }
        _ = try await store.downloadEnvelope(fresh, forDevice: world.mentorDevice.fingerprint, by: world.mentor, at: start + 7200)
        let status = try await ErasureKeyringStatus.inspect(restarted)
        #expect(status.missing == [.init(epoch: ErasureEpoch(containing: start), sealedKeys: 1)], "the one lost, not the one sealed anew the same day")
        try await restarted.close()
    }
}
