/// Norwegian national identity numbers (fødselsnummer, and the D- and H-number variants): eleven
/// digits, a date of birth and two mod-11 check digits.
///
/// Only the check digits are tested, not the date: a number that passes them is treated as an
/// identity number whatever it encodes, which errs on the side of blocking.
public enum NationalIdentityNumber {
    private static let firstWeights = [3, 7, 6, 1, 8, 9, 4, 5, 2]
    private static let secondWeights = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]

    /// Whether eleven digits carry valid check digits.
    public static func hasValidCheckDigits(_ digits: [Int]) -> Bool {
        guard digits.count == 11, digits.allSatisfy({ (0...9).contains($0) }) else { return false }
        guard let first = checkDigit(digits.prefix(9), weights: firstWeights), first == digits[9] else { return false }
        guard let second = checkDigit(digits.prefix(10), weights: secondWeights), second == digits[10] else { return false }
        return true
    }

    /// 11 − (weighted sum mod 11); 11 becomes 0 and 10 means no valid number has these digits.
    private static func checkDigit(_ digits: ArraySlice<Int>, weights: [Int]) -> Int? {
        let sum = zip(digits, weights).reduce(0) { $0 + $1.0 * $1.1 }
        let remainder = 11 - sum % 11
        switch remainder {
        case 11: return 0
        case 10: return nil
        default: return remainder
        }
    }
}
