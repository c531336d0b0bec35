import ArgumentParser
import AssignmentCore
import DeviceClient
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `dispatch send --to HANDLE --title TITLE [--payload FILE]`: seals and dispatches an assignment.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send an assignment to a peer mentor, sealed so that only their devices can open it.",
        discussion: """
            The case information (name, address, epikrise…) comes from a JSON file (--payload FILE, or \
            --payload - for standard input) or, on a terminal, from questions. It is sealed on this \
            device; the server only ever sees the title and the other metadata, which must not name the \
            person. Example file: {"contact_name": "Kari Nordmann", "address": "Storgata 1", "epikrise": "…"}
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var passphrase: PassphraseOptions
    @Option(help: "The peer mentor, by handle.") var to: String
    @Option(help: "A short title without personal data, such as 'Oppdrag 42'.") var title: String
    @Option(help: "A note for coordinators, without personal data.") var notes: String?
    @Option(help: "The case information as JSON (a file, or - for standard input).") var payload: String?
    @Option(help: "low, normal or high.") var priority: Priority?
    @Flag(help: "Mark the assignment as urgent.") var urgent = false
    @Flag(help: "The peer mentor must consent before the case information is handed out.") var requiresConsent = false
    @Option(help: "The region, such as 'Vest' (no address).") var region: String?
    @Option(help: "Make contact by this day or time (default: the organisation's reminder time).") var contactDeadline: String?
    @Option(help: "After this day or time the case information is destroyed.") var expiresAt: String?
    @Flag(help: "Print JSON instead of text.") var json = false

    static let payloadMembers: Set<String> = ["contact_name", "address", "phone", "epikrise", "special_needs", "instructions", "version"]

    func run() async throws {
        let environment = try CommandEnvironment(options: options)
        let draft = AssignmentDraft(
            recipient: to, title: title, coordinatorNotes: notes, priority: priority, isUrgent: urgent ? true : nil,
            requiresConsent: requiresConsent ? true : nil, geographicRegion: region,
            expiresAt: try expiresAt.map { try CommandLineDate.parse($0, option: "--expires-at") },
            contactDeadlineAt: try contactDeadline.map { try CommandLineDate.parse($0, option: "--contact-deadline") })
        let casePayload = try readPayload()
        let keys = try environment.unlockKeys(passphrase)
        let sent = try await environment.withDevice { try await $0.send(draft, payload: casePayload, from: keys) }
        try Output.print(sent, json: json) { sent in
            var lines = ["Sent. \(sent.assignment.title), to \(to). Status \(sent.assignment.status.rawValue). Id \(sent.assignment.id)."]
            for warning in sent.warnings {
                lines.append(
                    "Warning: the title or notes may contain a person's name, at characters \(warning.start) to \(warning.start + warning.length - 1). Titles and notes are not encrypted: change them if so.")
            }
            return lines.joined(separator: "\n")
        }
    }

    func readPayload() throws -> CasePayload {
        guard let payload else { return try askForPayload() }
        let data: Data
        if payload == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: payload) else { throw ValidationError("Cannot read the payload file \(payload).") }
            data = contents
        }
        guard data.count <= 300 * 1024, var object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ValidationError("The payload must be a JSON object such as {\"contact_name\": \"…\", \"address\": \"…\"}.")
        }
        let unknown = Set(object.keys).subtracting(Self.payloadMembers)
        guard unknown.isEmpty else {
            throw ValidationError("The payload has members this program does not know: \(unknown.sorted().joined(separator: ", ")). Known: \(Self.payloadMembers.sorted().joined(separator: ", ")).")
        }
        object["version"] = object["version"] ?? CasePayload.currentVersion
        guard let decoded = try? JSONDecoder().decode(CasePayload.self, from: JSONSerialization.data(withJSONObject: object)) else {
            throw ValidationError("The payload needs contact_name, and every member must be text.")
        }
        return decoded
    }

    /// Asks for each field on the terminal; an empty answer leaves an optional field out.
    func askForPayload() throws -> CasePayload {
        guard isatty(STDIN_FILENO) == 1 else {
            throw ValidationError("There is no terminal to ask for the case information. Give it with --payload FILE (or --payload - for standard input).")
        }
        func ask(_ question: String) -> String? {
            FileHandle.standardError.write(Data("\(question): ".utf8))
            let answer = Swift.readLine()?.trimmingCharacters(in: .whitespaces) ?? ""
            return answer.isEmpty ? nil : answer
        }
        guard let name = ask("The person's name") else { throw ValidationError("The person's name is needed.") }
        return CasePayload(
            contactName: name, address: ask("Address (optional)"), phone: ask("Phone (optional)"), epikrise: ask("Epikrise (optional)"),
            specialNeeds: ask("Special needs (optional)"), instructions: ask("Instructions for the peer mentor (optional)"))
    }
}

extension Priority: ExpressibleByArgument {}
