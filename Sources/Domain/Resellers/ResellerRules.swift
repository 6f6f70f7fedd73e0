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
