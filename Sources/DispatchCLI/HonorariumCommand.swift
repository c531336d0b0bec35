import ArgumentParser

/// `dispatch honorarium show|void`: honorarium counts, for organisation admins on the server.
struct HonorariumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "honorarium",
        abstract: "Show a peer mentor's honorarium count and history, or void a counted assignment.",
        discussion: "docs/honorarium.md explains the counting and the settings.",
        subcommands: [HonorariumShowCommand.self, HonorariumVoidCommand.self])
}
