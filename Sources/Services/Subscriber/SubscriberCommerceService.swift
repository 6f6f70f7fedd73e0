import Domain
import FluentKit
import Foundation
import Storage

/// Pay-per-view and the wallet as the subscriber sees them: the offer for a title, renting it
/// with wallet credit (through `PPVService.buyWithWallet`, so the debit, the purchase and the
/// ledger row are one transaction), "My Content" and the wallet history.
public enum SubscriberCommerceService {
    public typealias Context = DeviceSessionService.Context

    /// Who acts when a subscriber buys from an app: named after the device in the audit trail
    /// and the wallet ledger, limited to the device's deployment.
    public static func principal(_ ctx: Context, ip: String?) -> Principal {
        Principal(kind: .api, userID: nil, label: "subscriber app (customer \(ctx.customerID), device \(ctx.deviceID))", role: .admin,
                  deploymentIDs: [ctx.deploymentID], ip: ip)
    }

    public struct Price: Sendable, Codable, Equatable {
        /// Minor units (cents).
        public var amount: Int64
        public var currency: String
        /// "3.99 EUR".
        public var formatted: String
        init(_ amount: Int64, _ currency: String) {
            self.amount = amount; self.currency = currency
            formatted = Money(minorUnits: amount, currency: CurrencyCode(currency) ?? .credits).formatted
        }
    }

    public struct Offer: Sendable, Codable, Equatable {
        public var item: String
        /// What is sold: the item itself, or the season of an episode.
        public var sold: String
        public var title: String
        /// The PPV rule's commercial name and window ("48 hours": how long the rental lasts).
        public var rule: String
        public var window: String
        public var price: Price
        /// An open rental of it (or of what sells it) exists; `accessUntil` says until when.
        public var owned: Bool
        public var accessUntil: Date?
        public var walletBalance: Price
        public var affordable: Bool
    }

    public struct Rental: Sendable, Codable, Equatable {
        public var id: Int
        public var item: String
        public var title: String
        public var price: Price
        public var purchasedAt: Date
        public var accessUntil: Date
        public var active: Bool
        init(_ p: PPVPurchaseModel, now: Date) {
            id = p.id!; item = p.contentRef; title = p.title; price = Price(p.price, p.currency)
            purchasedAt = p.purchasedAt; accessUntil = p.accessUntil; active = p.accessUntil > now
        }
    }

    public struct Transaction: Sendable, Codable, Equatable {
        public var id: Int
        public var at: Date
        public var amount: Price
        public var balanceAfter: Price
        public var reason: String
    }

    static func ref(type: String, id: Int) throws -> ContentRef {
        guard let r = ContentRef("\(type):\(id)") else {
            throw DomainError.validation(["type": "must be channel or an on-demand kind (movie, series, season, episode…) with a numeric id"])
        }
        return r
    }

    /// The offer for an item: `not_for_sale` or `no_price` (409) when there is none.
    public static func offer(_ env: ServiceEnvironment, context ctx: Context, type: String, id: Int) async throws -> Offer {
        let r = try ref(type: type, id: id)
        let c = try await ProfileService.customer(env, ctx)
        let o = try await PPVService.offer(env, customer: c, ref: r)
        let open = try await PPVService.openPurchase(env, customerID: c.id!, ref: o.ref)
        return Offer(item: r.description, sold: o.ref.description, title: o.title, rule: o.rule.name, window: PPVService.describe(o.rule),
                     price: Price(o.amount, o.currency), owned: open != nil, accessUntil: open?.accessUntil,
                     walletBalance: Price(c.walletBalance, c.currency), affordable: o.currency == c.currency && c.walletBalance >= o.amount)
    }

    /// Rents an item with wallet credit. Typed refusals: `already_owned` (an open rental, or the
    /// subscription already plays it), `not_for_sale`, `no_price`, `insufficient_funds` (nothing
    /// is charged), `customer_not_served`. Retries are made safe by the API's Idempotency-Key.
    /// `provision`: buy through the operator's billing (an API provision, CRM › API Provisions)
    /// instead of the wallet; TVMS calls the billing and opens access only when it says success.
    public static func rent(_ env: ServiceEnvironment, context ctx: Context, type: String, id: Int, ip: String?,
                            provision: (id: Int, http: any OutboundHTTP)? = nil) async throws -> (rental: Rental, balance: Price) {
        let r = try ref(type: type, id: id)
        let c = try await ProfileService.customer(env, ctx)
        let o = try await PPVService.offer(env, customer: c, ref: r)
        if let open = try await PPVService.openPurchase(env, customerID: c.id!, ref: o.ref) {
            throw DomainError(.conflict, code: "already_owned", "\(o.title) is already rented until \(ISO8601DateFormatter().string(from: open.accessUntil)).")
        }
        if try await Entitlements.decide(env, customer: c, ref: r) == .allowed {
            throw DomainError(.conflict, code: "already_owned", "\(o.title) is already part of the subscription.")
        }
        let purchase = if let provision {
            try await PPVService.buyWithProvision(env, http: provision.http, actor: principal(ctx, ip: ip), deploymentID: ctx.deploymentID,
                                                  provisionID: provision.id, customerID: c.id!, ref: r)
        } else {
            try await PPVService.buyWithWallet(env, actor: principal(ctx, ip: ip), deploymentID: ctx.deploymentID, customerID: c.id!, ref: r)
        }
        let after = try await ProfileService.customer(env, ctx)
        return (Rental(purchase, now: env.now), Price(after.walletBalance, after.currency))
    }

    /// "My Content": the customer's rentals, newest first, open ones flagged `active`.
    public static func rentals(_ env: ServiceEnvironment, context ctx: Context) async throws -> [Rental] {
        let now = env.now
        return try await PPVService.purchases(env, customerID: ctx.customerID).filter { $0.deploymentID == ctx.deploymentID }.map { Rental($0, now: now) }
    }

    /// The wallet's balance and movements, newest first, `limit` at a time before `before` (an id).
    public static func transactions(_ env: ServiceEnvironment, context ctx: Context, before: Int?, limit: Int) async throws -> (balance: Price, items: [Transaction], next: Int?) {
        let c = try await ProfileService.customer(env, ctx)
        let size = max(1, min(limit, 100))
        let q = WalletTransactionModel.query(on: env.db).filter(\.$customerID == c.id!)
        if let before { q.filter(\.$id < before) }
        let rows = try await q.sort(\.$id, .descending).limit(size + 1).all()
        let page = rows.prefix(size)
        return (Price(c.walletBalance, c.currency),
                page.map { Transaction(id: $0.id!, at: $0.at, amount: Price($0.amount, $0.currency), balanceAfter: Price($0.balanceAfter, $0.currency), reason: $0.reason) },
                rows.count > size ? page.last?.id : nil)
    }
}
