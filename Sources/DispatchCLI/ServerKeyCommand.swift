import ArgumentParser

/// `dispatch server-key show|rotate`: the server's own key and its versions (docs/security.md).
struct ServerKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server-key",
        abstract: "Show the server key's versions, or rotate it (a new version for new audit extracts, feeds and webhook secrets).",
        subcommands: [ServerKeyShowCommand.self, ServerKeyRotateCommand.self]
    )
}
