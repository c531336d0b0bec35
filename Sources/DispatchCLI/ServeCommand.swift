import ArgumentParser
import Server

/// `dispatch serve`: the HTTP service. SIGTERM or SIGINT stops it gracefully: it stops taking
/// requests, lets those in flight finish, closes the database and stops the embedded PostgreSQL
/// if it started it.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the HTTP service (applies pending migrations first).")

    @OptionGroup var options: GlobalOptions
    @Option(help: "The address to listen on (DISPATCH_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "The port to listen on (DISPATCH_PORT; default 8080).") var port: Int?

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let configuration = try environment.serverConfiguration(host: host, port: port)
        let application = try await buildApplication(configuration: configuration, logger: environment.logger)
        try await application.runService()
    }
}
