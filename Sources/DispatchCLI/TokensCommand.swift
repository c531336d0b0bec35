import ArgumentParser

/// `dispatch tokens issue|revoke`: bearer tokens for the API.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Issue and revoke a user's API tokens.",
        subcommands: [TokensIssueCommand.self, TokensRevokeCommand.self]
    )
}
