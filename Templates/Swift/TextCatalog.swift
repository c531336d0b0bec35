import AssignmentCore
import Mustache

/// Every human-facing text of the program, in each ``Language``, read from `Templates/nb.texts` and
/// `Templates/en.texts`.
///
/// The files are compiled into the binary (SwiftPM `embedInCode`), not looked up at run time: an
/// installed `dispatch` has no source tree and no resource bundle next to it, and a text that
/// cannot be found must never turn into an empty notification or calendar event. Each text is a
/// Mustache template rendered as plain text (no HTML escaping); the values filled in are numbers
/// and dates the program chose, never user input.
public struct TextCatalog: Sendable {
    /// What is wrong with a texts file, by line.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        public var language: Language
        public var line: Int
        public var problem: String
        public var description: String { "\(language).texts line \(line): \(problem)" }
    }

    private let templates: [Language: [String: MustacheTemplate]]
    /// Each text as written, before rendering (``source(_:_:)``).
    private let sources: [Language: [String: String]]
    /// The web pages' texts of each language by name, made once (every page is rendered with them).
    let pageTextsByLanguage: [Language: [String: String]]
    /// Changes whenever any text changes (FNV-1a over the sources): part of the calendar feeds'
    /// ETag, so a new wording reaches calendars that already hold the feed.
    public let fingerprint: String

    /// The texts compiled into this program.
    public static let bundled: TextCatalog = {
        do {
            return try TextCatalog(sources: [
                .nb: String(decoding: PackageResources.nb_texts, as: UTF8.self),
                .en: String(decoding: PackageResources.en_texts, as: UTF8.self),
            ])
        } catch {
            // A test parses the bundled files; a build that cannot is not shipped.
            fatalError("Templates/*.texts cannot be read: \(error)")
        }
    }()

    /// Parses texts files given as strings, one per language.
    public init(sources: [Language: String]) throws {
        var templates: [Language: [String: MustacheTemplate]] = [:]
        var texts: [Language: [String: String]] = [:]
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for (language, source) in sources.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            let parsed = try Self.parse(source, language: language)
            templates[language] = parsed.mapValues(\.template)
            texts[language] = parsed.mapValues(\.text)
            for byte in (language.rawValue + "\u{0}" + source).utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        self.templates = templates
        self.sources = texts
        var pages: [Language: [String: String]] = [:]
        for language in Language.allCases {
            pages[language] = Dictionary(uniqueKeysWithValues: TextKey.pageTexts.map { ($0, Self.source(.page($0), language, in: texts)) })
        }
        self.pageTextsByLanguage = pages
        self.fingerprint = String(hash, radix: 16)
    }

    /// The keys one language defines.
    public func keys(of language: Language) -> Set<String> { Set(templates[language].map { Array($0.keys) } ?? []) }

    /// The text for `key` in `language`, with `values` filled in. A key missing from the language
    /// falls back to the other language, then to the key itself, so nothing is ever blank; the
    /// catalog test makes sure neither fallback is needed.
    public func text(_ key: TextKey, _ language: Language, values: [String: String] = [:]) -> String {
        let template = templates[language]?[key.rawValue] ?? Language.allCases.lazy.compactMap { templates[$0]?[key.rawValue] }.first
        guard let template else { return key.rawValue }
        return template.render(values)
    }

    /// The text for `key` in `language` as written, placeholders and all (the same fallbacks as
    /// ``text(_:_:values:)``).
    public func source(_ key: TextKey, _ language: Language) -> String {
        Self.source(key, language, in: sources)
    }

    private static func source(_ key: TextKey, _ language: Language, in sources: [Language: [String: String]]) -> String {
        sources[language]?[key.rawValue] ?? Language.allCases.lazy.compactMap { sources[$0]?[key.rawValue] }.first ?? key.rawValue
    }

    static func parse(_ source: String, language: Language) throws -> [String: (template: MustacheTemplate, text: String)] {
        var result: [String: (template: MustacheTemplate, text: String)] = [:]
        for (index, rawLine) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw FormatError(language: language, line: index + 1, problem: "expected `key = text`")
            }
            let key = line[..<equals].trimmingCharacters(in: " \t")
            let text = line[line.index(after: equals)...].trimmingCharacters(in: " \t")
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }) else {
                throw FormatError(language: language, line: index + 1, problem: "a key is letters, digits, dots and underscores")
            }
            guard !text.isEmpty else { throw FormatError(language: language, line: index + 1, problem: "\(key) has no text") }
            guard result[key] == nil else { throw FormatError(language: language, line: index + 1, problem: "\(key) is defined twice") }
            do {
                result[key] = (try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text), text)
            } catch {
                throw FormatError(language: language, line: index + 1, problem: "\(key) is not a valid Mustache template")
            }
        }
        return result
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
