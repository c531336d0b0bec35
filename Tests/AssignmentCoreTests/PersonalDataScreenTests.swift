import AssignmentCore
import Testing

@Suite("Personal data screen")
struct PersonalDataScreenTests {
    let screen = PersonalDataScreen()

    func kinds(_ text: String) -> [PersonalDataFinding.Kind] { screen.screen(text).blocking.map(\.kind) }

    @Test("national identity numbers with valid check digits are blocked, in both common spellings")
    func nationalIdentityNumbers() {
        // Made-up numbers whose check digits were computed separately (mod 11, weights 3 7 6 1 8 9 4 5 2
        // and 5 4 3 2 7 6 5 4 3 2); 55… is a D-number (day + 40).
        #expect(NationalIdentityNumber.hasValidCheckDigits([1, 5, 0, 7, 6, 5, 0, 0, 4, 8, 4]))
        #expect(NationalIdentityNumber.hasValidCheckDigits([0, 1, 0, 1, 9, 0, 1, 2, 4, 8, 0]))
        #expect(!NationalIdentityNumber.hasValidCheckDigits([1, 5, 0, 7, 6, 5, 0, 0, 4, 8, 5]))
        #expect(!NationalIdentityNumber.hasValidCheckDigits([1, 5, 0, 7, 6, 5, 0, 0, 4, 8]))
        #expect(kinds("Gjelder 15076500484") == [.nationalIdentityNumber])
        #expect(kinds("Gjelder 150765 00565.") == [.nationalIdentityNumber])
        #expect(kinds("D-nummer 55076500559") == [.nationalIdentityNumber])
        // One digit off: the check digits fail, and eleven digits are no phone number either.
        #expect(kinds("Gjelder 15076500485").isEmpty)
    }

    @Test("Norwegian and international phone numbers are blocked")
    func phoneNumbers() {
        for text in ["Ring 41234567", "Ring 412 34 567", "Ring 41 23 45 67", "Ring 4123 4567", "Ring +47 412 34 567", "Ring 0047 41234567",
                     "Tlf: 22-12-34-56", "call +44 20 7946 0958", "Ring 47 41234567"] {
            #expect(kinds(text) == [.phoneNumber], "\(text)")
        }
    }

    @Test("e-mail addresses are blocked")
    func emailAddresses() {
        #expect(kinds("Skriv til kari.nordmann+x@eksempel.no.") == [.emailAddress])
        #expect(kinds("hei@") .isEmpty)
        #expect(kinds("a@b").isEmpty)
    }

    @Test("ordinary titles pass: references, dates, times, years, short numbers")
    func ordinaryTitles() {
        for text in ["Oppdrag #42", "Oppdrag 2026-0042", "Besøk 23.11.2026 kl 14:30", "Sak RK-12345678", "Uke 47", "Oppfølging 3 av 15",
                     "Assignment 123456789", "Follow-up 2026 11 23", "Ny likeperson i Oslo", "Kode A12345678"] {
            #expect(screen.screen(text).blocking.isEmpty, "\(text)")
        }
    }

    @Test("likely names only warn, and say where")
    func likelyNames() {
        let result = screen.screen("Besøk hos Kari Nordmann i Bergen")
        #expect(result.blocking.isEmpty)
        #expect(result.warnings == [PersonalDataFinding(kind: .likelyName, start: 11, length: 13)])
        #expect(screen.screen("Møte med Ola").warnings.map(\.kind) == [.likelyName])
        #expect(screen.screen("Oppdrag Oslo").warnings.isEmpty, "a single capitalised word is not flagged")
        #expect(screen.screen("Oppfølging Mandag").warnings.isEmpty, "ordinary words are not names")
    }

    @Test("findings give positions, not text")
    func positions() {
        let result = screen.screen("Ring 412 34 567 eller ola@example.no")
        #expect(result.blocking == [
            PersonalDataFinding(kind: .phoneNumber, start: 6, length: 10),
            PersonalDataFinding(kind: .emailAddress, start: 23, length: 14),
        ])
    }
}
