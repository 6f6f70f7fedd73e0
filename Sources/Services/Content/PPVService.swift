import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Pay-per-view: the rules of each CMS section, prices per currency on items, the "subscription
/// or PPV, not both" rule, and purchases paid from the wallet or through an API provision.
public enum PPVService {
    // MARK: Rules

    public static func rules(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, section: ContentKind) async throws -> [PPVRuleModel] {
        try actor.require(.cms, in: deploymentID)
        return try await PPVRuleModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$section == section.rawValue).sort(\.$name).all()
    }

    public static func window(_ r: PPVRuleModel) -> PPVWindow {
        PPVWindow(count: r.count, unit: PPVWindow.Unit(rawValue: r.unit) ?? .hours)
    }

    /// "48 hours", "1 month".
    public static func describe(_ r: PPVRuleModel) -> String {
        let unit = r.count == 1 ? String(r.unit.dropLast()) : r.unit
        return "\(r.count) \(unit)"
    }

    /// Adds (`id` nil) or edits a rule: name and quantity, as the manual's PPV Rules page.
    public static func saveRule(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, section: ContentKind, id: Int?, name: String, unit: String, count: Int) async throws -> PPVRuleModel {
        try actor.require(.cms, in: deploymentID)
        let n = name.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if n.isEmpty { errors.add("name", "is required: it is the name the app shows") }
        else {
            let q = PPVRuleModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$section == section.rawValue).filter(\.$name == n)
            if let id { q.filter(\.$id != id) }
            if try await q.first() != nil { errors.add("name", "\(n) already exists") }
        }
        let parsedUnit = PPVWindow.Unit(rawValue: unit)
        if let u = parsedUnit {
            // At most a year's worth of any unit but years, ten of those.
            let maxCount = [PPVWindow.Unit.hours: 8784, .days: 366, .months: 12, .years: 10][u]!
            if !(1...maxCount).contains(count) { errors.add("count", "must be between 1 and \(maxCount) \(u.rawValue)") }
        } else {
            errors.add("unit", "must be hours, days, months or years")
        }
        try errors.throwIfAny()
        guard let u = parsedUnit else { throw DomainError.validation(["unit": "must be hours, days, months or years"]) }
        let r: PPVRuleModel
        if let id {
            guard let found = try await PPVRuleModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).filter(\.$section == section.rawValue).first() else {
                throw DomainError.notFound("The PPV rule")
            }
            r = found
        } else {
            r = PPVRuleModel()
            r.deploymentID = deploymentID
            r.section = section.rawValue
        }
        let before: [String: String?]? = id == nil ? nil : ["name": r.name, "unit": r.unit, "count": String(r.count)]
        r.name = n
        r.unit = u.rawValue
        r.count = count
        try await env.write { db in
            try await r.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ppv_rule", entityID: String(r.id!),
                                          action: id == nil ? "create" : "update", before: before, after: ["section": section.rawValue, "name": n, "unit": u.rawValue, "count": String(count)])
        }
        return r
    }

    /// A rule still chosen by items cannot be deleted (their purchases would lose their window).
    public static func deleteRule(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        guard let r = try await PPVRuleModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else { throw DomainError.notFound("The PPV rule") }
        let used = try await VoDItemModel.query(on: env.db).filter(\.$ppvRuleID == id).count() + ChannelModel.query(on: env.db).filter(\.$ppvRuleID == id).count()
        guard used == 0 else { throw DomainError(.conflict, code: "rule_in_use", "\(r.name) is the PPV rule of \(used) item(s); choose another rule there first.") }
        try await env.write { db in
            try await r.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ppv_rule", entityID: String(id), action: "delete", before: ["name": r.name])
        }
    }

    // MARK: Prices and the one-payment-method rule

    /// Checks an item's PPV settings: a rule of the item's section, at least one price, in
    /// currencies the deployment sells in, and the item not also in a subscription package.
    static func validate(_ env: ServiceEnvironment, deploymentID: UUID, kind: VoDKind?, itemID: Int?, ruleID: Int?, prices: [String: Int64], errors: inout FieldErrors) async throws {
        guard let ruleID else { return }
        // Channels (kind nil) use the Channels rules; a VoD kind its section's, if it is sold on its own.
        let section: ContentKind
        if let kind {
            guard kind.sellsPPV, let s = kind.ppvSection else {
                errors.add("ppvRuleID", "a \(kind.label.lowercased()) is sold with its \(kind.parent?.label.lowercased() ?? "parent")")
                return
            }
            section = s
        } else {
            section = .channel
        }
        guard try await PPVRuleModel.query(on: env.db).filter(\.$id == ruleID).filter(\.$deploymentID == deploymentID).filter(\.$section == section.rawValue).first() != nil else {
            errors.add("ppvRuleID", "is not a PPV rule of \(section.label)")
            return
        }
        if prices.isEmpty { errors.add("prices", "give a price in at least one currency") }
        let sold = Set(try await CurrencyModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all().map(\.code))
        for (code, amount) in prices {
            if !sold.contains(code) || code == "CREDITS" { errors.add("prices", "\(code) is not a currency of this deployment") }
            if amount < 0 || amount > Limits.maxAmount { errors.add("prices", "\(code) price is out of range") }
        }
        if let itemID {
            let ref = kind.map { ContentRef.vod($0, itemID) } ?? .channel(itemID)
            if let package = try await subscriptionPackage(env, deploymentID: deploymentID, ref: ref) {
                errors.add("ppvRuleID", "the item is in the subscription package \(package); an item is sold by subscription or by PPV, not both — take it out of the package or add it twice")
            }
        }
    }

    /// The name of a package that holds the item for subscription (for a season: its series), if any.
    static func subscriptionPackage(_ env: ServiceEnvironment, deploymentID: UUID, ref: ContentRef) async throws -> String? {
        var packageKind = ContentKind.channel.rawValue
        var itemID = ref.id
        if let k = VoDKind(rawValue: ref.kind) {
            if k == .season, let season = try await VoDItemModel.find(ref.id, on: env.db), let series = season.parentID {
                packageKind = ContentKind.series.rawValue
                itemID = series
            } else {
                guard let pk = k.packageKind else { return nil }
                packageKind = pk.rawValue
            }
        }
        let rows = try await env.db.sql.raw("""
            SELECT p.name AS name FROM package_items i JOIN content_packages p ON p.id = i.package_id
            WHERE i.item_id = \(bind: itemID) AND p.kind = \(bind: packageKind) AND p.deployment_id = \(bind: deploymentID) ORDER BY p.name LIMIT 1
            """).all()
        return try rows.first?.decode(column: "name", as: String.self)
    }

    static func storePrices(on db: any Database, deploymentID: UUID, ref: ContentRef, prices: [String: Int64]) async throws {
        try await ContentPriceModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$contentRef == ref.description).delete()
        for (code, amount) in prices.sorted(by: { $0.key < $1.key }) {
            let p = ContentPriceModel()
            p.deploymentID = deploymentID
            p.contentRef = ref.description
            p.currency = code
            p.amount = amount
            try await p.create(on: db)
        }
    }

    public static func prices(_ env: ServiceEnvironment, deploymentID: UUID, ref: ContentRef) async throws -> [String: Int64] {
        let rows = try await ContentPriceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$contentRef == ref.description).all()
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.currency, $0.amount) })
    }

    /// Prices of many items at once (lists, publishing).
    public static func prices(_ env: ServiceEnvironment, deploymentID: UUID, refs: [ContentRef]) async throws -> [ContentRef: [String: Int64]] {
        guard !refs.isEmpty else { return [:] }
        var out: [ContentRef: [String: Int64]] = [:]
        for chunk in refs.chunked(500) {
            for p in try await ContentPriceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$contentRef ~~ chunk.map(\.description)).all() {
                if let ref = ContentRef(p.contentRef) { out[ref, default: [:]][p.currency] = p.amount }
            }
        }
        return out
    }

    // MARK: Purchases

    /// What a customer would buy: the sold unit (an episode is sold by its season), its rule and price.
    public struct Offer: Sendable {
        public var ref: ContentRef
        public var title: String
        public var rule: PPVRuleModel
        public var currency: String
        public var amount: Int64
    }

    /// The PPV offer for an item to a customer, or a clear refusal (not for sale, no price in the
    /// customer's currency).
    public static func offer(_ env: ServiceEnvironment, customer c: CustomerModel, ref: ContentRef) async throws -> Offer {
        var unit = ref
        var title = ""
        var ruleID: Int?
        if ref.kind == "channel" {
            guard let ch = try await ChannelModel.find(ref.id, on: env.db), ch.deploymentID == c.deploymentID else { throw DomainError.notFound("The channel") }
            ruleID = ch.ppvRuleID
            title = ch.name
        } else {
            guard let item = try await VoDItemModel.find(ref.id, on: env.db), item.deploymentID == c.deploymentID else { throw DomainError.notFound("The item") }
            let sold = try await VoDService.chain(env, item: item).first { VoDKind(rawValue: $0.kind)?.sellsPPV == true && $0.ppvRuleID != nil }
            guard let sold else { throw DomainError(.conflict, code: "not_for_sale", "\(item.title) is not sold by pay-per-view.") }
            unit = ContentRef(kind: sold.kind, id: sold.id!)
            title = sold.title
            ruleID = sold.ppvRuleID
        }
        guard let ruleID, let rule = try await PPVRuleModel.find(ruleID, on: env.db) else { throw DomainError(.conflict, code: "not_for_sale", "\(title) is not sold by pay-per-view.") }
        guard let product = try await ProductModel.find(c.productID, on: env.db) else { throw DomainError.notFound("The product") }
        let prices = try await prices(env, deploymentID: c.deploymentID, ref: unit)
        guard let price = PPVPricing.price(prices, customerCurrency: c.currency, productCurrency: product.defaultCurrency) else {
            throw DomainError(.conflict, code: "no_price", "\(title) has no price in \(c.currency) or \(product.defaultCurrency).")
        }
        return Offer(ref: unit, title: title, rule: rule, currency: price.currency, amount: price.amount)
    }

    /// Buys an item for a customer from its wallet: the debit and the purchase are one
    /// transaction, so a refused debit opens nothing and a purchase is never unpaid. Buying a
    /// title that is still open returns the open purchase without charging again.
    public static func buyWithWallet(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, customerID: Int, ref: ContentRef) async throws -> PPVPurchaseModel {
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID, resellerMayAct: true)
        guard try await CustomerService.isServed(env, customer: c) else {
            throw DomainError(.forbidden, code: "customer_not_served", "The customer's subscription is not active, so nothing can be bought.")
        }
        let offer = try await offer(env, customer: c, ref: ref)
        if let open = try await openPurchase(env, customerID: customerID, ref: offer.ref) { return open }
        guard offer.currency == c.currency else {
            throw DomainError(.conflict, code: "no_price", "\(offer.title) has no price in the wallet's currency \(c.currency).")
        }
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let m = PPVPurchaseModel()
        m.deploymentID = deploymentID
        m.customerID = customerID
        m.contentType = offer.ref.kind
        m.contentRef = offer.ref.description
        m.title = "\(offer.title) (\(offer.rule.name))"
        m.price = offer.amount
        m.currency = offer.currency
        m.purchasedAt = env.now
        m.accessUntil = window(offer.rule).end(from: env.now, in: CustomerService.zone(d))
        let now = env.now
        try await env.write { db in
            let rows = try await db.sql.raw("""
                UPDATE customers SET wallet_balance = wallet_balance - \(bind: offer.amount)
                WHERE id = \(bind: customerID) AND wallet_balance - \(bind: offer.amount) >= 0 RETURNING wallet_balance
                """).all()
            guard let row = rows.first else {
                throw DomainError(.conflict, code: "insufficient_funds",
                                  "The wallet holds \(Money(minorUnits: c.walletBalance, currency: CurrencyCode(c.currency) ?? .credits).formatted); \(offer.title) costs \(Money(minorUnits: offer.amount, currency: CurrencyCode(offer.currency) ?? .credits).formatted).")
            }
            try await m.create(on: db)
            let t = WalletTransactionModel()
            t.customerID = customerID
            t.at = now
            t.amount = -offer.amount
            t.balanceAfter = try row.decode(column: "wallet_balance", as: Int64.self)
            t.currency = c.currency
            t.reason = "Pay-per-view: \(m.title)"
            t.actorLabel = actor.label
            t.idempotencyKey = "ppv-\(m.id!)"
            try await t.create(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer", entityID: String(customerID),
                                          action: "ppv_purchase", after: ["content": m.contentRef, "title": m.title, "amount": String(offer.amount), "via": "wallet"])
        }
        return m
    }

    /// Buys through the operator's billing (an API provision): TVMS calls it and opens access
    /// only when it answers success.
    public static func buyWithProvision(_ env: ServiceEnvironment, http: any OutboundHTTP, actor: Principal, deploymentID: UUID, provisionID: Int, customerID: Int, ref: ContentRef) async throws -> PPVPurchaseModel {
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID, resellerMayAct: true)
        let offer = try await offer(env, customer: c, ref: ref)
        return try await ProvisionService.purchase(env, http: http, actor: actor, deploymentID: deploymentID, provisionID: provisionID, purchase: .init(
            customerID: customerID, contentType: offer.ref.kind, contentRef: offer.ref.description, title: "\(offer.title) (\(offer.rule.name))",
            price: offer.amount, currency: offer.currency, window: window(offer.rule)))
    }

    static func openPurchase(_ env: ServiceEnvironment, customerID: Int, ref: ContentRef) async throws -> PPVPurchaseModel? {
        try await PPVPurchaseModel.query(on: env.db).filter(\.$customerID == customerID).filter(\.$contentRef == ref.description).filter(\.$accessUntil > env.now).first()
    }

    public static func purchases(_ env: ServiceEnvironment, customerID: Int) async throws -> [PPVPurchaseModel] {
        try await PPVPurchaseModel.query(on: env.db).filter(\.$customerID == customerID).sort(\.$id, .descending).limit(200).all()
    }
}
