import ArgumentParser
import AssignmentCore
import Foundation

/// `dispatch users add --org NAME --handle HANDLE --role ROLE [--local-association NAME]`
struct UsersAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a user with a role: peer_mentor, coordinator, org_admin or global_admin.",
        discussion: "The handle is a login name such as kari.n, not a person's full name.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var user: UserOptions
    @Option(help: "peer_mentor, coordinator, org_admin, global_admin or compliance_officer.") var role: Role
    @Option(help: "The local association the user belongs to, if any.") var localAssociation: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let record = try await environment.withAccounts { accounts in
            let organization = try await accounts.organization(user.organization.organization)
            return try await accounts.addUser(to: organization.id, handle: user.handle, role: role, localAssociation: localAssociation, at: Date())
        }
        try Output.print(record, json: json) { "User added.\n" + $0.plainText }
    }
}

extension Role: ExpressibleByArgument {}
