import ArgumentParser

/// `dispatch honorarium show|void|rates`: honorarium counts and rates, for organisation admins on the server.
struct HonorariumCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "honorarium",
        abstract: "Show a peer mentor's honorarium count and history, void a counted assignment, or list the rates.",
        discussion: "docs/honorarium.md explains the counting and the settings.",
        subcommands: [HonorariumShowCommand.self, HonorariumVoidCommand.self, HonorariumRatesCommand.self])
}
