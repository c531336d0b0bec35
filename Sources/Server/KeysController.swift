import AssignmentCore
import Envelope
import Foundation
import Hummingbird
import Storage

/// Device keys over HTTP:
///
/// - `POST /v1/keys`: the signed-in user's device registers its public keys (201);
/// - `GET /v1/users/{id or handle}/keys` (`?status=all` adds retired and revoked keys, to check old
///   signatures): anyone in the organisation fetches a user's active keys, with
///   fingerprints to compare aloud (public keys are not secret; coordinators seal to them, peer
///   mentors verify coordinators' signatures with them);
/// - `POST /v1/keys/{id}/retire` and `/revoke`: by the key's owner or an organisation admin.
struct KeysController {
    let keys: DeviceKeyStore
    let accounts: AccountStore
    let now: @Sendable () -> Date

    struct Registration: StrictRequestBody {
        static let members: Set<String> = ["encryption_public_key", "signing_public_key", "label"]
        var encryptionPublicKey: String
        var signingPublicKey: String
        var label: String?

        enum CodingKeys: String, CodingKey {
            case encryptionPublicKey = "encryption_public_key"
            case signingPublicKey = "signing_public_key"
            case label
        }
    }

    struct KeyList: ResponseEncodable {
        var userID: UserID
        var handle: String
        var keys: [RegisteredDeviceKey]

        enum CodingKeys: String, CodingKey {
            case handle, keys
            case userID = "user_id"
        }
    }

    func addRoutes(to group: RouterGroup<DispatchRequestContext>) {
        group.post("/keys") { request, context -> EditedResponse<RegisteredDeviceKey> in
            let user = try context.requireUser()
            let body = try await request.decodeStrictly(as: Registration.self, context: context)
            let publicKeys = try DevicePublicKeys(
                encryptionKey: try Self.key(body.encryptionPublicKey, member: "encryption_public_key"),
                signingKey: try Self.key(body.signingPublicKey, member: "signing_public_key"))
            var label: String?
            if let text = body.label {
                let clean = try FreeText.deviceLabel.validate(text)
                _ = try PersonalDataScreen().require(clean, isFreeOf: FreeText.deviceLabel.fieldName)
                label = clean.isEmpty ? nil : clean
            }
            let record = try await keys.register(publicKeys, label: label, for: user.context, at: now())
            return EditedResponse(status: .created, response: record)
        }
        group.get("/users/{user}/keys") { request, context -> KeyList in
            let user = try context.requireUser()
            let reference = context.parameters.get("user") ?? ""
            let includeInactive: Bool
            switch request.uri.queryParameters.get("status") {
            case nil, "active": includeInactive = false
            case "all": includeInactive = true
            default: throw RequestError.invalidValue(member: "status", problem: "must be active or all")
            }
            let owner: UserRecord
            if let id = UUID(uuidString: reference) {
                owner = try await accounts.user(id.uuidString.lowercased(), in: user.organizationID)
            } else {
                guard AccountStore.isValidHandle(reference) else { throw RequestError.invalidIdentifier("user") }
                owner = try await accounts.user(reference, in: user.organizationID)
            }
            return KeyList(userID: owner.id, handle: owner.handle, keys: try await keys.keys(of: owner.id, as: user.context, includingInactive: includeInactive))
        }
        for change in [DeviceKeyChange.retire, .revoke] {
            group.post("/keys/{id}/\(change.rawValue)") { _, context -> RegisteredDeviceKey in
                let user = try context.requireUser()
                let key = DeviceKeyID(try context.parameters.requireID("id"))
                return try await keys.change(key, change, by: user.context, at: now())
            }
        }
    }

    /// A public key in base64: exactly 32 bytes, or 422 `invalid_value`.
    static func key(_ base64: String, member: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: base64), data.count == 32 else {
            throw RequestError.invalidValue(member: member, problem: "must be 32 bytes in base64")
        }
        return [UInt8](data)
    }
}

extension RegisteredDeviceKey: ResponseEncodable {}
