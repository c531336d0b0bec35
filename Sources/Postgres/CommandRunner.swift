import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the PostgreSQL server programs (initdb, pg_ctl) and waits for them.
///
/// Spawned with `posix_spawn` and reaped with `waitpid`, with every descriptor above standard
/// error closed in the child. Foundation's `Process` is not used: it notices a child's exit through
/// a socket the child inherits, and `pg_ctl start` leaves the server running with everything it
/// inherited, so that socket, and `waitUntilExit`, would never close.
///
/// When this process is root, the command runs as `serverUser` through `runuser`, because
/// PostgreSQL refuses to run as root.
struct CommandRunner: Sendable {
    struct Output: Sendable {
        var status: Int32
        var text: String
    }

    /// The unprivileged account to run as when we are root; `nil` when we are not root.
    let serverUser: String?

    /// Runs the program and waits for it. With `captureOutput`, standard output and error are
    /// collected through a temporary file; without, they go to /dev/null.
    func run(_ executable: String, _ arguments: [String], captureOutput: Bool = true) throws -> Output {
        let tool = URL(fileURLWithPath: executable).lastPathComponent
        let argv: [String] = if let serverUser {
            [Self.runuserPath, "-u", serverUser, "--", executable] + arguments
        } else {
            [executable] + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        // libpq variables of the caller must not redirect the server tools.
        for key in environment.keys where key.hasPrefix("PG") { environment.removeValue(forKey: key) }
        environment["LC_ALL"] = "C"

        let outputPath = captureOutput ? FileManager.default.temporaryDirectory.appendingPathComponent("dispatch-\(UUID().uuidString).out").path : "/dev/null"
        defer { if captureOutput { unlink(outputPath) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let closeFrom = Self.closeFrom { _ = closeFrom(&actions, 3) }

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArguments.forEach { free($0) }
            cEnvironment.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw ManagedClusterError.toolFailed(tool: tool, output: "could not be started: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else {
                throw ManagedClusterError.toolFailed(tool: tool, output: "could not be waited for: \(String(cString: strerror(errno)))")
            }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        let exitStatus: Int32 = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let text = captureOutput ? ((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "") : ""
        return Output(status: exitStatus, text: text)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), which Swift does not
    /// import. Without it, the child inherits only descriptors not marked close-on-exec.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    static let runuserPath = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    } ?? "/usr/sbin/runuser"
}
