import Foundation

/// An amount in integer minor units of a currency ("Credits" is a currency too). Never a Double.
public struct Money: Equatable, Hashable, Codable, Sendable, Comparable {
    public var minorUnits: Int64
    public var currency: CurrencyCode

    public init(minorUnits: Int64, currency: CurrencyCode) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func < (lhs: Money, rhs: Money) -> Bool {
        precondition(lhs.currency == rhs.currency, "comparing amounts in different currencies")
        return lhs.minorUnits < rhs.minorUnits
    }

    /// Parses "9.99", "10", "-0.5" into minor units with the currency's number of decimals.
    /// Refuses more decimals than the currency has instead of rounding silently.
    public static func parse(_ text: String, currency: CurrencyCode) -> Money? {
        var s = text.trimmingCharacters(in: .whitespaces)
        guard !s.isEmpty else { return nil }
        var negative = false
        if s.hasPrefix("-") { negative = true; s.removeFirst() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = Int64(parts[0].isEmpty ? "0" : String(parts[0])),
              parts[0].allSatisfy(\.isASCII) else { return nil }
        let digits = currency.minorDigits
        var fraction: Int64 = 0
        if parts.count == 2 {
            let f = parts[1]
            guard f.count <= digits, f.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            fraction = Int64(f.padding(toLength: digits, withPad: "0", startingAt: 0)) ?? 0
        }
        let scale = Int64(pow10(digits))
        let (m, o1) = whole.multipliedReportingOverflow(by: scale)
        let (v, o2) = m.addingReportingOverflow(fraction)
        guard !o1, !o2 else { return nil }
        return Money(minorUnits: negative ? -v : v, currency: currency)
    }

    /// "9.99 EUR", "-0.50 USD", "10 CREDITS".
    public var formatted: String { "\(amountString) \(currency.code)" }

    public var amountString: String {
        let digits = currency.minorDigits
        let sign = minorUnits < 0 ? "-" : ""
        let absValue = minorUnits.magnitude
        guard digits > 0 else { return sign + String(absValue) }
        let scale = UInt64(Money.pow10(digits))
        let frac = String(absValue % scale)
        return sign + String(absValue / scale) + "." + String(repeating: "0", count: digits - frac.count) + frac
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { acc, _ in acc * 10 } }
}

/// An ISO 4217 code, or the non-ISO "CREDITS" unit used by resellers.
public struct CurrencyCode: Hashable, Codable, Sendable, CustomStringConvertible {
    public let code: String

    public init?(_ raw: String) {
        let upper = raw.trimmingCharacters(in: .whitespaces).uppercased()
        guard upper == "CREDITS" || (upper.count == 3 && upper.allSatisfy({ $0.isASCII && $0.isLetter })) else {
            return nil
        }
        code = upper
    }

    public static let credits = CurrencyCode("CREDITS")!

    /// Minor digits for the codes that do not use two; everything else uses two.
    public var minorDigits: Int {
        switch code {
        case "CREDITS", "JPY", "KRW", "VND", "CLP", "ISK", "XAF", "XOF", "UGX", "PYG", "RWF": 0
        case "BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD": 3
        default: 2
        }
    }

    public var description: String { code }

    public init(from decoder: Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let c = CurrencyCode(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a currency code: \(raw)"))
        }
        self = c
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(code)
    }
}

/// Bounds that keep stored numbers far from overflow, whatever a caller sends.
public enum Limits {
    /// Credits, wallet amounts (minor units), unit prices: a trillion.
    public static let maxAmount: Int64 = 1_000_000_000_000
    /// No subscription date beyond 2200-01-01: later values are typos (milliseconds for seconds).
    public static let latestDate = Date(timeIntervalSince1970: 7_258_118_400)
}
