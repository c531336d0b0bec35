import AssignmentCore
import Foundation

/// Everything the device side can refuse or fail with, each with a message a person can act on.
/// Messages never contain a payload, a token or a key; fingerprints are public.
public enum DeviceClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No `dispatch login` on this device yet.
    case notLoggedIn
    /// The server address is not an http(s) URL.
    case invalidServerAddress(String)
    /// The server could not be reached (offline): what can be queued is queued.
    case unreachable
    /// The server answered with a problem document.
    case server(status: Int, code: String, detail: String)
    /// The server answered something this client does not understand.
    case unexpectedAnswer(status: Int)
    /// A user's keys differ from what this device pinned: someone must verify the new key aloud.
    case keyChanged(handle: String, unverified: [String])
    /// The fingerprint given to `keys verify` is not one of the user's current keys.
    case fingerprintNotFound(handle: String)
    /// The user has no active device key to seal to.
    case recipientHasNoKey(handle: String)
    /// This device's keys are not registered (run `dispatch keys register`).
    case deviceNotRegistered
    /// The envelope is not in this device's cache and the server cannot be reached.
    case notCached(AssignmentID)
    /// The case information is not acceptable (empty name, too large, unknown version).
    case payloadInvalid(String)
    /// A file on this device could not be used.
    case storage(String)
    /// This device holds no copy of what it sent for this assignment (`dispatch reassign`).
    case noSenderCopy(AssignmentID)

    public var code: String {
        switch self {
        case .notLoggedIn: "not_logged_in"
        case .invalidServerAddress: "invalid_server_address"
        case .unreachable: "unreachable"
        case .server(_, let code, _): code
        case .unexpectedAnswer: "unexpected_answer"
        case .keyChanged: "key_changed"
        case .fingerprintNotFound: "fingerprint_not_found"
        case .recipientHasNoKey: "recipient_has_no_key"
        case .deviceNotRegistered: "device_not_registered"
        case .notCached: "not_cached"
        case .payloadInvalid: "payload_invalid"
        case .storage: "device_storage"
        case .noSenderCopy: "no_sender_copy"
        }
    }

    public var description: String {
        switch self {
        case .notLoggedIn:
            "This device is not signed in. Run: dispatch login --server ADDRESS (with the token from your administrator)."
        case .invalidServerAddress(let address):
            "'\(address)' is not a server address. Give it as http://host:port or https://host."
        case .unreachable:
            "The server cannot be reached. Check the network; receipts are kept and sent on the next sync."
        case .server(_, _, let detail):
            detail
        case .unexpectedAnswer(let status):
            "The server gave an answer this program does not understand (status \(status))."
        case .keyChanged(let handle, let unverified):
            """
            The keys of \(handle) have changed since this device last saw them. Nothing was sent. \
            Call \(handle) and compare the new key's fingerprint, read aloud: \(unverified.joined(separator: "; ")). \
            If it matches, run: dispatch keys verify --user \(handle) --fingerprint DIGITS
            """
        case .fingerprintNotFound(let handle):
            "That fingerprint is not one of \(handle)'s current keys. Nothing was pinned."
        case .recipientHasNoKey(let handle):
            "\(handle) has no registered device key yet, so nothing can be sealed to them. Ask them to run: dispatch keys register"
        case .deviceNotRegistered:
            "This device's keys are not registered with the server. Run: dispatch keys register"
        case .notCached(let id):
            "Assignment \(id) is not stored on this device and the server cannot be reached."
        case .payloadInvalid(let reason):
            "The case information cannot be sent: \(reason)."
        case .storage(let reason):
            "This device's files cannot be used: \(reason)."
        case .noSenderCopy(let id):
            """
            This device holds no copy of assignment \(id): it was sent from another device, or its copy was removed \
            (an assignment closed, or declined more than \(Reassignment.declinedWindowDays) days ago). Nothing was sent. \
            Send the case again with: dispatch send
            """
        }
    }
}
