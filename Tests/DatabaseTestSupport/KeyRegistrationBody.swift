import Envelope
import Foundation

/// The JSON body of `POST /v1/keys` for a device's public keys, as a device sends it: the X-Wing
/// key too when the device has one (its fingerprint covers it). `extra` is appended raw (`,"x":1`).
public func keyRegistrationBody(_ keys: DevicePublicKeys, label: String? = nil, extra: String = "") -> String {
    var members = [
        #""encryption_public_key":"\#(Data(keys.encryptionKey).base64EncodedString())""#,
        #""signing_public_key":"\#(Data(keys.signingKey).base64EncodedString())""#,
    ]
    if let kem = keys.kemKey { members.append(#""kem_public_key":"\#(Data(kem).base64EncodedString())""#) }
    if let label { members.append(#""label":"\#(label)""#) }
    return "{" + members.joined(separator: ",") + extra + "}"
}
