import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// The reseller ledger: every movement of credits or prepaid units is an append-only entry, and
/// the materialised balances (reseller balance, order units used) change only through guarded
/// conditional UPDATEs in the same transaction as their entry. No interleaving of concurrent
/// sales can overspend, on SQLite or PostgreSQL.
public enum ResellerLedger {
    public static let insufficientCredits = "insufficient_credits"
    public static let outOfStock = "out_of_stock"

    struct Entry {
        var kind: LedgerKind
        var from: String
        var to: String
        var amount: Int64
        var unit: String
        var reason: String
        var resellerID: Int?
        var customerID: Int? = nil
        var orderID: Int? = nil
        var planID: Int? = nil
        var idempotencyKey: String? = nil
    }

    static func write(_ e: Entry, deploymentID: UUID, actor: Principal, at: Date, on db: any Database) async throws -> LedgerEntryModel {
        let m = LedgerEntryModel()
        m.deploymentID = deploymentID
        m.at = at
        m.fromAccount = e.from
        m.toAccount = e.to
        m.amount = e.amount
        m.unit = e.unit
        m.reason = e.reason
        m.actorLabel = actor.label
        m.resellerID = e.resellerID
        m.customerID = e.customerID
        m.orderID = e.orderID
        m.planID = e.planID
        m.idempotencyKey = e.idempotencyKey
        m.kind = e.kind.rawValue
        try await m.create(on: db)
        return m
    }

    /// Moves `delta` credits into (positive) or out of (negative) a reseller's balance, refusing
    /// to go below `-creditLimit`. Returns the new balance, or nil when refused.
    static func moveBalance(resellerID: Int, delta: Int64, on db: any Database) async throws -> Int64? {
        let rows = try await db.sql.raw("""
            UPDATE resellers SET balance = balance + \(bind: delta)
            WHERE id = \(bind: resellerID) AND balance + \(bind: delta) >= -credit_limit
            RETURNING balance
            """).all()
        return try rows.first?.decode(column: "balance", as: Int64.self)
    }

    /// Operator adds credits to a postpaid reseller (with a reason), or takes them back
    /// (negative amount).
    public static func adjustCredits(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, amount: Int64, reason: String,
                                     idempotencyKey: String? = nil) async throws -> Int64 {
        // Money and stock are the operator's to give: a reseller never tops itself up.
        try actor.require(.crm, in: deploymentID)
        let r = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard r.resellerType == ResellerType.postpaid.rawValue else {
            throw DomainError(.conflict, code: "not_postpaid", "\(r.name) is prepaid: sell it an order instead of credits.")
        }
        guard amount != 0 else { throw DomainError.validation(["amount": "must not be zero"]) }
        guard amount > -Limits.maxAmount && amount < Limits.maxAmount else { throw DomainError.validation(["amount": "is too large"]) }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.validation(["reason": "is required"]) }
        let now = env.now
        return try await env.write { db in
            if let key = idempotencyKey,
               try await LedgerEntryModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$idempotencyKey == key).first() != nil {
                return try await ResellerModel.find(resellerID, on: db)!.balance
            }
            guard let balance = try await moveBalance(resellerID: resellerID, delta: amount, on: db) else {
                throw DomainError(.conflict, code: insufficientCredits, "\(r.name) has fewer than \(-amount) credits to deduct.")
            }
            _ = try await write(Entry(kind: amount > 0 ? .topUp : .deduction, from: amount > 0 ? LedgerAccount.operatorIssued : LedgerAccount.reseller(resellerID),
                                      to: amount > 0 ? LedgerAccount.reseller(resellerID) : LedgerAccount.operatorIssued,
                                      amount: abs(amount), unit: "CREDITS", reason: reason, resellerID: resellerID, idempotencyKey: idempotencyKey),
                                deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: amount > 0 ? "add_balance" : "deduct_balance",
                                          after: ["amount": String(amount), "balance": String(balance), "reason": reason])
            return balance
        }
    }

    /// Operator sells a prepaid reseller `quantity` units of one plan.
    public static func placeOrder(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, planID: Int, quantity: Int,
                                  unitPrice: Int64, currency: String, paid: Bool) async throws -> ResellerOrderModel {
        // Money and stock are the operator's to give: a reseller never tops itself up.
        try actor.require(.crm, in: deploymentID)
        let r = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard r.resellerType == ResellerType.prepaid.rawValue else {
            throw DomainError(.conflict, code: "not_prepaid", "\(r.name) is postpaid: add credits instead of an order.")
        }
        var errors = FieldErrors()
        if !(1...100_000).contains(quantity) { errors.add("quantity", "must be between 1 and 100000") }
        if unitPrice < 0 { errors.add("unitPrice", "must be 0 or more") }
        // Orders may be for a subscription plan or an extra-package plan, of this deployment only.
        let plan = try await PaymentPlanModel.find(planID, on: env.db)
        let product = plan == nil ? nil : try await ProductModel.find(plan!.productID, on: env.db)
        if plan == nil || product?.deploymentID != deploymentID { errors.add("planId", "is not a payment plan of this deployment") }
        try errors.throwIfAny()
        let o = ResellerOrderModel()
        o.resellerID = resellerID
        o.productID = plan!.productID
        o.planID = planID
        o.quantity = quantity
        o.used = 0
        o.refunded = 0
        o.unitPrice = unitPrice
        o.currency = currency
        o.paid = paid
        o.status = "open"
        o.createdAt = env.now
        let now = env.now
        try await env.write { db in
            try await o.create(on: db)
            _ = try await write(Entry(kind: .order, from: LedgerAccount.operatorStock, to: LedgerAccount.order(o.id!), amount: Int64(quantity), unit: "UNITS",
                                      reason: "order of \(quantity) × \(plan!.name)", resellerID: resellerID, orderID: o.id, planID: planID),
                                deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "order", after: ["orderId": String(o.id!), "quantity": String(quantity), "planId": String(planID)])
        }
        return o
    }

    /// A reseller sells a new customer: the customer and its charge (credits or one prepaid unit)
    /// are written in one transaction, so there is never one without the other.
    public static func sell(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, orderID: Int? = nil,
                            input: CustomerService.NewCustomer) async throws -> CustomerService.Created {
        let r = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard r.enabled else { throw DomainError(.forbidden, code: "reseller_disabled", "\(r.name) is disabled and cannot sell.") }
        guard let assignment = try await ResellerProductModel.query(on: env.db).filter(\.$resellerID == resellerID).filter(\.$planID == input.planID).first(),
              assignment.productID == input.productID else {
            throw DomainError(.forbidden, code: "plan_not_assigned", "\(r.name) may not sell this plan; the operator assigns plans under Resellers.")
        }
        if !input.login.isEmpty && !r.allowCustomLogin {
            throw DomainError.validation(["login": "custom usernames are not allowed for \(r.name)"])
        }
        var n = input
        n.contact.resellerID = resellerID
        var errors = FieldErrors()
        let sale = try await CustomerService.checkSale(env, deploymentID: deploymentID, productID: n.productID, planID: n.planID, currency: n.currency, errors: &errors)
        CustomerService.validateContact(n.contact, product: sale?.product, errors: &errors)
        let (login, password) = try await CustomerService.credentials(env, deploymentID: deploymentID, login: n.login, password: n.password, errors: &errors)
        try errors.throwIfAny()
        let hash = try env.subscriberHasher.hash(password)
        let now = env.now
        let customer = CustomerService.build(env, n, sale: sale!, login: login, passwordHash: hash, now: now)
        let planID = n.planID
        let creditsPrice = sale!.plan.creditsPrice, discount = assignment.discountBasisPoints
        try await env.write { db in
            try await customer.create(on: db)
            try await charge(r, kind: .sale, planID: planID, creditsPrice: creditsPrice, discountBasisPoints: discount, orderID: orderID, customerID: customer.id,
                             reason: "new customer \(customer.login)", deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(customer.id!), action: "create", after: CustomerService.snapshot(customer))
        }
        return CustomerService.Created(customer: customer, password: password)
    }

    /// Charges one sale inside the caller's transaction: credits for postpaid, a unit of an open
    /// order for prepaid. Throws (and so rolls the transaction back) when it cannot be covered.
    static func charge(_ r: ResellerModel, kind: LedgerKind, planID: Int, creditsPrice: Int64?, discountBasisPoints: Int, orderID: Int?, customerID: Int?,
                       reason: String, deploymentID: UUID, actor: Principal, at now: Date, on db: any Database) async throws {
        let resellerID = try r.requireID()
        switch ResellerType(rawValue: r.resellerType) ?? .postpaid {
        case .postpaid:
            guard let price = creditsPrice else {
                throw DomainError(.conflict, code: "no_credits_price", "This plan has no credits price, so postpaid resellers cannot sell it.")
            }
            let cost = ResellerPricing.charge(creditsPrice: price, discountBasisPoints: discountBasisPoints)
            guard try await moveBalance(resellerID: resellerID, delta: -cost, on: db) != nil else {
                let left = try await ResellerModel.find(resellerID, on: db)?.balance ?? 0
                throw DomainError(.conflict, code: insufficientCredits,
                                  "Not enough credits: this costs \(cost) and \(r.name) has \(left). Ask the operator for more credits.")
            }
            _ = try await write(Entry(kind: kind, from: LedgerAccount.reseller(resellerID), to: LedgerAccount.operatorSales, amount: cost, unit: "CREDITS",
                                      reason: reason, resellerID: resellerID, customerID: customerID, planID: planID),
                                deploymentID: deploymentID, actor: actor, at: now, on: db)
        case .prepaid:
            let pick = orderID ?? 0
            let rows = try await db.sql.raw("""
                UPDATE reseller_orders SET used = used + 1
                WHERE status = 'open' AND used + refunded < quantity
                  AND id = (SELECT id FROM reseller_orders WHERE reseller_id = \(bind: resellerID) AND plan_id = \(bind: planID)
                            AND status = 'open' AND used + refunded < quantity AND (\(bind: pick) = 0 OR id = \(bind: pick))
                            ORDER BY id LIMIT 1)
                RETURNING id
                """).all()
            guard let order = try rows.first?.decode(column: "id", as: Int.self) else {
                throw DomainError(.conflict, code: outOfStock, "No units left on an open order for this plan. Ask the operator to sell \(r.name) a new order.")
            }
            _ = try await write(Entry(kind: kind, from: LedgerAccount.order(order), to: LedgerAccount.operatorSales, amount: 1, unit: "UNITS",
                                      reason: reason, resellerID: resellerID, customerID: customerID, orderID: order, planID: planID),
                                deploymentID: deploymentID, actor: actor, at: now, on: db)
        }
    }

    /// A reseller renews one of its own customers by an assigned plan, charged like a sale; the
    /// new expiry and the charge are written together.
    public static func renew(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, customerID: Int, planID: Int? = nil,
                             orderID: Int? = nil, fromExpiry: Bool = true) async throws -> CustomerModel {
        let r = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard r.enabled else { throw DomainError(.forbidden, code: "reseller_disabled", "\(r.name) is disabled and cannot sell.") }
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID, resellerMayAct: true)
        // Another reseller's customer answers "not found", like any other tenant boundary.
        guard c.resellerID == resellerID else { throw DomainError.notFound("The customer") }
        let chosen = planID ?? c.planID ?? -1
        guard let assignment = try await ResellerProductModel.query(on: env.db).filter(\.$resellerID == resellerID).filter(\.$planID == chosen).first(),
              assignment.productID == c.productID, let plan = try await PaymentPlanModel.find(chosen, on: env.db),
              let d = try await DeploymentModel.find(deploymentID, on: env.db) else {
            throw DomainError(.forbidden, code: "plan_not_assigned", "\(r.name) may not sell this plan.")
        }
        let now = env.now
        let before = CustomerService.snapshot(c)
        if c.startsAt == nil { c.startsAt = now }
        let base = SubscriptionCalendar.renewalBase(currentExpiry: c.expiresAt, now: now, fromExpiry: fromExpiry)
        c.expiresAt = SubscriptionCalendar.add(CustomerService.length(plan), to: base, in: CustomerService.zone(d))
        if c.expiresAt! >= Limits.latestDate { throw DomainError.validation(["expiresAt": "would pass 2200; the subscription is long enough"]) }
        c.planID = chosen
        if let product = try await ProductModel.find(c.productID, on: env.db) { c.status = CustomerService.status(c, product: product, now: now).rawValue }
        let creditsPrice = plan.creditsPrice, discount = assignment.discountBasisPoints
        try await env.write { db in
            try await charge(r, kind: .renewal, planID: chosen, creditsPrice: creditsPrice, discountBasisPoints: discount, orderID: orderID, customerID: customerID,
                             reason: "renewal of \(c.login)", deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await c.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer", entityID: String(customerID),
                                          action: "renew", before: before, after: CustomerService.snapshot(c))
        }
        return c
    }

    /// A reseller moves one of its own customers to another assigned product and plan, charged
    /// like a sale of the new plan; the change and the charge are written together.
    public static func changeProduct(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, customerID: Int,
                                     productID: Int, planID: Int, orderID: Int? = nil, fromExpiry: Bool = false) async throws -> CustomerModel {
        let r = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard r.enabled else { throw DomainError(.forbidden, code: "reseller_disabled", "\(r.name) is disabled and cannot sell.") }
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID, resellerMayAct: true)
        guard c.resellerID == resellerID else { throw DomainError.notFound("The customer") }
        guard let assignment = try await ResellerProductModel.query(on: env.db).filter(\.$resellerID == resellerID).filter(\.$planID == planID).first(),
              assignment.productID == productID else {
            throw DomainError(.forbidden, code: "plan_not_assigned", "\(r.name) may not sell this plan.")
        }
        let before = CustomerService.snapshot(c)
        let plan = try await CustomerService.applyProductChange(env, c, deploymentID: deploymentID, productID: productID, planID: planID, fromExpiry: fromExpiry)
        let now = env.now
        let creditsPrice = plan.creditsPrice, discount = assignment.discountBasisPoints
        try await env.write { db in
            try await charge(r, kind: .productChange, planID: planID, creditsPrice: creditsPrice, discountBasisPoints: discount, orderID: orderID,
                             customerID: customerID, reason: "product change of \(c.login) to \(plan.name)", deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await c.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer", entityID: String(customerID),
                                          action: "change_product", before: before, after: CustomerService.snapshot(c))
        }
        return c
    }

    /// A reseller sells an extra package to one of its own customers: only packages the operator
    /// mapped to it, at the mapped credits price (or the plan's) less the mapped discount; the
    /// package and the charge are written together.
    public static func sellExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, customerID: Int,
                                        planID: Int, synced: Bool, orderID: Int? = nil) async throws -> CustomerExtraPackageModel {
        let r = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard r.enabled else { throw DomainError(.forbidden, code: "reseller_disabled", "\(r.name) is disabled and cannot sell.") }
        let c = try await CustomerService.find(env, actor: actor, deploymentID: deploymentID, id: customerID, resellerMayAct: true)
        guard c.resellerID == resellerID else { throw DomainError.notFound("The customer") }
        let (e, plan) = try await CustomerService.buildExtraPackage(env, c, deploymentID: deploymentID, planID: planID, synced: synced)
        guard let mapping = try await ResellerExtraPackageModel.query(on: env.db).filter(\.$resellerID == resellerID)
            .filter(\.$extraPackageID == e.extraPackageID).first() else {
            throw DomainError(.forbidden, code: "package_not_mapped", "\(r.name) may not sell this extra package; the operator maps packages under Extra Packages Mapping.")
        }
        let now = env.now
        try await env.write { db in
            try await e.create(on: db)
            try await charge(r, kind: .extraPackage, planID: planID, creditsPrice: mapping.creditsPrice ?? plan.creditsPrice,
                             discountBasisPoints: mapping.discountBasisPoints, orderID: orderID, customerID: customerID,
                             reason: "extra package \(plan.name) for \(c.login)", deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await CustomerService.auditExtraPackage(e, actor: actor, deploymentID: deploymentID, at: now, on: db)
        }
        return e
    }

    /// Gives unused units of an order back to the operator (a partial refund); `cancel` refunds
    /// all that is left and closes the order.
    public static func refundUnits(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, orderID: Int, units: Int?, cancel: Bool) async throws -> ResellerOrderModel {
        try actor.require(.crm, in: deploymentID)
        guard let o = try await ResellerOrderModel.find(orderID, on: env.db) else { throw DomainError.notFound("The order") }
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: o.resellerID)
        let n = units ?? o.remaining
        guard n >= 0, cancel || n > 0 else { throw DomainError.validation(["units": "must be at least 1"]) }
        let now = env.now
        try await env.write { db in
            let rows = try await db.sql.raw("""
                UPDATE reseller_orders SET refunded = refunded + \(bind: n), status = \(bind: cancel ? "cancelled" : "open")
                WHERE id = \(bind: orderID) AND status = 'open' AND used + refunded + \(bind: n) <= quantity
                RETURNING id
                """).all()
            guard !rows.isEmpty else {
                throw DomainError(.conflict, code: "cannot_refund", "Only unused units of an open order can be refunded; \(o.remaining) unit(s) are unused.")
            }
            if n > 0 {
                _ = try await write(Entry(kind: .unitRefund, from: LedgerAccount.order(orderID), to: LedgerAccount.operatorStock, amount: Int64(n), unit: "UNITS",
                                          reason: cancel ? "order cancelled" : "units refunded", resellerID: o.resellerID, orderID: orderID, planID: o.planID),
                                    deploymentID: deploymentID, actor: actor, at: now, on: db)
            }
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(o.resellerID),
                                          action: cancel ? "cancel_order" : "refund_units", after: ["orderId": String(orderID), "units": String(n)])
        }
        return try await ResellerOrderModel.find(orderID, on: env.db)!
    }

    /// Refunds one credits charge as a new entry the other way; a charge is refunded at most once.
    public static func refundCharge(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, entryID: Int, reason: String) async throws -> Int64 {
        try actor.require(.crm, in: deploymentID)
        guard let e = try await LedgerEntryModel.query(on: env.db).filter(\.$id == entryID).filter(\.$deploymentID == deploymentID).first(),
              e.unit == "CREDITS", e.toAccount == LedgerAccount.operatorSales, let resellerID = e.resellerID else {
            throw DomainError.notFound("The charge")
        }
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        let now = env.now
        let key = "refund:\(entryID)"
        return try await env.write { db in
            if try await LedgerEntryModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$idempotencyKey == key).first() != nil {
                throw DomainError(.conflict, code: "already_refunded", "This charge was already refunded.")
            }
            guard let balance = try await moveBalance(resellerID: resellerID, delta: e.amount, on: db) else { throw DomainError.notFound("The reseller") }
            _ = try await write(Entry(kind: .chargeRefund, from: LedgerAccount.operatorSales, to: LedgerAccount.reseller(resellerID), amount: e.amount, unit: "CREDITS",
                                      reason: reason.isEmpty ? "refund of entry \(entryID)" : reason, resellerID: resellerID, customerID: e.customerID,
                                      planID: e.planID, idempotencyKey: key),
                                deploymentID: deploymentID, actor: actor, at: now, on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "refund_charge", after: ["entry": String(entryID), "amount": String(e.amount), "balance": String(balance)])
            return balance
        }
    }

    /// The reseller's balance log as CSV, oldest first, optionally for one calendar month
    /// (`from` inclusive, `to` exclusive): the monthly statement.
    public static func statementCSV(on db: any Database, resellerID: Int, from: Date? = nil, to: Date? = nil) async throws -> String {
        let q = LedgerEntryModel.query(on: db).filter(\.$resellerID == resellerID)
        if let from { q.filter(\.$at >= from) }
        if let to { q.filter(\.$at < to) }
        let iso = ISO8601DateFormatter()
        let me = LedgerAccount.reseller(resellerID)
        var out = CSV.line(["entry", "at_utc", "movement", "unit", "reason", "customer_id", "order_id", "plan_id", "by"]) + "\r\n"
        for e in try await q.sort(\.$id).all() {
            let incoming = e.toAccount == me || e.toAccount.hasPrefix("order:")
            out += CSV.line([String(e.id!), iso.string(from: e.at), (incoming ? "+" : "-") + String(e.amount), e.unit, e.reason,
                             e.customerID.map(String.init) ?? "", e.orderID.map(String.init) ?? "", e.planID.map(String.init) ?? "", e.actorLabel]) + "\r\n"
        }
        return out
    }

    public struct Mismatch: Sendable, Equatable, CustomStringConvertible {
        public var what: String
        public var stored: Int64
        public var fromLedger: Int64
        public var description: String { "\(what): stored \(stored), ledger says \(fromLedger)" }
    }

    /// Recomputes every reseller balance and every order's units from the entries alone
    /// (`tvms ledger verify`). Empty = consistent.
    public static func verify(on db: any Database) async throws -> [Mismatch] {
        func sum(_ account: String, unit: String) async throws -> Int64 {
            // SUM of BIGINT is NUMERIC on PostgreSQL: cast back so both databases return an integer.
            let row = try await db.sql.raw("""
                SELECT CAST(COALESCE(SUM(CASE WHEN to_account = \(bind: account) THEN amount ELSE 0 END), 0)
                     - COALESCE(SUM(CASE WHEN from_account = \(bind: account) THEN amount ELSE 0 END), 0) AS BIGINT) AS net
                FROM ledger_entries WHERE unit = \(bind: unit) AND (to_account = \(bind: account) OR from_account = \(bind: account))
                """).first()
            return try row?.decode(column: "net", as: Int64.self) ?? 0
        }
        var out: [Mismatch] = []
        for r in try await ResellerModel.query(on: db).all() {
            let net = try await sum(LedgerAccount.reseller(r.id!), unit: "CREDITS")
            if net != r.balance { out.append(Mismatch(what: "reseller \(r.id!) balance", stored: r.balance, fromLedger: net)) }
        }
        for o in try await ResellerOrderModel.query(on: db).all() {
            let net = try await sum(LedgerAccount.order(o.id!), unit: "UNITS")
            if net != Int64(o.remaining) { out.append(Mismatch(what: "order \(o.id!) units left", stored: Int64(o.remaining), fromLedger: net)) }
        }
        return out
    }
}
