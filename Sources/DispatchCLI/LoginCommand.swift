import ArgumentParser
import DeviceClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `dispatch login --server URL`: signs this device in with a token from the organisation admin.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Sign this device in to the server with the token your administrator gave you.",
        discussion: """
            The token is asked for without showing it (or read from --token-file or standard input), \
            checked with the server, and kept in this device's private folder (DISPATCH_DEVICE_DIR).
            """)

    @OptionGroup var options: GlobalOptions
    @Option(help: "The server's address, such as https://dispatch.example.org or http://127.0.0.1:8080.") var server: String
    @Option(help: "Read the token from the first line of this file.") var tokenFile: String?
    @Flag(help: "Read the token from the first line of standard input.") var tokenStdin = false
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        var server: String
        var handle: String
        var role: String
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let token = try readToken()
        let session = try await environment.withDevice { try await $0.login(server: server, token: token) }
        try Output.print(Report(server: session.serverAddress, handle: session.user.handle, role: session.user.role.rawValue), json: json) { report in
            "Signed in to \(report.server) as \(report.handle), \(report.role.replacingOccurrences(of: "_", with: " "))."
        }
    }

    func readToken() throws -> String {
        if tokenFile != nil, tokenStdin { throw ValidationError("Give either --token-file or --token-stdin, not both.") }
        let text: String?
        if let tokenFile {
            guard let contents = try? String(contentsOfFile: tokenFile, encoding: .utf8) else { throw ValidationError("Cannot read the token file \(tokenFile).") }
            text = contents.split(whereSeparator: \.isNewline).first.map(String.init)
        } else if tokenStdin || isatty(STDIN_FILENO) == 0 {
            text = Swift.readLine()
        } else {
            text = getpass("Token: ").map { String(cString: $0) }
        }
        guard let token = text?.trimmingCharacters(in: .whitespaces), !token.isEmpty else { throw ValidationError("No token was given.") }
        return token
    }
}
