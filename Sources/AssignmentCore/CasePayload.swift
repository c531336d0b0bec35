/// The sensitive case information a coordinator sends: what goes inside the envelope and nowhere
/// else. The server never sees it decrypted; it exists as plaintext only on the two devices.
///
/// Encoded as JSON with sorted keys (``CasePayload/version`` first in meaning: readers refuse
/// versions they do not know). Documented in `docs/envelope.md`.
public struct CasePayload: Sendable, Hashable, Codable {
    public static let currentVersion = 1

    public var version: Int
    public var contactName: String
    public var address: String?
    public var phone: String?
    public var epikrise: String?
    public var specialNeeds: String?
    public var instructions: String?

    public init(
        contactName: String, address: String? = nil, phone: String? = nil, epikrise: String? = nil,
        specialNeeds: String? = nil, instructions: String? = nil
    ) {
        self.version = Self.currentVersion
        self.contactName = contactName
        self.address = address
        self.phone = phone
        self.epikrise = epikrise
        self.specialNeeds = specialNeeds
        self.instructions = instructions
    }

    enum CodingKeys: String, CodingKey {
        case version
        case contactName = "contact_name"
        case address, phone, epikrise
        case specialNeeds = "special_needs"
        case instructions
    }
}
