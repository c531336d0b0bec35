import AssignmentCore
import Contract
import Envelope
import Foundation
import Storage

/// Device keys:
///
/// - `POST /v1/keys`: the signed-in user's device registers its public keys (201);
/// - `GET /v1/users/{user}/keys` (`?status=all` adds retired and revoked keys, to check old
///   signatures): anyone in the organisation fetches a user's keys, with fingerprints to compare
///   aloud (public keys are not secret; coordinators seal to them, peer mentors verify with them);
/// - `POST /v1/keys/{id}/retire` and `/revoke`: by the key's owner or an organisation admin.
extension APIHandler {
    func registerKey(_ input: Operations.RegisterKey.Input) async throws -> Operations.RegisterKey.Output {
        let user = try RequestScope.requireUser()
        guard case .json(let body) = input.body else { throw RequestError.malformedBody }
        let publicKeys = try DevicePublicKeys(
            encryptionKey: try Self.publicKey(body.encryptionPublicKey, member: "encryption_public_key"),
            signingKey: try Self.publicKey(body.signingPublicKey, member: "signing_public_key"),
            kemKey: try body.kemPublicKey.map { try Self.publicKey($0, member: "kem_public_key", byteCount: XWingKeyWrap.publicKeyByteCount) })
        var label: String?
        if let text = body.label {
            let clean = try FreeText.deviceLabel.validate(text)
            _ = try PersonalDataScreen().require(clean, isFreeOf: FreeText.deviceLabel.fieldName)
            label = clean.isEmpty ? nil : clean
        }
        let record = try await keys.register(publicKeys, label: label, for: user.context, at: now())
        return .created(.init(body: .json(.init(record))))
    }

    func userKeys(_ input: Operations.UserKeys.Input) async throws -> Operations.UserKeys.Output {
        let user = try RequestScope.requireUser()
        let reference = try Self.userReference(input.path.user, allowingMe: false, user: user)
        let owner = try await accounts.user(reference, in: user.organizationID)
        let all = input.query.status == .all
        let list = try await keys.keys(of: owner.id, as: user.context, includingInactive: all)
        return .ok(.init(body: .json(.init(userId: owner.id.description, handle: owner.handle, keys: list.map(Components.Schemas.DeviceKey.init)))))
    }

    func retireKey(_ input: Operations.RetireKey.Input) async throws -> Operations.RetireKey.Output {
        .ok(.init(body: .json(.init(try await change(input.path.id, .retire)))))
    }

    func revokeKey(_ input: Operations.RevokeKey.Input) async throws -> Operations.RevokeKey.Output {
        .ok(.init(body: .json(.init(try await change(input.path.id, .revoke)))))
    }

    private func change(_ id: String, _ change: DeviceKeyChange) async throws -> RegisteredDeviceKey {
        let user = try RequestScope.requireUser()
        return try await keys.change(DeviceKeyID(try Self.uuid(id, "id")), change, by: user.context, at: now())
    }

    /// A public key in base64: exactly `byteCount` bytes, or 422 `invalid_value`.
    static func publicKey(_ base64: String, member: String, byteCount: Int = 32) throws -> [UInt8] {
        guard let data = Data(base64Encoded: base64), data.count == byteCount else {
            throw RequestError.invalidValue(member: member, problem: "must be \(byteCount) bytes in base64")
        }
        return [UInt8](data)
    }
}
