import Foundation

/// How a reseller pays for what it sells (manual: Resellers, prepaid vs postpaid).
public enum ResellerType: String, CaseIterable, Codable, Sendable {
    /// Buys a quantity of one product on one plan up front (an order); each sale uses one unit.
    case prepaid
    /// Buys Credits; each sale is charged the plan's credits price less the reseller's discount.
    case postpaid
}

public enum ResellerPricing {
    /// The credits a postpaid reseller pays for one sale: the plan's credits price less the
    /// discount (in basis points, 1000 = 10 %), rounded half up to a whole credit. Integer
    /// arithmetic only, so 10 credits at 10 % is exactly 9 and 10 credits at 15 % is 9 (8.5 ↑).
    public static func charge(creditsPrice: Int64, discountBasisPoints: Int) -> Int64 {
        precondition(creditsPrice >= 0 && (0...10_000).contains(discountBasisPoints))
        let numerator = creditsPrice * Int64(10_000 - discountBasisPoints)
        return (numerator + 5_000) / 10_000
    }

    /// "10", "12.5" (percent, at most two decimals) → basis points.
    public static func basisPoints(percent text: String) -> Int? {
        guard let m = Money.parse(text, currency: CurrencyCode("EUR")!), (0...10_000).contains(m.minorUnits) else { return nil }
        return Int(m.minorUnits)
    }
}

/// Ledger account names. Every movement of credits or stock goes from one account to another,
/// so any balance is the sum of what came in minus what went out.
public enum LedgerAccount {
    /// Credits the operator issues (top-ups come from here, deductions go back).
    public static let operatorIssued = "operator:issued"
    /// Credits and units spent on sales.
    public static let operatorSales = "operator:sales"
    /// Units the operator has not sold to resellers.
    public static let operatorStock = "operator:stock"

    public static func reseller(_ id: Int) -> String { "reseller:\(id)" }
    public static func order(_ id: Int) -> String { "order:\(id)" }
}

/// What a ledger entry records; the performance page counts by kind.
public enum LedgerKind: String, Sendable, CaseIterable {
    case sale, renewal, productChange = "product_change", extraPackage = "extra_package"
    case topUp = "top_up", deduction, order, unitRefund = "unit_refund", chargeRefund = "charge_refund"

    /// Kinds that spend the reseller's credits or units on a customer.
    public static let spending: Set<LedgerKind> = [.sale, .renewal, .productChange, .extraPackage]
}

/// Brand settings a reseller or the operator can give the TV apps.
public enum BrandingRules {
    /// "#1a2B3c" → "#1A2B3C"; empty stays empty (app default); anything else is nil.
    public static func colour(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return "" }
        guard t.count == 7, t.first == "#", t.dropFirst().allSatisfy(\.isHexDigit) else { return nil }
        return t.uppercased()
    }

    public static let supportTextLimit = 4_000

    /// A DNS hostname as typed by an operator: lower-cased, no scheme, port or trailing dot;
    /// nil when it is not a valid name with at least two labels.
    public static func hostname(_ text: String) -> String? {
        var t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasSuffix(".") { t.removeLast() }
        guard (4...253).contains(t.count) else { return nil }
        let labels = t.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for l in labels {
            guard (1...63).contains(l.count), l.first != "-", l.last != "-",
                  l.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }) else { return nil }
        }
        // The top-level label is never all digits (that would be an IP address).
        guard !labels.last!.allSatisfy(\.isNumber) else { return nil }
        return t
    }
}
