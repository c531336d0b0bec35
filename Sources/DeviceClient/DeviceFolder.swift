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

/// The device's own folder (`DISPATCH_DEVICE_DIR`, by default beside the keystore): every file in
/// it is private (0600, in a 0700 folder) and written atomically.
///
/// - `session.json`: server, token, user, this device's fingerprint;
/// - `pins.json`: the keys this device has seen and trusts, per user (``KeyPins``);
/// - `cache/<id>.envelope`: envelopes exactly as downloaded, still encrypted (only the keystore and
///   its passphrase open them), with `cache/<id>.json`, the assignment's metadata, for offline use;
/// - `receipts.json`: receipts waiting for the network.
public struct DeviceFolder: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    var sessionPath: String { path + "/session.json" }
    var pinsPath: String { path + "/pins.json" }
    var receiptsPath: String { path + "/receipts.json" }
    var cachePath: String { path + "/cache" }

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

    // MARK: Cache

    public func cachedEnvelope(_ id: AssignmentID) throws -> [UInt8]? {
        do {
            return try PrivateFile.read(at: cachePath + "/\(id).envelope", maximumBytes: AssignmentEnvelope.maximumSerializedSize)
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
    public func cachedIDs() -> [AssignmentID] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: cachePath)) ?? []
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
