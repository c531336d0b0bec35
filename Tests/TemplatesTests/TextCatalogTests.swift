import AssignmentCore
import Testing

@testable import Templates

@Suite("Texts of Templates/")
struct TextCatalogTests {
    @Test("each language defines exactly the texts the program asks for")
    func completeness() {
        let wanted = Set(TextKey.all.map(\.rawValue))
        for language in Language.allCases {
            let defined = TextCatalog.bundled.keys(of: language)
            #expect(wanted.subtracting(defined).isEmpty, "missing in \(language): \(wanted.subtracting(defined).sorted())")
            #expect(defined.subtracting(wanted).isEmpty, "unused in \(language): \(defined.subtracting(wanted).sorted())")
        }
    }

    @Test("no text is blank, a key or personal data, and the two languages differ")
    func content() {
        for key in TextKey.all {
            let norwegian = TextCatalog.bundled.text(key, .nb, values: ["tier": "3"])
            let english = TextCatalog.bundled.text(key, .en, values: ["tier": "3"])
            for text in [norwegian, english] {
                #expect(!text.isEmpty && text != key.rawValue, "\(key)")
                #expect(!text.contains("{{"), "\(key) left a tag unfilled")
                #expect(PersonalDataScreen().screen(text).blocking.isEmpty, "\(key): \(text)")
            }
            if key.rawValue.hasPrefix("notification.") || key.rawValue.hasPrefix("feed.") {
                #expect(norwegian != english, "\(key) is not translated")
            }
        }
        #expect(TextCatalog.bundled.text(.notification(.assignmentDispatched), .nb) == "Du har fått et nytt oppdrag. Åpne appen for å lese det.")
        #expect(TextCatalog.bundled.text(.honorariumColumn("pay_code"), .nb) == "lønnsart")
    }

    @Test("values are filled in as plain text, not HTML-escaped")
    func plainText() throws {
        let catalog = try TextCatalog(sources: [.en: "a = x {{v}} y"])
        #expect(catalog.text(TextKey(rawValue: "a"), .en, values: ["v": "<&>"]) == "x <&> y")
    }

    @Test("the fingerprint changes with any text and only then")
    func fingerprint() throws {
        let one = try TextCatalog(sources: [.nb: "a = hei", .en: "a = hi"])
        #expect(try TextCatalog(sources: [.en: "a = hi", .nb: "a = hei"]).fingerprint == one.fingerprint)
        #expect(try TextCatalog(sources: [.nb: "a = hei!", .en: "a = hi"]).fingerprint != one.fingerprint)
        #expect(try TextCatalog(sources: [.nb: "a = hi", .en: "a = hei"]).fingerprint != one.fingerprint)
    }

    @Test("a broken texts file is refused with its line number")
    func formatErrors() {
        let broken = [
            "# comment\nno equals sign here": 2,
            "a = one\na = two": 2,
            "a b = spaces in the key": 1,
            "\n\nempty =   ": 3,
            "a = {{#open section": 1,
        ]
        for (source, line) in broken {
            #expect {
                try TextCatalog(sources: [.nb: source])
            } throws: { error in
                (error as? TextCatalog.FormatError)?.line == line
            }
        }
    }

    @Test("a text missing from one language falls back to the other, then to its key")
    func fallback() throws {
        let catalog = try TextCatalog(sources: [.nb: "only.nb = hei", .en: ""])
        #expect(catalog.text(TextKey(rawValue: "only.nb"), .en) == "hei")
        #expect(catalog.text(TextKey(rawValue: "nowhere"), .en) == "nowhere")
    }
}
