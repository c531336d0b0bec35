import ArgumentParser
import Foundation
import Storage

/// `dispatch org webhook --org NAME [--url URL | --remove] [--rotate-secret]`
struct OrganizationWebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Send the organisation's notifications to a webhook, and show its signing secret.",
        discussion: """
            Without a webhook, notifications go to the server's log. The secret verifies the \
            Dispatch-Signature header of each delivery (docs/notifications.md); it is derived from the \
            server key, so it is shown again whenever this command runs. --rotate-secret makes a new one.
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var organization: OrganizationOption
    @Option(help: "The https:// address to post notifications to (http:// only to localhost).") var url: String?
    @Flag(help: "Stop using a webhook; notifications go to the server's log.") var remove = false
    @Flag(help: "Replace the signing secret; the old one stops verifying at once.") var rotateSecret = false
    @Flag(help: "Print JSON instead of text.") var json = false

    struct Report: Encodable {
        var organization: String
        var url: String?
        var secretVersion: Int
        var secret: String?

        enum CodingKeys: String, CodingKey {
            case organization, url, secret
            case secretVersion = "secret_version"
        }
    }

    func validate() throws {
        if remove && url != nil { throw ValidationError("Give either --url or --remove, not both.") }
    }

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let serverKey = try environment.serverKey()
        let report = try await environment.withAccounts { accounts in
            let current = try await accounts.organization(organization.organization)
            var setting = try await accounts.webhook(of: current.id)
            if url != nil || remove || rotateSecret {
                setting = try await accounts.setWebhook(of: current.id, url: remove ? nil : (url ?? setting.url), rotateSecret: rotateSecret, serverKeyVersion: serverKey.currentVersion, at: Date())
            }
            return Report(
                organization: current.name, url: setting.url, secretVersion: setting.secretVersion,
                secret: setting.url == nil
                    ? nil : try serverKey.webhookSecret(organization: current.id.uuid, version: setting.secretVersion, serverKeyVersion: setting.serverKeyVersion))
        }
        try Output.print(report, json: json) { report in
            guard let url = report.url else { return "\(report.organization) has no webhook. Notifications go to the server's log." }
            return """
                \(report.organization) sends notifications to \(url).
                Signing secret, version \(report.secretVersion): \(report.secret ?? "")
                Keep the secret private. The receiver checks the Dispatch-Signature header with it.
                """
        }
    }
}
