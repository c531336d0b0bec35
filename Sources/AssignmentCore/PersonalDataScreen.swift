/// What the screen found, and where: the kind and the character positions, never the text itself,
/// so a finding can be shown or logged without repeating the personal data it found.
public struct PersonalDataFinding: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case nationalIdentityNumber = "national_identity_number"
        case phoneNumber = "phone_number"
        case emailAddress = "email_address"
        case likelyName = "likely_name"

        var phrase: String {
            switch self {
            case .nationalIdentityNumber: "a national identity number"
            case .phoneNumber: "a phone number"
            case .emailAddress: "an e-mail address"
            case .likelyName: "what looks like a person's name"
            }
        }
    }

    public var kind: Kind
    /// 1-based position of the first character, as a person counts.
    public var start: Int
    public var length: Int

    public init(kind: Kind, start: Int, length: Int) {
        self.kind = kind
        self.start = start
        self.length = length
    }

    /// "a phone number at characters 10 to 20; an e-mail address at characters 25 to 40"
    static func describe(_ findings: [PersonalDataFinding]) -> String {
        findings.map { "\($0.kind.phrase) at characters \($0.start) to \($0.start + $0.length - 1)" }
            .joined(separator: "; ")
    }
}

/// The outcome of screening one text: findings that block it, and findings that only warn.
public struct PersonalDataScreenResult: Sendable, Hashable {
    /// National identity numbers, phone numbers and e-mail addresses: the text is refused.
    public var blocking: [PersonalDataFinding]
    /// Likely names: the text is accepted, and the person who wrote it is asked to look again.
    public var warnings: [PersonalDataFinding]

    public var isClean: Bool { blocking.isEmpty && warnings.isEmpty }
}

/// Screens the plaintext fields of an assignment (title, coordinator notes, cancellation reason)
/// for personal data, which belongs in the encrypted payload only.
///
/// It blocks what can be recognised with confidence (Norwegian national identity numbers with valid
/// check digits, Norwegian and international phone numbers, e-mail addresses) and warns on likely
/// names (two or more capitalised words in a row, or a capitalised word after "hos", "fru",
/// "herr"…). It is a safety net for honest mistakes, not a guarantee; the API and the client both
/// label these fields as non-sensitive.
public struct PersonalDataScreen: Sendable {
    /// Capitalised words that commonly start titles and are not names.
    public var ordinaryCapitalisedWords: Set<String>

    public init(ordinaryCapitalisedWords: Set<String> = PersonalDataScreen.defaultOrdinaryWords) {
        self.ordinaryCapitalisedWords = ordinaryCapitalisedWords
    }

    public static let defaultOrdinaryWords: Set<String> = [
        "Oppdrag", "Assignment", "Besøk", "Visit", "Samtale", "Oppfølging", "Follow", "Ny", "New", "Nytt",
        "Haster", "Urgent", "Likeperson", "Peer", "Mentor", "Blindeforbundet", "Lokallag", "Sak", "Case",
        "Mandag", "Tirsdag", "Onsdag", "Torsdag", "Fredag", "Lørdag", "Søndag",
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
        "Januar", "Februar", "Mars", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
        "November", "Desember", "January", "February", "March", "May", "June", "July", "October", "December",
        "Uke", "Week", "Team", "Region", "Vest", "Øst", "Nord", "Sør", "Midt",
    ]

    /// Words after which a capitalised word is probably a name.
    static let nameIntroducers: Set<String> = ["hos", "fru", "frk", "herr", "mr", "mrs", "ms", "dr", "til", "med"]

    public func screen(_ text: String) -> PersonalDataScreenResult {
        let characters = Array(text)
        var blocking = emailAddresses(in: characters)
        blocking += numbers(in: characters)
        blocking.sort { $0.start < $1.start }
        return PersonalDataScreenResult(blocking: blocking, warnings: likelyNames(in: characters))
    }

    /// Screens a field and turns blocking findings into ``DomainError/personalDataInText(field:findings:)``.
    /// Returns the warnings, which the caller passes on to the person.
    public func require(_ text: String, isFreeOf field: String) throws -> [PersonalDataFinding] {
        let result = screen(text)
        if !result.blocking.isEmpty {
            throw DomainError.personalDataInText(field: field, findings: result.blocking)
        }
        return result.warnings
    }

    // MARK: - E-mail addresses

    private func emailAddresses(in characters: [Character]) -> [PersonalDataFinding] {
        var findings: [PersonalDataFinding] = []
        for (index, character) in characters.enumerated() where character == "@" {
            var start = index
            while start > 0, Self.isLocalPartCharacter(characters[start - 1]) { start -= 1 }
            var end = index + 1
            while end < characters.count, Self.isDomainCharacter(characters[end]) { end += 1 }
            while end > index + 1, characters[end - 1] == "." { end -= 1 }
            let domain = characters[(index + 1)..<end]
            guard start < index, let dot = domain.lastIndex(of: "."), dot > index + 1, end - dot > 2 else { continue }
            findings.append(PersonalDataFinding(kind: .emailAddress, start: start + 1, length: end - start))
        }
        return findings
    }

    private static func isLocalPartCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || "._%+-".contains(character)
    }

    private static func isDomainCharacter(_ character: Character) -> Bool {
        character.isLetter || character.isNumber || character == "." || character == "-"
    }

    // MARK: - Numbers

    /// A run of digit groups separated by single spaces, dots or hyphens, as people write phone
    /// numbers and identity numbers ("12 34 56 78", "010190 12345").
    private struct DigitChain {
        var start: Int
        var end: Int
        var groups: [[Int]]
        /// The character between each pair of groups.
        var separators: [Character]
        var hasPlusPrefix: Bool
        var digits: [Int] { groups.flatMap { $0 } }
        var groupLengths: [Int] { groups.map(\.count) }
    }

    private func numbers(in characters: [Character]) -> [PersonalDataFinding] {
        digitChains(in: characters).compactMap { chain in
            let finding = { (kind: PersonalDataFinding.Kind) in
                PersonalDataFinding(kind: kind, start: chain.start + 1, length: chain.end - chain.start)
            }
            let digits = chain.digits
            let lengths = chain.groupLengths
            if digits.count == 11, lengths == [11] || lengths == [6, 5],
                NationalIdentityNumber.hasValidCheckDigits(digits)
            {
                return finding(.nationalIdentityNumber)
            }
            if chain.hasPlusPrefix, (8...15).contains(digits.count) { return finding(.phoneNumber) }
            // "2026-0042" is a case reference; a phone number split in two halves is written with a space.
            let isHyphenatedHalves = lengths == [4, 4] && chain.separators != [" "] && chain.separators != ["\u{00A0}"]
            if !isHyphenatedHalves, Self.isNorwegianPhoneNumber(digits: digits, groupLengths: lengths) { return finding(.phoneNumber) }
            return nil
        }
    }

    private static let phoneGroupings: Set<[Int]> = [[8], [4, 4], [2, 2, 2, 2], [3, 2, 3], [3, 3, 2], [2, 3, 3]]

    private static func isNorwegianPhoneNumber(digits: [Int], groupLengths: [Int]) -> Bool {
        // "0047 12345678" and "47 12 34 56 78": a country code in front of a Norwegian number.
        if groupLengths.first == 4, digits.prefix(4) == [0, 0, 4, 7] {
            return isNorwegianPhoneNumber(digits: Array(digits.dropFirst(4)), groupLengths: Array(groupLengths.dropFirst()))
        }
        if groupLengths.first == 2, digits.prefix(2) == [4, 7], digits.count == 10 {
            return isNorwegianPhoneNumber(digits: Array(digits.dropFirst(2)), groupLengths: Array(groupLengths.dropFirst()))
        }
        guard digits.count == 8, let first = digits.first, first >= 2 else { return false }
        return phoneGroupings.contains(groupLengths)
    }

    private func digitChains(in characters: [Character]) -> [DigitChain] {
        var chains: [DigitChain] = []
        var index = 0
        while index < characters.count {
            guard let _ = characters[index].wholeNumberValue, characters[index].isASCII else {
                index += 1
                continue
            }
            // A digit glued to letters ("A12345678") is a reference code, not a number a person has.
            let start = index
            var groups: [[Int]] = []
            var separators: [Character] = []
            var current: [Int] = []
            while index < characters.count {
                let character = characters[index]
                if character.isASCII, let digit = character.wholeNumberValue {
                    current.append(digit)
                    index += 1
                } else if " .-\u{00A0}".contains(character), index + 1 < characters.count,
                    characters[index + 1].isASCII, characters[index + 1].wholeNumberValue != nil, !current.isEmpty
                {
                    groups.append(current)
                    separators.append(character)
                    current = []
                    index += 1
                } else {
                    break
                }
            }
            groups.append(current)
            let hasPlus = start > 0 && characters[start - 1] == "+"
            let gluedBefore = start > 0 && characters[start - 1].isLetter
            let gluedAfter = index < characters.count && characters[index].isLetter
            if !gluedBefore && !gluedAfter {
                chains.append(DigitChain(start: hasPlus ? start - 1 : start, end: index, groups: groups, separators: separators, hasPlusPrefix: hasPlus))
            }
        }
        return chains
    }

    // MARK: - Likely names

    private func likelyNames(in characters: [Character]) -> [PersonalDataFinding] {
        let words = Self.words(in: characters)
        var findings: [PersonalDataFinding] = []
        var index = 0
        while index < words.count {
            let word = words[index]
            guard isCapitalisedName(word.text) else {
                index += 1
                continue
            }
            var last = index
            while last + 1 < words.count, isCapitalisedName(words[last + 1].text), words[last + 1].follows(words[last], in: characters) {
                last += 1
            }
            let introduced = index > 0 && Self.nameIntroducers.contains(words[index - 1].text.lowercased())
            if last > index || introduced {
                let end = words[last].end
                findings.append(PersonalDataFinding(kind: .likelyName, start: word.start + 1, length: end - word.start))
            }
            index = last + 1
        }
        return findings
    }

    private func isCapitalisedName(_ word: String) -> Bool {
        guard let first = word.first, first.isUppercase, word.count >= 2 else { return false }
        guard word.dropFirst().allSatisfy({ $0.isLowercase || $0 == "-" || $0 == "'" }) else { return false }
        return !ordinaryCapitalisedWords.contains(word)
    }

    private struct Word {
        var text: String
        var start: Int
        var end: Int
        /// Directly after `previous`, separated by white space only (no comma, full stop…).
        func follows(_ previous: Word, in characters: [Character]) -> Bool {
            characters[previous.end..<start].allSatisfy(\.isWhitespace)
        }
    }

    private static func words(in characters: [Character]) -> [Word] {
        var words: [Word] = []
        var index = 0
        while index < characters.count {
            guard characters[index].isLetter else {
                index += 1
                continue
            }
            let start = index
            while index < characters.count, characters[index].isLetter || characters[index] == "-" || characters[index] == "'" {
                index += 1
            }
            words.append(Word(text: String(characters[start..<index]), start: start, end: index))
        }
        return words
    }
}
