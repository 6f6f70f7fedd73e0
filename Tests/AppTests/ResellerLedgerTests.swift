import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite struct ResellerPricingTests {
    @Test func chargeIsTheCreditsPriceLessTheDiscountRoundedHalfUp() {
        #expect(ResellerPricing.charge(creditsPrice: 10, discountBasisPoints: 1000) == 9)
        #expect(ResellerPricing.charge(creditsPrice: 10, discountBasisPoints: 1500) == 9, "8.5 rounds up")
        #expect(ResellerPricing.charge(creditsPrice: 10, discountBasisPoints: 1550) == 8, "8.45 rounds down")
        #expect(ResellerPricing.charge(creditsPrice: 100, discountBasisPoints: 0) == 100)
        #expect(ResellerPricing.charge(creditsPrice: 7, discountBasisPoints: 10_000) == 0)
        #expect(ResellerPricing.basisPoints(percent: "12.5") == 1250 && ResellerPricing.basisPoints(percent: "101") == nil)
    }
}

@Suite(.serialized) struct ResellerLedgerTests {
    func setUp(_ app: Application, type: ResellerType) async throws -> (DemoCRM, ResellerModel) {
        let crm = try await DemoCRM(app)
        var input = ResellerService.Input(name: type == .postpaid ? "Postpaid Shop" : "Prepaid Shop", type: type)
        input.currency = type == .postpaid ? "CREDITS" : "EUR"
        let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: input)
        try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!,
                                         planID: crm.month.id!, discountPercent: "10")
        return (crm, r)
    }

    /// Fires `count` sales at once; returns "sold" or the refusal code of each.
    func concurrentSales(_ crm: DemoCRM, _ r: ResellerModel, count: Int) async throws -> [String] {
        try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<count {
                group.addTask {
                    do {
                        _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, input: sale(crm, i))
                        return "sold"
                    } catch let e as DomainError { return e.code }
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
    }

    func sale(_ crm: DemoCRM, _ i: Int) -> CustomerService.NewCustomer {
        var n = CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR")
        n.contact.lastName = "Sale \(i)"
        return n
    }

    /// The walkthrough: 100 credits, 9 per sale after a 10 % discount; concurrent sales can never
    /// spend more than the balance, on SQLite and PostgreSQL alike.
    @Test func concurrentPostpaidSalesNeverOverspend() async throws {
        try await withTVMS { app, _ in
            let (crm, r) = try await setUp(app, type: .postpaid)
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 100, reason: "opening balance")
            let before = try await CustomerModel.query(on: app.db).count()
            let outcomes = try await concurrentSales(crm, r, count: 20)
            #expect(outcomes.filter { $0 == "sold" }.count == 11)
            #expect(outcomes.filter { $0 == ResellerLedger.insufficientCredits }.count == 9)
            let after = try #require(try await ResellerModel.find(r.id, on: app.db))
            #expect(after.balance == 1, "100 − 11 × 9")
            #expect(try await CustomerModel.query(on: app.db).count() == before + 11, "a refused sale leaves no customer behind")
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == r.id!).count() == 11)
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
            do {
                _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: -2, reason: "correction")
                Issue.record("deducting below zero must be refused")
            } catch let e as DomainError { #expect(e.code == ResellerLedger.insufficientCredits) }
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 50, reason: "top-up", idempotencyKey: "inv-1")
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 50, reason: "top-up", idempotencyKey: "inv-1")
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 51, "a retried top-up counts once")
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    @Test func concurrentPrepaidSalesUseExactlyTheStock() async throws {
        try await withTVMS { app, _ in
            let (crm, r) = try await setUp(app, type: .prepaid)
            let order = try await ResellerLedger.placeOrder(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, planID: crm.month.id!,
                                                            quantity: 10, unitPrice: 800, currency: "EUR", paid: true)
            let outcomes = try await concurrentSales(crm, r, count: 15)
            #expect(outcomes.filter { $0 == "sold" }.count == 10)
            #expect(outcomes.filter { $0 == ResellerLedger.outOfStock }.count == 5)
            let o = try #require(try await ResellerOrderModel.find(order.id, on: app.db))
            #expect(o.used == 10 && o.remaining == 0)
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    @Test func salesAreRefusedForDisabledResellersAndUnassignedPlans() async throws {
        try await withTVMS { app, _ in
            let (crm, r) = try await setUp(app, type: .postpaid)
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 100, reason: "opening balance")
            var yearly = sale(crm, 1)
            yearly.planID = crm.year.id!
            await #expect(throws: DomainError.self) {
                _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, input: yearly)
            }
            var custom = sale(crm, 2)
            custom.login = "mycustomlogin"
            await #expect(throws: DomainError.self) {
                _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, input: custom)
            }
            try await ResellerService.setEnabled(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: r.id!, enabled: false)
            do {
                _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, input: sale(crm, 3))
                Issue.record("a disabled reseller must not sell")
            } catch let e as DomainError { #expect(e.code == "reseller_disabled") }
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 100, "refused sales cost nothing")
        }
    }

    @Test func ledgerVerifyCommandFindsTampering() async throws {
        try await withTVMS { app, _ in
            let (crm, r) = try await setUp(app, type: .postpaid)
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 30, reason: "opening balance")
            _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, input: sale(crm, 1))
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
            try await app.db.sql.raw("UPDATE resellers SET balance = balance + 5 WHERE id = \(bind: r.id!)").run()
            let found = try await ResellerLedger.verify(on: app.db)
            #expect(found == [ResellerLedger.Mismatch(what: "reseller \(r.id!) balance", stored: 26, fromLedger: 21)])
        }
    }
}

@Suite(.serialized) struct ResellerRenewalAndRefundTests {
    @Test func renewalsAreChargedAndRefundsAreNewEntries() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Shop", type: .postpaid))
            try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!,
                                             planID: crm.month.id!, discountPercent: "10")
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 20, reason: "opening balance")
            let sold = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                     input: CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR")).customer
            let renewed = try await ResellerLedger.renew(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: sold.id!)
            #expect(renewed.expiresAt! > sold.expiresAt!)
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 2)
            await #expect(throws: DomainError.self, "2 credits cannot pay a 9-credit renewal") {
                _ = try await ResellerLedger.renew(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: sold.id!)
            }
            #expect(try await CustomerModel.find(sold.id, on: app.db)?.expiresAt == renewed.expiresAt, "a refused renewal changes nothing")
            await #expect(throws: DomainError.self, "another seller's customer") {
                _ = try await ResellerLedger.renew(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: 1)
            }
            let charge = try #require(try await LedgerEntryModel.query(on: app.db).filter(\.$customerID == sold.id!).filter(\.$toAccount == LedgerAccount.operatorSales).first())
            #expect(try await ResellerLedger.refundCharge(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, entryID: charge.id!, reason: "goodwill") == 11)
            await #expect(throws: DomainError.self, "refunded once only") {
                _ = try await ResellerLedger.refundCharge(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, entryID: charge.id!, reason: "again")
            }
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    @Test func unusedUnitsCanBeRefundedAndOrdersCancelled() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var input = ResellerService.Input(name: "Box Shop", type: .prepaid)
            input.currency = "EUR"
            let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: input)
            try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!,
                                             planID: crm.month.id!, discountPercent: "0")
            let order = try await ResellerLedger.placeOrder(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, planID: crm.month.id!,
                                                            quantity: 5, unitPrice: 700, currency: "EUR", paid: false)
            for _ in 0..<2 {
                _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                  input: CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR"))
            }
            var o = try await ResellerLedger.refundUnits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, orderID: order.id!, units: 1, cancel: false)
            #expect(o.remaining == 2 && o.refunded == 1)
            await #expect(throws: DomainError.self, "only unused units") {
                _ = try await ResellerLedger.refundUnits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, orderID: order.id!, units: 3, cancel: false)
            }
            o = try await ResellerLedger.refundUnits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, orderID: order.id!, units: nil, cancel: true)
            #expect(o.status == "cancelled" && o.remaining == 0 && o.used == 2)
            do {
                _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                  input: CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR"))
                Issue.record("a cancelled order has no stock")
            } catch let e as DomainError { #expect(e.code == ResellerLedger.outOfStock) }
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }
}

@Suite(.serialized) struct ResellerConsoleTests {
    @Test func operatorManagesResellersThroughTheConsole() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            #expect(try await b.get("/crm/resellers/new").status == .ok)
            let bad = try await b.post("/crm/resellers", [("name", ""), ("type", "postpaid"), ("currency", "EUR")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("postpaid resellers work in CREDITS"))
            #expect(try await b.post("/crm/resellers", [("name", "Corner Shop"), ("type", "postpaid"), ("currency", "CREDITS"), ("mobile", "+31611122233")]).status == .seeOther)
            let r = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Corner Shop").first())
            let base = "/crm/resellers/\(r.id!)"
            try await b.post("\(base)/plans", [("plan", "\(crm.basic.id!):\(crm.month.id!)"), ("discount", "10")])
            try await b.post("\(base)/credits", [("amount", "100"), ("reason", "paid invoice 2026-001")])
            let page = try await b.get(base)
            #expect(page.body.string.contains("100 credits") && page.body.string.contains("paid invoice 2026-001") && page.body.string.contains("10.00 %"))
            _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                              input: CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR"))
            let list = try await b.get("/crm/resellers")
            #expect(list.body.string.contains("Corner Shop") && list.body.string.contains("91 credits"))
            try await b.post("\(base)/delete")
            #expect(try await ResellerModel.find(r.id, on: app.db) != nil, "a reseller with customers and credits is not deleted")
            #expect(try await b.get("/crm/resellers").body.string.contains("still has 1 customer(s)"))
            try await b.post("\(base)/credits", [("amount", "-500"), ("reason", "too much")])
            #expect(try await b.get(base).body.string.contains("fewer than 500 credits"))
            try await b.post("\(base)/disable")
            #expect(try await ResellerModel.find(r.id, on: app.db)?.enabled == false)

            #expect(try await b.post("/crm/resellers", [("name", "Box Shop"), ("type", "prepaid"), ("currency", "EUR")]).status == .seeOther)
            let p = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Box Shop").first())
            try await b.post("/crm/resellers/\(p.id!)/orders", [("plan", "\(crm.basic.id!):\(crm.month.id!)"), ("quantity", "10"), ("unitPrice", "7.50"), ("paid", "on")])
            let order = try #require(try await ResellerOrderModel.query(on: app.db).filter(\.$resellerID == p.id!).first())
            #expect(order.quantity == 10 && order.unitPrice == 750 && order.paid)
            try await b.post("/crm/resellers/\(p.id!)/orders/\(order.id!)/refund")
            #expect(try await ResellerOrderModel.find(order.id, on: app.db)?.status == "cancelled")
            try await b.post("/crm/resellers/\(p.id!)/delete")
            #expect(try await ResellerModel.find(p.id, on: app.db) == nil, "nothing left: deleted")
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
            let actions = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "reseller").all().map(\.action)
            #expect(Set(actions).isSuperset(of: ["create", "assign_plan", "add_balance", "disable", "order", "cancel_order", "delete"]))
        }
    }
}

/// Deterministic pseudo-random generator (SplitMix64), so a failing sequence can be replayed
/// from its seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Property: over any sequence of top-ups, deductions, sales, renewals and refunds, the stored
/// balance equals a simple model of it, never goes below the credit floor, and the ledger
/// verifies. Many random sequences, each replayable from its seed.
@Suite(.serialized) struct LedgerPropertyTests {
    @Test(arguments: [UInt64(1), 7, 42, 2026, 31337])
    func randomSequencesKeepTheLedgerExact(seed: UInt64) async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var input = ResellerService.Input(name: "Prop \(seed)", type: .postpaid)
            input.creditLimit = 5
            let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: input)
            try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!,
                                             planID: crm.month.id!, discountPercent: "15")
            let cost: Int64 = 9 // 10 credits at 15 %, 8.5 rounded half up
            var rng = SeededGenerator(seed: seed)
            var model: Int64 = 0
            var customers: [Int] = []
            var charges: [Int] = []
            for step in 0..<60 {
                switch Int.random(in: 0..<5, using: &rng) {
                case 0:
                    let amount = Int64.random(in: 1...40, using: &rng)
                    _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: amount, reason: "top-up \(step)")
                    model += amount
                case 1:
                    let amount = Int64.random(in: 1...30, using: &rng)
                    do {
                        _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: -amount, reason: "deduct \(step)")
                        model -= amount
                    } catch let e as DomainError where e.code == ResellerLedger.insufficientCredits {
                        #expect(model - amount < -5, "refused only when it would cross the floor (seed \(seed), step \(step))")
                    }
                case 2:
                    do {
                        let c = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                              input: CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR")).customer
                        customers.append(c.id!)
                        model -= cost
                    } catch let e as DomainError where e.code == ResellerLedger.insufficientCredits {
                        #expect(model - cost < -5, "seed \(seed), step \(step)")
                    }
                case 3:
                    guard let id = customers.randomElement(using: &rng) else { continue }
                    do {
                        _ = try await ResellerLedger.renew(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: id)
                        model -= cost
                    } catch let e as DomainError where e.code == ResellerLedger.insufficientCredits {
                        #expect(model - cost < -5, "seed \(seed), step \(step)")
                    }
                default:
                    let refundable = try await LedgerEntryModel.query(on: app.db).filter(\.$resellerID == r.id!)
                        .filter(\.$toAccount == LedgerAccount.operatorSales).all().compactMap(\.id).filter { !charges.contains($0) }
                    guard let entry = refundable.randomElement(using: &rng) else { continue }
                    _ = try await ResellerLedger.refundCharge(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, entryID: entry, reason: "refund \(step)")
                    charges.append(entry)
                    model += cost
                }
                let stored = try #require(try await ResellerModel.find(r.id, on: app.db)).balance
                #expect(stored == model && stored >= -5, "seed \(seed), step \(step)")
            }
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty, "seed \(seed)")
        }
    }
}

@Suite(.serialized) struct ResellerPortalTests {
    @Test func resellersSellInTheirPortalAndSeeOnlyTheirOwnWorld() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var op = Browser(app)
            try await op.login("owner@demo.tvms", "demo1234")
            for name in ["North Shop", "South Shop"] {
                try await op.post("/crm/resellers", [("name", name), ("type", "postpaid"), ("currency", "CREDITS")])
            }
            let north = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "North Shop").first())
            let south = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "South Shop").first())
            for (r, email) in [(north, "north@shops.test"), (south, "south@shops.test")] {
                try await op.post("/crm/resellers/\(r.id!)/plans", [("plan", "\(crm.basic.id!):\(crm.month.id!)"), ("discount", "10")])
                try await op.post("/crm/resellers/\(r.id!)/login", [("email", email), ("password", "shop-password")])
            }
            try await op.post("/crm/resellers/\(north.id!)/credits", [("amount", "20"), ("reason", "invoice N-1")])
            try await op.post("/crm/resellers/\(south.id!)/credits", [("amount", "50"), ("reason", "invoice S-1")])
            let southCustomer = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: south.id!,
                                                              input: CustomerService.NewCustomer(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR")).customer

            var n = Browser(app)
            try await n.login("north@shops.test", "shop-password")
            let home = try await n.get("/")
            #expect(home.status == .seeOther && home.headers.first(name: .location) == "/portal")
            let dash = try await n.get("/portal")
            #expect(dash.body.string.contains(">20<") && dash.body.string.contains("costs 9 credits"))
            #expect(!dash.body.string.contains("System Users") && !dash.body.string.contains("href=\"/crm/customers\""))
            for i in 1...2 {
                let sold = try await n.post("/portal/customers", [("plan", "\(crm.basic.id!):\(crm.month.id!)"), ("lastName", "North \(i)")])
                #expect(sold.status == .seeOther && sold.headers.first(name: .location) == "/portal/credentials")
                let sheet = try await n.get("/portal/credentials")
                #expect(sheet.body.string.contains("Password</dt>"))
            }
            let refused = try await n.post("/portal/customers", [("plan", "\(crm.basic.id!):\(crm.month.id!)"), ("lastName", "North 3")])
            #expect(refused.status == .conflict && refused.body.string.contains("Not enough credits: this costs 9 and North Shop has 2"))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "North 3").count() == 0)
            #expect(try await ResellerModel.find(north.id, on: app.db)?.balance == 2)

            let mine = try await n.get("/portal/customers")
            #expect(mine.body.string.contains("North 1") && mine.body.string.contains("North 2"))
            #expect(!mine.body.string.contains(southCustomer.login) && !mine.body.string.contains("demoviewer"))
            #expect(try await n.get("/crm/customers").status == .forbidden)
            #expect(try await n.post("/portal/customers/\(southCustomer.id!)/disable").status == .notFound, "another reseller's customer does not exist here")
            #expect(try await n.post("/portal/customers/1/renew").status == .notFound)
            #expect(try await CustomerModel.find(southCustomer.id, on: app.db)?.disabled == false)
            let statement = try await n.get("/portal/statement.csv")
            let lines = statement.body.string.split(separator: "\r\n")
            #expect(lines.count == 4 && lines[1].contains(",+20,CREDITS,invoice N-1,") && lines[2].contains(",-9,CREDITS,new customer "))
            #expect(try await n.get("/portal/statement.csv?month=1999-01").body.string.split(separator: "\r\n").count == 1, "nothing in that month")
            #expect(try await op.get("/crm/resellers/\(south.id!)/statement.csv").body.string.contains("invoice S-1"))
            let log = try await n.get("/portal/ledger")
            #expect(log.body.string.contains("+20 credits") && log.body.string.contains("−9 credits"))
            #expect(!log.body.string.contains("invoice S-1"))

            try await op.post("/crm/resellers/\(north.id!)/disable")
            let after = try await n.get("/portal")
            #expect(after.status == .seeOther && after.headers.first(name: .location) == "/login", "a disabled reseller's session ends")
            let again = try await n.login("north@shops.test", "shop-password")
            #expect(again.body.string.contains("This reseller account is disabled"))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == north.id!).filter(\.$status == "active").count() == 2,
                    "its customers keep their service")
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }
}

@Suite(.serialized) struct DemoResellerTests {
    @Test func demoResellersHaveTheirBalanceStockAndCustomers() async throws {
        try await withTVMS { app, _ in
            try await DemoData.loadResellers(app.serviceEnvironment)
            try await DemoData.loadResellers(app.serviceEnvironment) // idempotent
            let post = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Demo Postpaid Reseller").first())
            let pre = try #require(try await ResellerModel.query(on: app.db).filter(\.$name == "Demo Prepaid Reseller").first())
            #expect(post.balance == 100)
            #expect(try await ResellerOrderModel.query(on: app.db).filter(\.$resellerID == pre.id!).all().map(\.remaining).sorted() == [0, 10])
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == post.id!).count() == 3)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == pre.id!).count() == 3)
            var b = Browser(app)
            try await b.login(DemoData.postpaidResellerEmail, DemoData.resellerPassword)
            let mine = try await b.get("/portal/customers")
            #expect(mine.body.string.contains("Postpaid customer 3") && !mine.body.string.contains("Prepaid customer"))
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }
}

@Suite(.serialized) struct ResellerAPITests {
    @Test func resellersThroughRESTv1() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let token = try await ownerToken(app)
            let base = "/api/v1/deployments/\(crm.deploymentID)/resellers"
            let bad = try await api(app, .POST, base, token: token, json: #"{"name":"X","type":"postpaid","currency":"EUR"}"#)
            #expect(bad.status == .unprocessableEntity)
            let made = try await api(app, .POST, base, token: token, json: #"{"name":"API Shop","type":"postpaid"}"#)
            #expect(made.status == .created)
            let id = try #require(try jsonObject(made)["id"] as? Int)
            _ = try await api(app, .POST, "\(base)/\(id)/plans", token: token, json: #"{"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!),"discountPercent":"10"}"#)
            for _ in 0..<2 {
                let r = try await api(app, .POST, "\(base)/\(id)/credits", token: token, json: #"{"amount":20,"reason":"invoice","idempotencyKey":"inv-9"}"#)
                #expect(try jsonObject(r)["balance"] as? Int == 20)
            }
            let sold = try await api(app, .POST, "\(base)/\(id)/customers", token: token, json: #"{"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!)}"#)
            #expect(sold.status == .created)
            let cid = try #require((try jsonObject(sold)["customer"] as? [String: Any])?["id"] as? Int)
            let renewed = try await api(app, .POST, "\(base)/\(id)/customers/\(cid)/renew", token: token)
            #expect(renewed.status == .ok)
            let broke = try await api(app, .POST, "\(base)/\(id)/customers", token: token, json: #"{"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!)}"#)
            #expect(broke.status == .conflict && broke.body.string.contains(ResellerLedger.insufficientCredits))
            let ledger = try await api(app, .GET, "\(base)/\(id)/ledger?limit=2", token: token)
            let page = try jsonObject(ledger)
            #expect((page["data"] as? [[String: Any]])?.count == 2 && page["nextCursor"] as? String != nil)
            let got = try await api(app, .GET, "\(base)/\(id)", token: token)
            #expect(try jsonObject(got)["balance"] as? Int == 2)

            // Idempotency-Key on REST writes: a retried sale returns the first answer, charged once.
            _ = try await api(app, .POST, "\(base)/\(id)/credits", token: token, json: #"{"amount":100,"reason":"top-up"}"#)
            let saleBody = #"{"productId":\#(crm.basic.id!),"planId":\#(crm.month.id!)}"#
            let first = try await keyed(app, "\(base)/\(id)/customers", token: token, key: "shop-order-77", json: saleBody)
            let retry = try await keyed(app, "\(base)/\(id)/customers", token: token, key: "shop-order-77", json: saleBody)
            #expect(first.status == .created && retry.status == .created && retry.body.string == first.body.string)
            #expect(retry.headers.first(name: "Idempotent-Replayed") == "true")
            #expect(try await ResellerModel.find(id, on: app.db)?.balance == 102 - 9)

            // The reseller's own token: its own account only, and never money or stock.
            try await ResellerService.setLogin(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: id, email: "api@shop.test", password: "shop-pass-1")
            let login = try await api(app, .POST, "/api/v1/auth/login", json: #"{"email":"api@shop.test","password":"shop-pass-1","tokenName":"mine"}"#)
            let mine = try #require(try jsonObject(login)["token"] as? String)
            #expect(try await api(app, .GET, "\(base)/\(id)", token: mine).status == .ok)
            #expect(try await api(app, .POST, "\(base)/\(id)/customers", token: mine, json: saleBody).status == .created)
            let topUp = try await api(app, .POST, "\(base)/\(id)/credits", token: mine, json: #"{"amount":1000,"reason":"free money"}"#)
            #expect(topUp.status == .forbidden)
            #expect(try await api(app, .POST, "\(base)/\(id)/plans", token: mine, json: #"{"productId":\#(crm.basic.id!),"planId":\#(crm.year.id!),"discountPercent":"100"}"#).status == .forbidden)
            let other = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Other", type: .postpaid))
            #expect(try await api(app, .GET, "\(base)/\(other.id!)", token: mine).status == .notFound)
            #expect(try await api(app, .GET, "/api/v1/deployments/\(crm.deploymentID)/customers", token: mine).status == .forbidden)
            #expect(try await ResellerModel.find(id, on: app.db)?.balance == 102 - 18)
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    func keyed(_ app: Application, _ path: String, token: String, key: String, json: String) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders([("Idempotency-Key", key)])
        h.bearerAuthorization = .init(token: token)
        h.contentType = .json
        return try await app.testing().sendRequest(.POST, path, headers: h, body: ByteBuffer(string: json))
    }
}
