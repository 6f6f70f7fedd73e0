import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// The reseller's Performance page: per calendar month (in the deployment's zone) how many sales
/// and renewals it made, what it spent, and how many of its customers were active or expired at
/// the end of the month.
public enum ResellerPerformance {
    public struct Month: Sendable, Equatable {
        public var start: Date
        public var label: String
        public var sales = 0
        public var renewals = 0
        /// Product changes and extra packages.
        public var otherSales = 0
        public var creditsSpent: Int64 = 0
        public var unitsUsed: Int64 = 0
        public var active = 0
        public var expired = 0
    }

    /// The last `months` months up to and including the current one, oldest first. Active and
    /// expired counts use each customer's start and current expiry (so a customer who lapsed and
    /// was renewed later counts as active through the gap); the month in progress counts as of now.
    public static func monthly(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, months: Int = 12) async throws -> [Month] {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let zone = CustomerService.zone(d)
        let cal = SubscriptionCalendar.calendar(zone)
        let now = env.now
        let thisMonth = cal.date(from: cal.dateComponents([.year, .month], from: now))!
        let labels = DateFormatter()
        labels.dateFormat = "MMM yyyy"
        labels.timeZone = zone
        labels.locale = Locale(identifier: "en_US_POSIX")
        var out: [Month] = (0..<months).reversed().map { back in
            let start = cal.date(byAdding: .month, value: -back, to: thisMonth)!
            return Month(start: start, label: labels.string(from: start))
        }
        let first = out[0].start
        let me = LedgerAccount.reseller(resellerID)
        let rows = try await env.db.sql.raw("""
            SELECT at, kind, amount, unit, to_account FROM ledger_entries
            WHERE reseller_id = \(bind: resellerID) AND at >= \(bind: first) AND kind IS NOT NULL
            """).all()
        for row in rows {
            let at = try row.decode(column: "at", as: Date.self)
            guard let kind = LedgerKind(rawValue: try row.decode(column: "kind", as: String.self)),
                  let i = out.lastIndex(where: { $0.start <= at }) else { continue }
            let amount = try row.decode(column: "amount", as: Int64.self)
            let credits = try row.decode(column: "unit", as: String.self) == "CREDITS"
            switch kind {
            case .sale: out[i].sales += 1
            case .renewal: out[i].renewals += 1
            case .productChange, .extraPackage: out[i].otherSales += 1
            case .chargeRefund where (try row.decode(column: "to_account", as: String.self)) == me:
                out[i].creditsSpent -= amount
                continue
            default: continue
            }
            if credits { out[i].creditsSpent += amount } else { out[i].unitsUsed += amount }
        }
        for i in out.indices {
            let end = i == out.count - 1 ? now : out[i + 1].start
            let counts = try await env.db.sql.raw("""
                SELECT COALESCE(SUM(CASE WHEN expires_at > \(bind: end) THEN 1 ELSE 0 END), 0) AS active,
                       COALESCE(SUM(CASE WHEN expires_at <= \(bind: end) THEN 1 ELSE 0 END), 0) AS expired
                FROM customers
                WHERE reseller_id = \(bind: resellerID) AND deployment_id = \(bind: deploymentID) AND deleted_at IS NULL
                  AND starts_at IS NOT NULL AND starts_at <= \(bind: end) AND expires_at IS NOT NULL
                """).first()
            out[i].active = try counts?.decode(column: "active", as: Int.self) ?? 0
            out[i].expired = try counts?.decode(column: "expired", as: Int.self) ?? 0
        }
        return out
    }
}
