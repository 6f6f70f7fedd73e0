import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// The first bytes of a PNG of the given size: all the sniffer reads.
func pngHeader(width: Int, height: Int) -> [UInt8] {
    func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(width) + be32(height) + [8, 6, 0, 0, 0, 0, 0, 0, 0]
}

@Suite(.serialized) struct ResellerExtrasTests {
    func postpaid(_ crm: DemoCRM, credits: Int64) async throws -> ResellerModel {
        let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Extras Shop", type: .postpaid))
        for plan in [crm.month, crm.year] {
            try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!,
                                             planID: plan.id!, discountPercent: "10")
        }
        _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: credits, reason: "opening")
        return r
    }

    func sportsPlan(_ app: Application) async throws -> PaymentPlanModel {
        try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$name == "Sports 1 month").first())
    }

    /// Product changes and extra packages sold by a reseller are charged like sales, together with
    /// the change itself; a charge the balance cannot cover changes nothing.
    @Test func productChangesAndExtraPackagesAreCharged() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let r = try await postpaid(crm, credits: 100)
            let sale = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                     input: .init(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR"))
            let id = sale.customer.id!
            // 12 months: 100 credits less 10 % = 90; 100 − 9 − 90 = 1 left.
            let changed = try await ResellerLedger.changeProduct(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: id,
                                                                 productID: crm.basic.id!, planID: crm.year.id!)
            #expect(changed.planID == crm.year.id)
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 1)
            let sports = try await sportsPlan(app)
            do {
                _ = try await ResellerLedger.sellExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: id,
                                                              planID: sports.id!, synced: false)
                Issue.record("an unmapped extra package must be refused")
            } catch let e as DomainError { #expect(e.code == "package_not_mapped") }
            try await ResellerExtras.mapExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                     extraPackageID: sports.extraPackageID!, creditsPrice: "", discountPercent: "10")
            do {
                _ = try await ResellerLedger.sellExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: id,
                                                              planID: sports.id!, synced: true)
                Issue.record("5 credits with 1 left must be refused")
            } catch let e as DomainError { #expect(e.code == ResellerLedger.insufficientCredits) }
            #expect(try await CustomerExtraPackageModel.query(on: app.db).filter(\.$customerID == id).count() == 0, "a refused sale adds no package")
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 10, reason: "top-up")
            // A mapped price of its own replaces the plan's: 8 credits less 10 % = 7.2 → 7.
            try await ResellerExtras.mapExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                     extraPackageID: sports.extraPackageID!, creditsPrice: "8", discountPercent: "10")
            let e = try await ResellerLedger.sellExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, customerID: id,
                                                              planID: sports.id!, synced: true)
            #expect(e.synced && e.expiresAt == changed.expiresAt)
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 11 - 7)
            let kinds = try await LedgerEntryModel.query(on: app.db).filter(\.$resellerID == r.id!).sort(\.$id).all().map(\.kind)
            #expect(kinds == ["top_up", "sale", "product_change", "top_up", "extra_package"])
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)

            let months = try await ResellerPerformance.monthly(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!)
            #expect(months.count == 12)
            #expect(months.last?.sales == 1 && months.last?.otherSales == 2 && months.last?.creditsSpent == 9 + 90 + 7 && months.last?.active == 1)
            #expect(months.dropLast().allSatisfy { $0.sales == 0 && $0.active == 0 })
        }
    }

    @Test func operatorTabsDomainsAndBranding() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let r = try await postpaid(crm, credits: 50)
            let other = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Other Shop", type: .postpaid))
            _ = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                              input: .init(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR"))
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let base = "/crm/resellers/\(r.id!)"

            // Update Reseller: switching to prepaid with credits left is refused, the rest saves.
            let refused = try await b.post("\(base)/edit", [("name", "Extras Shop"), ("type", "prepaid"), ("currency", "EUR")])
            #expect(refused.status == .unprocessableEntity && refused.body.string.contains("settle the balance"))
            #expect(try await b.post("\(base)/edit", [("name", "Extras Shop BV"), ("type", "postpaid"), ("currency", "CREDITS"), ("mobile", "+31600000001"),
                                                      ("allowCustomLogin", "on")]).status == .seeOther)
            let saved = try #require(try await ResellerModel.find(r.id, on: app.db))
            #expect(saved.name == "Extras Shop BV" && saved.allowCustomLogin && saved.balance == 41, "editing never touches the balance")

            let perf = try await b.get("\(base)/performance")
            #expect(perf.status == .ok && perf.body.string.contains("<svg") && perf.body.string.contains("Credits spent"))
            let csv = try await b.get("\(base)/performance.csv")
            #expect(csv.body.string.split(separator: "\r\n").count == 13, "a header and twelve months")
            #expect(csv.body.string.split(separator: "\r\n").last?.contains(",1,0,0,9,0,1,0") == true, "this month: one sale, 9 credits, one active")

            // Domain mapping: normalised, unique across resellers, removable.
            try await b.post("\(base)/domains", [("hostname", "TV.Extras-Shop.example.")])
            #expect(try await HostnameModel.query(on: app.db).filter(\.$resellerID == r.id!).first()?.hostname == "tv.extras-shop.example")
            try await b.post("/crm/resellers/\(other.id!)/domains", [("hostname", "tv.extras-shop.example")])
            #expect(try await b.get("/crm/resellers/\(other.id!)/domains").body.string.contains("already belongs to another reseller"))
            try await b.post("\(base)/domains", [("hostname", "http://x/y")])
            #expect(try await b.get("\(base)/domains").body.string.contains("must be a host name"))
            #expect(try await ResellerExtras.reseller(forHost: "tv.extras-shop.example:443", on: app.db)?.resellerID == r.id)

            // Branding: a real image is stored and served; a disguised file changes nothing.
            let logo = Data(pngHeader(width: 400, height: 120))
            let ok = try await b.upload("\(base)/branding", fields: [("selectionColour", "#ff8800"), ("supportText", "Call 0800-TV")],
                                        files: [("logo", "logo.png", logo)])
            #expect(ok.status == .seeOther)
            let branding = try #require(try await ResellerBrandingModel.find(r.id, on: app.db))
            #expect(branding.selectionColour == "#FF8800" && branding.supportText == "Call 0800-TV")
            let logoID = try #require(branding.logoID)
            let served = try await app.testing().sendRequest(.GET, "/media/\(logoID.uuidString.lowercased())")
            #expect(served.status == .ok && served.headers.contentType == .png && Data(buffer: served.body) == logo)
            #expect(served.headers.first(name: .cacheControl)?.contains("immutable") == true)
            let disguised = try await b.upload("\(base)/branding", fields: [("selectionColour", "#000000"), ("supportText", "changed")],
                                               files: [("background", "bg.png", Data("<svg><script>alert(1)</script></svg>".utf8))])
            #expect(disguised.status == .unprocessableEntity && disguised.body.string.contains("must be a PNG, JPEG or WebP image"))
            let huge = try await b.upload("\(base)/branding", fields: [("selectionColour", "#000000"), ("supportText", "")],
                                          files: [("logo", "huge.png", Data(pngHeader(width: 5000, height: 100)))])
            #expect(huge.status == .unprocessableEntity && huge.body.string.contains("5000×100 pixels; at most 1024 on each side"))
            let badColour = try await b.upload("\(base)/branding", fields: [("selectionColour", "orange"), ("supportText", "")], files: [])
            #expect(badColour.status == .unprocessableEntity && badColour.body.string.contains("must be a colour like #FF8800"))
            let after = try #require(try await ResellerBrandingModel.find(r.id, on: app.db))
            #expect(after.selectionColour == "#FF8800" && after.supportText == "Call 0800-TV" && after.logoID == logoID && after.backgroundID == nil,
                    "a refused upload leaves the old branding intact")
            // Replacing the logo deletes the old image.
            try await b.upload("\(base)/branding", fields: [("selectionColour", "#FF8800"), ("supportText", "Call 0800-TV")],
                               files: [("logo", "logo2.png", Data(pngHeader(width: 200, height: 60)))])
            #expect(try await MediaAssetModel.find(logoID, on: app.db) == nil)
            #expect(try await app.testing().sendRequest(.GET, "/media/\(logoID.uuidString)").status == .notFound)

            let actions = Set(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "reseller").filter(\.$entityID == String(r.id!)).all().map(\.action))
            #expect(actions.isSuperset(of: ["update", "add_domain", "update_branding"]))
        }
    }

    /// The reseller edits its own branding in the portal, sells an extra package on a customer's
    /// page, and cannot reach the operator's tabs or another reseller's customer.
    @Test func portalBrandingAndCustomerPage() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let r = try await postpaid(crm, credits: 30)
            try await ResellerService.setLogin(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: r.id!, email: "shop@extras.test", password: "shop-pass-1")
            let sports = try await sportsPlan(app)
            try await ResellerExtras.mapExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                     extraPackageID: sports.extraPackageID!, creditsPrice: "", discountPercent: "0")
            let mine = try await ResellerLedger.sell(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!,
                                                     input: .init(productID: crm.basic.id!, planID: crm.month.id!, currency: "EUR"))
            let direct = try await crm.customer()
            var b = Browser(app)
            try await b.login("shop@extras.test", "shop-pass-1")
            let page = try await b.get("/portal/customers/\(mine.customer.id!)")
            #expect(page.status == .ok && page.body.string.contains("Sports 1 month — costs 5 credits"))
            try await b.post("/portal/customers/\(mine.customer.id!)/extra-packages", [("plan", String(sports.id!))])
            #expect(try await CustomerExtraPackageModel.query(on: app.db).filter(\.$customerID == mine.customer.id!).count() == 1)
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 30 - 9 - 5)
            try await b.post("/portal/customers/\(mine.customer.id!)/renew", [("plan", "\(crm.basic.id!):\(crm.year.id!)")])
            #expect(try await b.get("/portal/customers/\(mine.customer.id!)").body.string.contains("Not enough credits"), "90 credits with 16 left")
            #expect(try await b.get("/portal/customers/\(direct.customer.id!)").status == .notFound)
            try await b.post("/portal/customers/\(direct.customer.id!)/extra-packages", [("plan", String(sports.id!))])
            #expect(try await CustomerExtraPackageModel.query(on: app.db).filter(\.$customerID == direct.customer.id!).count() == 0)
            #expect(try await b.get("/crm/resellers/\(r.id!)/branding").status == .forbidden)
            #expect(try await b.get("/portal/performance").body.string.contains("<svg"))
            let allLog = try await b.get("/portal/ledger")
            #expect(allLog.body.string.contains("extra package Sports 1 month"))
            let oldMonth = try await b.get("/portal/ledger?month=2001-01")
            #expect(oldMonth.body.string.contains("Balance log — 2001-01") && oldMonth.body.string.contains("No movement yet"))
            let saved = try await b.upload("/portal/branding", fields: [("selectionColour", "#123abc"), ("supportText", "Shop support: +31 20 000")], files: [])
            #expect(saved.status == .seeOther)
            #expect(try await ResellerBrandingModel.find(r.id, on: app.db)?.selectionColour == "#123ABC")
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    @Test func stockIsImportedCheckedAndAssignedAsALinkedDevice() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            #expect(try await b.post("/crm/dealers", [("name", "Box Co"), ("phone", "+31201234567"), ("enabled", "on")]).status == .seeOther)
            #expect(try await b.post("/crm/models", [("name", "MAG 524"), ("vendor", "Infomir"), ("kind", "stb")]).status == .seeOther)
            let dup = try await b.post("/crm/models", [("name", "MAG 524"), ("vendor", "Infomir"), ("kind", "stb")])
            #expect(dup.status == .unprocessableEntity && dup.body.string.contains("already exists"))
            let dealer = try #require(try await DealerModel.query(on: app.db).first())
            let model = try #require(try await DeviceModelModel.query(on: app.db).first())

            let bad = """
                mac,serial,model,note
                00:1A:79:00:00:01,SN-1,MAG 524,ok
                00-1a-79-00-00-01,SN-2,MAG 524,same MAC again
                zz:1A:79:00:00:03,SN-3,MAG 524,bad MAC
                00:1A:79:00:00:04,SN-4,MAG 999,unknown model
                ,,MAG 524,nothing
                """
            let refused = try await b.upload("/crm/stock/import", fields: [("dealer", String(dealer.id!))], files: [("file", "boxes.csv", Data(bad.utf8))])
            #expect(refused.status == .unprocessableEntity)
            for text in ["appears twice in the file (also line 2)", "is not a MAC address", "is not a model (add it under Stocks", "give a MAC address or a serial number"] {
                #expect(refused.body.string.contains(text), "\(text)")
            }
            #expect(try await StockItemModel.query(on: app.db).count() == 0, "a refused import adds nothing")

            let good = "001A79000001,SN-1\n00:1a:79:00:00:02,SN-2\n00:1A:79:00:00:03,\n"
            #expect(try await b.upload("/crm/stock/import", fields: [("model", String(model.id!)), ("dealer", String(dealer.id!))],
                                       files: [("file", "boxes.csv", Data(good.utf8))]).status == .seeOther)
            #expect(try await StockItemModel.query(on: app.db).filter(\.$state == "in_stock").filter(\.$dealerID == dealer.id!).count() == 3)
            let again = try await b.upload("/crm/stock/import", fields: [("model", String(model.id!))], files: [("file", "boxes.csv", Data("00:1A:79:00:00:02,SN-9\n".utf8))])
            #expect(again.body.string.contains("00:1a:79:00:00:02 is already in stock"))

            let customer = try await crm.customer()
            let box = try #require(try await StockItemModel.query(on: app.db).filter(\.$serial == "SN-1").first())
            try await b.post("/crm/stock/\(box.id!)/assign", [("customer", String(customer.customer.id!))])
            let assigned = try #require(try await StockItemModel.find(box.id, on: app.db))
            #expect(assigned.state == "assigned" && assigned.customerID == customer.customer.id)
            let device = try #require(try await CustomerDeviceModel.find(assigned.deviceID, on: app.db))
            #expect(device.linked && device.mac == "00:1a:79:00:00:01" && device.serial == "SN-1" && device.model == "MAG 524")
            let other = try await crm.customer()
            try await b.post("/crm/stock/\(box.id!)/assign", [("customer", String(other.customer.id!))])
            #expect(try await b.get("/crm/stock/\(box.id!)").body.string.contains("cannot be assigned"))
            #expect(try await StockItemModel.find(box.id, on: app.db)?.customerID == customer.customer.id)
            try await b.post("/crm/dealers/\(dealer.id!)/delete")
            #expect(try await DealerModel.find(dealer.id, on: app.db) != nil, "a dealer with boxes stays")
            try await b.post("/crm/models/\(model.id!)/delete")
            #expect(try await DeviceModelModel.find(model.id, on: app.db) != nil, "a model in use stays")

            try await b.post("/crm/stock/\(box.id!)/unassign", [("state", "faulty")])
            #expect(try await StockItemModel.find(box.id, on: app.db)?.state == "faulty")
            #expect(try await CustomerDeviceModel.find(device.id, on: app.db) == nil, "taking the box back unlinks it")
            try await b.post("/crm/stock/\(box.id!)/assign", [("customer", String(other.customer.id!))])
            #expect(try await StockItemModel.find(box.id, on: app.db)?.state == "faulty", "a faulty box is not handed out")
            let list = try await b.get("/crm/stock?state=faulty")
            #expect(list.body.string.contains("SN-1") && !list.body.string.contains("SN-2"))
            let stockActions = Set(try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "stock").all().map(\.action))
            #expect(stockActions.isSuperset(of: ["import", "assign", "unassign"]))
        }
    }
}
