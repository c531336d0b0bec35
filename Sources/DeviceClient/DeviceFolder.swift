import AssignmentCore
import Envelope
import Foundation

/// Who this device is signed in as, and where.
public struct DeviceSession: Sendable, Hashable, Codable {
    public var serverAddress: String
    /// The bearer token: kept only in this private file (mode 0600), never printed or logged.
    public var token: String
    public var user: UserInfo
    /// The fingerprint of this device's registered keys, once `keys register` has run.
    public var deviceFingerprint: String?

    enum CodingKeys: String, CodingKey {
        case token, user
        case serverAddress = "server_address"
        case deviceFingerprint = "device_fingerprint"
    }
}

/// A receipt made while the server could not be reached, sent on the next sync in the order made.
public struct QueuedReceipt: Sendable, Hashable, Codable {
    public var assignmentID: AssignmentID
    public var action: ReceiptAction
    public var madeAt: Date
    /// The device that decrypted the case (decryption receipts only).
    public var device: KeyFingerprint? = nil

    enum CodingKeys: String, CodingKey {
        case action, device
        case assignmentID = "assignment_id"
        case madeAt = "made_at"
    }
}

/// An erasure this device made, waiting to be signed (the keystore must be unlocked for that) and
/// sent as an erasure receipt (``ErasureReceipt``). Ids, a fingerprint, a time and a reason only.
public struct PendingErasure: Sendable, Hashable, Codable {
    public var assignmentID: AssignmentID
    public var device: KeyFingerprint
    /// Whole seconds: the time that is signed.
    public var erasedAt: Date
    public var reason: ErasureReason

    enum CodingKeys: String, CodingKey {
        case device, reason
        case assignmentID = "assignment_id"
        case erasedAt = "erased_at"
    }
}

/// The device's own folder (`DISPATCH_DEVICE_DIR`, by default beside the keystore): every file in
/// it is private (0600, in a 0700 folder) and written atomically.
///
/// - `session.json`: server, token, user, this device's fingerprint;
/// - `pins.json`: the keys this device has seen and trusts, per user (``KeyPins``);
/// - `cache/<id>.envelope`: envelopes exactly as downloaded, still encrypted (only the keystore and
///   its passphrase open them), with `cache/<id>.json`, the assignment's metadata, for offline use;
/// - `receipts.json`: receipts waiting for the network;
/// - `erasures.json`: erasures made here, waiting to be signed and sent as erasure receipts;
/// - `sent/<id>.envelope`: a coordinator's copy of what this device sent, sealed to itself like the
///   peer mentor's, kept while the assignment is open and for a while after a decline, so that it
///   can be reassigned (``Reassignment/keepsSenderCopy(status:payloadDestroyed:declinedAt:expiresAt:at:)``).
public struct DeviceFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    var sessionPath: String { path + "/session.json" }
    var pinsPath: String { path + "/pins.json" }
    var receiptsPath: String { path + "/receipts.json" }
    var cachePath: String { path + "/cache" }
    var erasuresPath: String { path + "/erasures.json" }
    var sentPath: String { path + "/sent" }

    // MARK: Session

    public func session() throws -> DeviceSession {
        guard let session = try read(DeviceSession.self, at: sessionPath, maximumBytes: 64 * 1024) else { throw DeviceClientError.notLoggedIn }
        return session
    }

    public func save(_ session: DeviceSession) throws { try write(session, to: sessionPath) }

    // MARK: Pins

    public func pins() throws -> KeyPins { try read(KeyPins.self, at: pinsPath, maximumBytes: 4 * 1024 * 1024) ?? KeyPins() }
    public func save(_ pins: KeyPins) throws { try write(pins, to: pinsPath) }

    // MARK: Receipts

    public func receipts() throws -> [QueuedReceipt] { try read([QueuedReceipt].self, at: receiptsPath, maximumBytes: 16 * 1024 * 1024) ?? [] }
    public func save(_ receipts: [QueuedReceipt]) throws { try write(receipts, to: receiptsPath) }

    // MARK: Erasures

    public func pendingErasures() throws -> [PendingErasure] {
        try read([PendingErasure].self, at: erasuresPath, maximumBytes: 16 * 1024 * 1024) ?? []
    }

    public func save(_ erasures: [PendingErasure]) throws { try write(erasures, to: erasuresPath) }

    // MARK: Sent copies

    public func sentEnvelope(_ id: AssignmentID) throws -> [UInt8]? {
        try envelope(at: sentPath + "/\(id).envelope")
    }

    public func keepSent(envelope: [UInt8], id: AssignmentID) throws {
        do {
            try PrivateFile.write(envelope, to: sentPath + "/\(id).envelope")
        } catch let error as PrivateFileError {
            throw DeviceClientError.storage(error.description)
        }
    }

    public func sentIDs() -> [AssignmentID] { ids(in: sentPath) }

    /// Overwrites and removes this device's copy of what it sent.
    public func wipeSent(_ id: AssignmentID) {
        PrivateFile.remove(at: sentPath + "/\(id).envelope")
    }

    // MARK: Cache

    public func cachedEnvelope(_ id: AssignmentID) throws -> [UInt8]? {
        try envelope(at: cachePath + "/\(id).envelope")
    }

    private func envelope(at path: String) throws -> [UInt8]? {
        do {
            return try PrivateFile.read(at: path, maximumBytes: AssignmentEnvelope.maximumSerializedSize)
        } catch PrivateFileError.missing {
            return nil
        } catch let error as PrivateFileError {
            throw DeviceClientError.storage(error.description)
        }
    }

    public func cachedInfo(_ id: AssignmentID) throws -> AssignmentInfo? {
        try read(AssignmentInfo.self, at: cachePath + "/\(id).json", maximumBytes: 64 * 1024)
    }

    public func cache(envelope: [UInt8], info: AssignmentInfo) throws {
        do {
            try PrivateFile.write(envelope, to: cachePath + "/\(info.id).envelope")
        } catch let error as PrivateFileError {
            throw DeviceClientError.storage(error.description)
        }
        try write(info, to: cachePath + "/\(info.id).json")
    }

    public func update(_ info: AssignmentInfo) throws {
        if FileManager.default.fileExists(atPath: cachePath + "/\(info.id).json") { try write(info, to: cachePath + "/\(info.id).json") }
    }

    /// The ids of every cached assignment.
    public func cachedIDs() -> [AssignmentID] { ids(in: cachePath) }

    private func ids(in folder: String) -> [AssignmentID] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { $0.hasSuffix(".envelope") }.compactMap { UUID(uuidString: String($0.dropLast(".envelope".count))).map(AssignmentID.init) }
            .sorted { $0.description < $1.description }
    }

    /// Overwrites and removes the assignment's envelope and metadata from this device.
    public func wipe(_ id: AssignmentID) {
        PrivateFile.remove(at: cachePath + "/\(id).envelope")
        PrivateFile.remove(at: cachePath + "/\(id).json")
    }

    // MARK: Files

    private func read<Value: Decodable>(_ type: Value.Type, at path: String, maximumBytes: Int) throws -> Value? {
        let bytes: [UInt8]
        do {
            bytes = try PrivateFile.read(at: path, maximumBytes: maximumBytes)
        } catch PrivateFileError.missing {
            return nil
        } catch let error as PrivateFileError {
            throw DeviceClientError.storage(error.description)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Value.self, from: Data(bytes))
        } catch {
            throw DeviceClientError.storage("\(path) is damaged; remove it and sign in again")
        }
    }

    private func write(_ value: some Encodable, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        do {
            try PrivateFile.write([UInt8](try encoder.encode(value)), to: path)
        } catch let error as PrivateFileError {
            throw DeviceClientError.storage(error.description)
        }
    }
}
