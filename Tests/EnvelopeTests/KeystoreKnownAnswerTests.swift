import AssignmentCore
import CSodium
import Envelope
import Foundation
import Testing

/// The keystore known-answer vector in `Vectors/keystore-v1.json`, made with PyNaCl from
/// `docs/envelope.md` and not with dispatch: fixed seeds, salt and nonce must give exactly the
/// committed file; the committed file must open by the specification with plain libsodium; the
/// passphrase typed in either Unicode form must unlock it; and the read-aloud digits must be the ones
/// another implementation computes from the same fingerprint.
@Suite("Keystore known-answer vector")
struct KeystoreKnownAnswerTests {
    struct Vector: Decodable {
        struct ReadAloudCase: Decodable {
            var fingerprint: String
            var read_aloud: [String]
        }
        var passphrase_nfc_utf8_hex: String
        var passphrase_nfd_utf8_hex: String
        var opslimit: UInt64
        var memlimit: UInt64
        var salt: String
        var nonce: String
        var encryption_seed: String
        var signing_seed: String
        var encryption_public_key: String
        var signing_public_key: String
        var key: String
        var keystore: String
        var fingerprint: String
        var read_aloud: [String]
        var read_aloud_cases: [ReadAloudCase]
    }

    let vector: Vector
    let folder: String

    init() throws {
        let url = try #require(Bundle.module.url(forResource: "keystore-v1", withExtension: "json", subdirectory: "Vectors"))
        vector = try JSONDecoder().decode(Vector.self, from: Data(contentsOf: url))
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keystore-kat-\(UUID().uuidString)").path
    }

    func bytes(_ hex: String) throws -> [UInt8] { try #require(Hex.decode(hex)) }

    func keys() throws -> DeviceKeyPair {
        try DeviceKeyPair(encryptionSeed: SecretBytes(copying: bytes(vector.encryption_seed)), signingSeed: SecretBytes(copying: bytes(vector.signing_seed)))
    }

    /// Writes the vector's bytes as a private file, the way a device would have it on disk.
    func committedKeystore() throws -> String {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let path = folder + "/committed.keystore"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(try bytes(vector.keystore)), attributes: [.posixPermissions: 0o600]))
        return path
    }

    @Test("creating with the vector's seeds, salt and nonce gives the vector's file, from either form of the passphrase")
    func creationIsReproducible() throws {
        let hardness = KeystoreHardness(operations: vector.opslimit, memoryBytes: vector.memlimit)
        for (name, passphrase) in [("nfc", vector.passphrase_nfc_utf8_hex), ("nfd", vector.passphrase_nfd_utf8_hex)] {
            let path = folder + "/\(name).keystore"
            let random = ReplayRandomSource(bytes: try bytes(vector.salt) + bytes(vector.nonce))
            try Keystore.create(at: path, keys: try keys(), passphrase: try SecretBytes(copying: bytes(passphrase)), hardness: hardness, random: random)
            let written = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(Hex.encode(written) == vector.keystore, "created from the \(name) passphrase")
            #expect(random.remaining == 0, "a keystore draws exactly a salt and a nonce")
        }
    }

    @Test("the committed file unlocks with the passphrase typed precomposed or decomposed")
    func unlocksWithEitherForm() throws {
        let path = try committedKeystore()
        for passphrase in [vector.passphrase_nfc_utf8_hex, vector.passphrase_nfd_utf8_hex] {
            let unlocked = try Keystore.unlock(at: path, passphrase: try SecretBytes(copying: bytes(passphrase)))
            #expect(Hex.encode(unlocked.publicKeys.encryptionKey) == vector.encryption_public_key)
            #expect(Hex.encode(unlocked.publicKeys.signingKey) == vector.signing_public_key)
            #expect(unlocked.fingerprint.hex == vector.fingerprint)
        }
        #expect(throws: EnvelopeError.wrongPassphrase) {
            try Keystore.unlock(at: path, passphrase: try SecretBytes(utf8: "correct horse battery staple"))
        }
    }

    @Test("the committed file opens by following docs/envelope.md with plain libsodium")
    func openByTheSpecification() throws {
        #expect(sodium_init() >= 0)
        let file = try bytes(vector.keystore)
        #expect(file.count == 206)
        #expect(Array(file[0..<4]) == Array("ADK1".utf8))
        #expect(file[4] == 1, "format version 1")
        #expect(file[5] == 1, "KDF 1 means Argon2id v1.3")
        let ops = file[6..<14].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let mem = file[14..<22].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(ops == vector.opslimit && mem == vector.memlimit)
        let salt = Array(file[22..<38])
        #expect(Hex.encode(Array(file[38..<70])) == vector.encryption_public_key)
        #expect(Hex.encode(Array(file[70..<102])) == vector.signing_public_key)
        let nonce = Array(file[102..<126])
        let header = Array(file[0..<126])
        let ciphertext = Array(file[126...])

        // The passphrase as the specification has it: UTF-8 in NFC.
        let passphrase = try bytes(vector.passphrase_nfc_utf8_hex).map { CChar(bitPattern: $0) }
        var key = [UInt8](repeating: 0, count: 32)
        #expect(crypto_pwhash(&key, 32, passphrase, UInt64(passphrase.count), salt, ops, Int(mem), crypto_pwhash_ALG_ARGON2ID13) == 0)
        #expect(Hex.encode(key) == vector.key)

        var seeds = [UInt8](repeating: 0, count: 64)
        var length: UInt64 = 0
        #expect(crypto_aead_xchacha20poly1305_ietf_decrypt(
            &seeds, &length, nil, ciphertext, UInt64(ciphertext.count), header, UInt64(header.count), nonce, key) == 0)
        #expect(length == 64)
        #expect(Hex.encode(Array(seeds[0..<32])) == vector.encryption_seed)
        #expect(Hex.encode(Array(seeds[32..<64])) == vector.signing_seed)

        // The header is bound: one changed bit in the public keys and nothing opens.
        var tampered = header
        tampered[40] ^= 1
        #expect(crypto_aead_xchacha20poly1305_ietf_decrypt(
            &seeds, &length, nil, ciphertext, UInt64(ciphertext.count), tampered, UInt64(tampered.count), nonce, key) != 0)
    }

    @Test("read-aloud digits match the vector's, computed independently")
    func readAloud() throws {
        #expect(try keys().fingerprint.readAloud == vector.read_aloud)
        for example in vector.read_aloud_cases {
            let fingerprint = try #require(KeyFingerprint(hex: example.fingerprint))
            #expect(fingerprint.readAloud == example.read_aloud, "fingerprint \(example.fingerprint)")
        }
    }

    @Test("a passphrase that is not UTF-8 is refused by name, not taken as a wrong guess")
    func notUTF8() throws {
        let path = try committedKeystore()
        let latin1 = try SecretBytes(copying: Array("correct horse battery st".utf8) + [0xe4] + Array("ple".utf8))
        #expect(throws: EnvelopeError.passphraseNotUTF8) { try Keystore.unlock(at: path, passphrase: latin1) }
        #expect(throws: EnvelopeError.passphraseNotUTF8) {
            try Keystore.create(at: folder + "/latin1.keystore", keys: try keys(), passphrase: latin1, hardness: .testingOnly)
        }
        #expect(!FileManager.default.fileExists(atPath: folder + "/latin1.keystore"))
    }
}
