import ArgumentParser

/// `dispatch notifications list|requeue`: the outbox, for organisation admins on the server.
struct NotificationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications",
        abstract: "See an organisation's notifications and send dead ones again.",
        discussion: "A notification that could not be delivered after every retry is dead (docs/notifications.md).",
        subcommands: [NotificationsListCommand.self, NotificationsRequeueCommand.self])
}
