import Foundation

/// Units a payment plan's length is counted in.
public enum LengthUnit: String, CaseIterable, Codable, Sendable {
    case days, weeks, months, years

    public var label: String { rawValue }
}

/// A plan length: "1 month", "12 months", "30 days".
public struct PlanLength: Equatable, Codable, Sendable, CustomStringConvertible {
    public var count: Int
    public var unit: LengthUnit

    public init(count: Int, unit: LengthUnit) {
        self.count = count
        self.unit = unit
    }

    public var description: String {
        let name = count == 1 ? String(unit.rawValue.dropLast()) : unit.rawValue
        return "\(count) \(name)"
    }
}

/// Calendar-correct subscription arithmetic in the deployment's time zone.
///
/// Months and years are calendar months: Jan 31 + 1 month = Feb 28 (29 in leap years), the
/// month end clamps and never spills into March. Days and weeks are calendar days in the zone, so
/// a subscription bought at 20:00 ends at 20:00 local time even across a daylight-saving change.
public enum SubscriptionCalendar {
    public static func calendar(_ timeZone: TimeZone) -> Calendar {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = timeZone
        return c
    }

    public static func add(_ length: PlanLength, to start: Date, in timeZone: TimeZone) -> Date {
        let c = calendar(timeZone)
        var comps = DateComponents()
        switch length.unit {
        case .days: comps.day = length.count
        case .weeks: comps.day = 7 * length.count
        case .months: comps.month = length.count
        case .years: comps.year = length.count
        }
        return c.date(byAdding: comps, to: start) ?? start.addingTimeInterval(Double(length.count) * 86_400)
    }

    /// Where a renewal starts counting: the current expiry while it is still ahead (so nothing
    /// paid for is lost), otherwise now. `fromExpiry: false` always starts now.
    public static func renewalBase(currentExpiry: Date?, now: Date, fromExpiry: Bool) -> Date {
        guard fromExpiry, let e = currentExpiry, e > now else { return now }
        return e
    }
}

/// Subscriber statuses of the manual.
public enum CustomerStatus: String, CaseIterable, Codable, Sendable {
    /// Created with "start from first login" and not logged in yet: the clock has not started.
    case pending
    /// On a Trial product, within its dates.
    case trial
    /// On a Regular product, within its dates.
    case active
    /// The expiry date has passed.
    case expired
    /// Switched off by the operator, a reseller or the billing system.
    case disabled

    public var label: String {
        switch self {
        case .pending: "Pending"
        case .trial: "Trial"
        case .active: "Active"
        case .expired: "Expired"
        case .disabled: "Disabled"
        }
    }

    /// The one rule that decides a customer's status from its facts. Stored statuses are a cache
    /// of this (for filtering and counting); every read that grants service calls it again, so an
    /// expired customer is never served even if the expiry sweep has not run yet.
    ///
    /// Transitions this implies:
    /// - created with start-from-first-login → pending; first login starts the clock → trial/active
    /// - created otherwise → trial (Trial product) or active (Regular product)
    /// - expiry passes → expired; renew/extend past now → trial/active again
    /// - disable → disabled from any status; enable → whatever the dates say
    public static func effective(disabled: Bool, startsAt: Date?, expiresAt: Date?, trialProduct: Bool, now: Date) -> CustomerStatus {
        if disabled { return .disabled }
        guard startsAt != nil, let expiry = expiresAt else { return .pending }
        if expiry <= now { return .expired }
        return trialProduct ? .trial : .active
    }

    /// May this customer be served content now?
    public var isServed: Bool { self == .active || self == .trial }
}

public enum SubscriptionType: String, CaseIterable, Codable, Sendable {
    case trial, regular
    public var label: String { self == .trial ? "Trial" : "Regular" }
}

public enum PaymentType: String, CaseIterable, Codable, Sendable {
    case subscription, wallet, api
    public var label: String {
        switch self {
        case .subscription: "Subscription"
        case .wallet: "Wallet"
        case .api: "API"
        }
    }
}
