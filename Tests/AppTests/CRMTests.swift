import Fluent
import Foundation
import Testing
import VaporTesting
import ZIPFoundation
@testable import App
@testable import Domain
@testable import Services
import Storage

/// Shortcuts into the demo deployment's CRM.
struct DemoCRM {
    let app: Application
    let deploymentID: UUID
    let basic: ProductModel
    let month: PaymentPlanModel
    let year: PaymentPlanModel
    var env: ServiceEnvironment { app.serviceEnvironment }
    let actor = Principal.system("test")

    init(_ app: Application) async throws {
        self.app = app
        let d = try #require(try await DeploymentModel.query(on: app.db).filter(\.$cmsService == "democms").first())
        deploymentID = d.id!
        basic = try #require(try await ProductModel.query(on: app.db).filter(\.$name == "Basic Monthly").first())
        month = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$name == "1 month").first())
        year = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$name == "12 months").first())
    }

    func customer(login: String = "", startFromFirstLogin: Bool? = nil, mutate: (inout CustomerService.NewCustomer) -> Void = { _ in }) async throws -> CustomerService.Created {
        var n = CustomerService.NewCustomer(productID: basic.id!, planID: month.id!, currency: "EUR")
        n.login = login
        n.startFromFirstLogin = startFromFirstLogin
        mutate(&n)
        return try await CustomerService.create(env, actor: actor, deploymentID: deploymentID, input: n)
    }

    func reload(_ c: CustomerModel) async throws -> CustomerModel {
        try #require(try await CustomerModel.find(c.id, on: app.db))
    }
}

func utcText(_ d: Date?) -> String {
    guard let d else { return "nil" }
    let f = DateFormatter()
    f.dateFormat = "yyyy-MM-dd HH:mm"
    f.timeZone = TimeZone(identifier: "UTC")
    return f.string(from: d)
}

@Suite(.serialized) struct CRMTests {
    @Test func productsNeedAPricedPlanKeepTheirTypeAndCannotBeDeletedWhileUsed() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let env = crm.env
            let p = try await ProductService.create(env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(
                name: "Hotel", subscriptionType: "regular", paymentType: "subscription", maxDevices: 1, defaultCurrency: "EUR"))
            #expect(try !(await ProductService.details(of: p, on: app.db)).isSellable)
            await #expect(throws: DomainError.self) {
                _ = try await ProductService.addPlan(env, actor: crm.actor, deploymentID: crm.deploymentID, productID: p.id!, input: .init(
                    name: "Day", length: 1, unit: "days", prices: ["EUR": "1.999"]))
            }
            _ = try await ProductService.addPlan(env, actor: crm.actor, deploymentID: crm.deploymentID, productID: p.id!, input: .init(
                name: "Day", length: 1, unit: "days", prices: ["EUR": "0"]))
            #expect(try await ProductService.details(of: p, on: app.db).isSellable, "a price of 0 counts")
            var input = ProductService.Input(p)
            input.subscriptionType = "trial"
            do {
                _ = try await ProductService.update(env, actor: crm.actor, deploymentID: crm.deploymentID, id: p.id!, input: input)
                Issue.record("type change must be refused")
            } catch let e as DomainError {
                #expect(e.fields["subscriptionType"]?.contains("cannot change") == true)
            }
            do {
                try await ProductService.delete(env, actor: crm.actor, deploymentID: crm.deploymentID, id: crm.basic.id!)
                Issue.record("deleting a product in use must be refused")
            } catch let e as DomainError {
                #expect(e.code == "product_in_use" && e.message.contains("3 customers"))
            }
            try await ProductService.delete(env, actor: crm.actor, deploymentID: crm.deploymentID, id: p.id!)
            #expect(try await ProductModel.find(p.id, on: app.db) == nil)
            #expect(try await PaymentPlanModel.query(on: app.db).filter(\.$productID == p.id!).count() == 0)
        }
    }

    @Test func consoleCreatesAProductWithAPlanAndSellsIt() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            try await b.get("/crm/products/new")
            let created = try await b.post("/crm/products", [("name", "Sports Max"), ("subscriptionType", "regular"), ("paymentType", "subscription"),
                                                              ("maxDevices", "2"), ("defaultCurrency", "EUR"), ("allowedCountries", "NL, BE")])
            #expect(created.status == .seeOther)
            let product = try #require(try await ProductModel.query(on: app.db).filter(\.$name == "Sports Max").first())
            #expect(product.allowedCountries == "BE,NL")
            let bad = try await b.post("/crm/products/\(product.id!)/plans", [("name", "Month"), ("length", "1"), ("unit", "months"), ("price_EUR", "abc")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("Price in EUR"))
            #expect(try await b.post("/crm/products/\(product.id!)/plans", [("name", "Month"), ("length", "1"), ("unit", "months"),
                                                                            ("price_EUR", "14.50"), ("creditsPrice", "15")]).status == .seeOther)
            let plans = try await b.get("/crm/products/\(product.id!)?tab=plans")
            #expect(plans.body.string.contains("14.50 EUR") && plans.body.string.contains("15 credits"))

            let form = try await b.get("/crm/customers/new")
            #expect(form.body.string.contains("Sports Max — Month — ends ") && form.body.string.contains("— 14.50 EUR"), "the plan summary shows end date and price")
            let plan = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$productID == product.id!).first())
            let wrongCountry = try await b.post("/crm/customers", [("plan", "\(product.id!):\(plan.id!)"), ("currency", "EUR"), ("country", "DE")])
            #expect(wrongCountry.status == .unprocessableEntity && wrongCountry.body.string.contains("sold only in BE,NL"))
            let sold = try await b.post("/crm/customers", [("plan", "\(product.id!):\(plan.id!)"), ("currency", "EUR"), ("country", "NL"),
                                                           ("firstName", "Eva"), ("mobile", "+31 6 1234 5678"), ("login", "eva.tv")])
            #expect(sold.status == .seeOther)
            let sheet = try await b.get("/crm/customers/credentials")
            #expect(sheet.status == .ok && sheet.body.string.contains("eva.tv"))
            #expect(try await b.get("/crm/customers/credentials").status == .seeOther, "shown once: a reload does not show the password again")
            let password = try #require(sheet.body.string.firstMatch(of: /Password<\/dt><dd class="mono">([^<]+)</)?.1)
            let customer = try #require(try await CustomerModel.query(on: app.db).filter(\.$login == "eva.tv").first())
            #expect(try customer.passwordHash != String(password) && (CustomerService.verifyPassword(app.serviceEnvironment, customer: customer, password: String(password))))
            #expect(customer.mobile == "+31612345678" && customer.status == "active")
            let again = try await b.post("/crm/customers", [("plan", "\(product.id!):\(plan.id!)"), ("currency", "EUR"), ("login", "eva.tv")])
            #expect(again.body.string.contains("already used"))
            let noPrice = try await b.post("/crm/customers", [("plan", "\(product.id!):\(plan.id!)"), ("currency", "USD")])
            #expect(noPrice.body.string.contains("no price in USD"))
        }
    }

    @Test func renewExtendChangeCancelDisableEnable() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            let env = crm.env
            clock.set(Date(timeIntervalSince1970: 1_769_860_800)) // 2026-01-31 12:00 UTC
            let c = try await crm.customer().customer
            #expect(utcText(c.expiresAt) == "2026-02-28 12:00", "Jan 31 + 1 month clamps to Feb 28 (Amsterdam time zone)")

            var r = try await CustomerService.renew(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!)
            #expect(utcText(r.expiresAt) == "2026-03-28 12:00", "renewal counts from the expiry while it is ahead")
            clock.advance(by: 90 * 86_400) // 2026-05-01: expired
            #expect(CustomerService.status(r, product: crm.basic, now: env.now) == .expired)
            #expect(try await !CustomerService.isServed(env, customer: r), "read-time check, before any sweep")
            r = try await CustomerService.renew(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!)
            #expect(utcText(r.expiresAt) == "2026-06-01 12:00" && r.status == "active", "an expired customer renews from today")

            r = try await CustomerService.changeProduct(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, productID: crm.basic.id!, planID: crm.year.id!, fromExpiry: true)
            #expect(utcText(r.expiresAt) == "2027-06-01 12:00" && r.planID == crm.year.id)
            let date = Date(timeIntervalSince1970: 1_893_456_000) // 2030-01-01
            r = try await CustomerService.extend(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, to: date)
            #expect(r.expiresAt == date)

            r = try await CustomerService.setDisabled(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, disabled: true)
            #expect(r.status == "disabled" && r.expiresAt == date, "disable keeps the dates")
            r = try await CustomerService.setDisabled(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, disabled: false)
            #expect(r.status == "active")
            r = try await CustomerService.cancel(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!)
            #expect(r.status == "expired" && r.expiresAt == env.now)
            let actions = try await AuditRecordModel.query(on: app.db).filter(\.$entityID == String(c.id!)).filter(\.$entityType == "customer").all().map(\.action)
            #expect(actions == ["create", "renew", "renew", "change_product", "extend", "disable", "enable", "cancel"])
        }
    }

    @Test func startFromFirstLoginStaysPendingUntilTheFirstLogin() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            let c = try await crm.customer(startFromFirstLogin: true).customer
            #expect(c.status == "pending" && c.expiresAt == nil)
            #expect(try await !CustomerService.isServed(crm.env, customer: c))
            clock.advance(by: 10 * 86_400)
            try await CustomerService.recordFirstLogin(crm.env, customer: c)
            let after = try await crm.reload(c)
            #expect(after.status == "active" && after.startsAt == clock.now)
            #expect(after.expiresAt.map { $0.timeIntervalSince(clock.now) > 27 * 86_400 } == true)
        }
    }

    @Test func deviceLimitIsEnforced() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let c = try await crm.customer().customer
            for i in 1...3 {
                _ = try await CustomerService.registerDeviceInUse(crm.env, customer: c, uuid: "uuid-\(i)", model: "Phone", type: "mobile", ip: "10.0.0.\(i)", appVersion: "9.4")
            }
            _ = try await CustomerService.registerDeviceInUse(crm.env, customer: c, uuid: "uuid-2", model: "Phone", type: "mobile", ip: "10.0.0.9", appVersion: "9.5")
            do {
                _ = try await CustomerService.registerDeviceInUse(crm.env, customer: c, uuid: "uuid-4", model: "TV", type: "tv", ip: "10.0.0.4", appVersion: "9.4")
                Issue.record("a fourth device must be refused")
            } catch let e as DomainError {
                #expect(e.code == "device_limit" && e.message.contains("allows 3 devices"))
            }
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/crm/customers/\(c.id!)?tab=devices")
            #expect(page.body.string.contains("uuid-3") && page.body.string.contains("9.5"))
            let first = try #require(try await CustomerDeviceModel.query(on: app.db).filter(\.$uuid == "uuid-1").first())
            try await b.post("/crm/customers/\(c.id!)/devices/\(first.id!)/delete")
            _ = try await CustomerService.registerDeviceInUse(crm.env, customer: c, uuid: "uuid-4", model: "TV", type: "tv", ip: "10.0.0.4", appVersion: "9.4")

            let linked = try await b.post("/crm/customers/\(c.id!)/devices", [("mac", "00-1A-79-AA-BB-CC"), ("model", "MAG 524")])
            #expect(linked.status == .seeOther)
            let other = try await crm.customer().customer
            await #expect(throws: DomainError.self) {
                _ = try await CustomerService.linkDevice(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: other.id!, mac: "001a79aabbcc", serial: "", model: "")
            }
            let bad = try await b.post("/crm/customers/\(c.id!)/devices", [("mac", "not-a-mac")])
            #expect(bad.status == .unprocessableEntity && bad.body.string.contains("not a MAC address"))
        }
    }

    @Test func walletNeverGoesNegativeAndRetriesDoNotActTwice() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let c = try await crm.customer().customer
            let env = crm.env
            _ = try await CustomerService.walletMove(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, amount: 1000, reason: "top-up", idempotencyKey: "pay-1")
            _ = try await CustomerService.walletMove(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, amount: 1000, reason: "top-up", idempotencyKey: "pay-1")
            #expect(try await crm.reload(c).walletBalance == 1000, "the same key twice is one top-up")
            do {
                _ = try await CustomerService.walletMove(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, amount: -1001, reason: "movie", idempotencyKey: nil)
                Issue.record("overspending must be refused")
            } catch let e as DomainError { #expect(e.code == "insufficient_funds") }
            // Many concurrent debits of 3.00 against 10.00: exactly three succeed.
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<10 {
                    group.addTask {
                        do {
                            _ = try await CustomerService.walletMove(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, amount: -300, reason: "ppv \(i)", idempotencyKey: "ppv-\(i)")
                            return true
                        } catch let e as DomainError where e.code == "insufficient_funds" { return false }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 3)
            let after = try await crm.reload(c)
            #expect(after.walletBalance == 100)
            let moves = try await WalletTransactionModel.query(on: app.db).filter(\.$customerID == c.id!).all()
            #expect(moves.map(\.amount).reduce(0, +) == after.walletBalance, "balance = sum of transactions")
        }
    }

    @Test func importAppliesAllOrNothing() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let before = try await CustomerModel.query(on: app.db).count()
            let bad = """
                product,plan,firstname,lastname,email,mobile,login
                Basic Monthly,1 month,Ann,One,ann@example.com,+31611111111,import.ann
                Basic Monthly,1 month,Bob,Two,not-an-email,0612,import.bob
                Nope,1 month,Cy,Three,,,
                Basic Monthly,1 month,Di,Four,,,import.ann
                """
            let refused = try await upload(&b, "customers.csv", Data(bad.utf8))
            #expect(refused.status == .unprocessableEntity)
            let body = refused.body.string
            #expect(body.contains("Nothing was imported"))
            #expect(body.contains(">3</td>") && body.contains("is not an e-mail address") && body.contains("country code"))
            #expect(body.contains(">4</td>") && body.contains("&quot;Nope&quot; is not a product"))
            #expect(body.contains(">5</td>") && body.contains("appears twice in the file"))
            #expect(try await CustomerModel.query(on: app.db).count() == before, "a rejected import leaves the data as it was")

            let good = "product,plan,firstname,lastname,login,startfromfirstlogin\n\(crm.basic.id!),\(crm.month.id!),Ann,One,import.ann,false\nBasic Monthly,12 months,Bob,Two,,true\n"
            #expect(try await upload(&b, "customers.csv", Data(good.utf8)).status == .seeOther)
            let ok = try await b.get("/crm/customers/credentials")
            #expect(ok.status == .ok && ok.body.string.contains("2 customers imported") && ok.body.string.contains("data:text/csv;base64,"))
            let bob = try #require(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Two").first())
            #expect(bob.status == "pending" && bob.planID == crm.year.id)

            let xlsx = try makeXLSX([["product", "plan", "firstname", "lastname"], ["Basic Monthly", "1 month", "Xena", "Sheet"], ["Basic Monthly", "1 month", "Yuri", "Sheet"]])
            _ = try await upload(&b, "people.xlsx", xlsx)
            let fromExcel = try await b.get("/crm/customers/credentials")
            #expect(fromExcel.body.string.contains("2 customers imported"))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Sheet").count() == 2)
            let junk = try await upload(&b, "junk.xlsx", Data("not a zip".utf8))
            #expect(junk.status == .unprocessableEntity && junk.body.string.contains("not an .xlsx workbook"))
        }
    }

    func upload(_ b: inout Browser, _ name: String, _ data: Data) async throws -> TestingHTTPResponse {
        try await b.upload("/crm/customers/import", files: [("file", name, data)])
    }

    /// A minimal real workbook: shared strings, one sheet, relationships.
    func makeXLSX(_ rows: [[String]]) throws -> Data {
        var strings: [String] = []
        var sheetRows = ""
        for (r, row) in rows.enumerated() {
            var cells = ""
            for (c, v) in row.enumerated() {
                let ref = String(UnicodeScalar(65 + c)!) + String(r + 1)
                strings.append(v)
                cells += "<c r=\"\(ref)\" t=\"s\"><v>\(strings.count - 1)</v></c>"
            }
            sheetRows += "<row r=\"\(r + 1)\">\(cells)</row>"
        }
        let files: [(String, String)] = [
            ("[Content_Types].xml", "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"),
            ("xl/workbook.xml", "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"People\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
            ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"),
            ("xl/sharedStrings.xml", "<?xml version=\"1.0\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">" + strings.map { "<si><t>\($0)</t></si>" }.joined() + "</sst>"),
            ("xl/worksheets/sheet1.xml", "<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\(sheetRows)</sheetData></worksheet>"),
        ]
        let archive = try Archive(accessMode: .create)
        for (path, text) in files {
            let data = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { pos, size in
                data.subdata(in: Int(pos)..<Int(pos) + size)
            }
        }
        return try #require(archive.data)
    }

    @Test func rangeBulkEditTrashRestorePurge() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let posted = try await b.post("/crm/customers/range", [("plan", "\(crm.basic.id!):\(crm.month.id!)"), ("currency", "EUR"), ("baseName", "Room"),
                                                                ("count", "12"), ("startNumber", "101"), ("facility", "City Center")])
            #expect(posted.status == .seeOther)
            let res = try await b.get("/crm/customers/credentials")
            #expect(res.status == .ok && res.body.string.contains("12 customers created"))
            let csvB64 = try #require(res.body.string.firstMatch(of: /data:text\/csv;base64,([A-Za-z0-9+\/=]+)/)?.1)
            let csv = String(decoding: try #require(Data(base64Encoded: String(csvB64))), as: UTF8.self)
            #expect(csv.split(separator: "\r\n").count == 13 && csv.contains("Room 112") && csv.contains("City Center"))
            let rooms = try await CustomerModel.query(on: app.db).filter(\.$facility == "City Center").sort(\.$id).all()
            #expect(rooms.count == 12 && rooms.first?.lastName == "Room 101")
            #expect(Set(rooms.map(\.login)).count == 12)

            let ids = rooms.prefix(5).map { $0.id! }
            let page = try await b.get("/crm/customers/bulk?" + ids.map { "ids[]=\($0)" }.joined(separator: "&"))
            #expect(page.body.string.contains("Bulk edit 5 customers"))
            let edited = try await b.post("/crm/customers/bulk/edit", ids.map { ("ids[]", String($0)) } + [("resellerId", "7"), ("status", "disable")])
            #expect(edited.status == .seeOther)
            let changed = try await CustomerModel.query(on: app.db).filter(\.$resellerID == 7).all()
            #expect(changed.count == 5 && changed.allSatisfy { $0.status == "disabled" })
            #expect(try await AuditRecordModel.query(on: app.db).filter(\.$action == "bulk_edit").count() == 5)

            let filtered = try await b.get("/crm/customers/bulk?all=1&reseller=7")
            #expect(filtered.body.string.contains("Bulk edit 5 customers") && !filtered.body.string.contains("name=\"ids[]\""))
            // Everything the filter matches: re-enable the five through the filter, not their ids.
            #expect(try await b.post("/crm/customers/bulk/edit", [("all", "1"), ("filterReseller", "7"), ("status", "enable")]).status == .seeOther)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == 7).filter(\.$status == "active").count() == 5)
            try await b.post("/crm/customers/bulk/trash", ids.map { ("ids[]", String($0)) })
            #expect(try await CustomerModel.query(on: app.db).filter(\.$deletedAt != nil).count() == 5)
            let list = try await b.get("/crm/customers?q=room")
            #expect(!list.body.string.contains(rooms[0].login) && list.body.string.contains(rooms[6].login))
            let trash = try await b.get("/crm/customers?trash=1")
            #expect(trash.body.string.contains(rooms[0].login))
            try await b.post("/crm/customers/\(ids[0])/restore")
            #expect(try await crm.reload(rooms[0]).deletedAt == nil)
            try await b.post("/crm/customers/\(ids[1])/purge")
            #expect(try await CustomerModel.find(ids[1], on: app.db) == nil)
            let refused = try await b.post("/crm/customers/\(ids[0])/purge")
            #expect(refused.status == .conflict, "only trashed customers can be purged")
        }
    }

    @Test func expirySweepMarksDueCustomersOnceAndIsIdempotent() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            let sports = try #require(try await PaymentPlanModel.query(on: app.db).filter(\.$name == "Sports 1 month").first())
            let c = try await crm.customer().customer
            _ = try await CustomerService.addExtraPackage(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, planID: sports.id!, synced: true)
            let runner = JobRunner(env: crm.env, registry: app.tvms.jobs, workerName: "t")
            try await JobQueue.enqueue(on: app.db, kind: ExpirySweepJob.kind, runAt: clock.now, now: clock.now)
            try await runner.runDue()
            #expect(try await CustomerModel.query(on: app.db).filter(\.$status == "expired").count() == 0)
            clock.advance(by: 40 * 86_400)
            try await JobQueue.enqueue(on: app.db, kind: ExpirySweepJob.kind, runAt: clock.now, now: clock.now)
            try await JobQueue.enqueue(on: app.db, kind: ExpirySweepJob.kind, runAt: clock.now, now: clock.now)
            try await runner.runDue()
            #expect(try await CustomerModel.query(on: app.db).filter(\.$status == "expired").count() == 4, "the demo's three customers and this test's one")
            #expect(try await AuditRecordModel.query(on: app.db).filter(\.$action == "expired").count() == 4)
            #expect(try await CustomerExtraPackageModel.query(on: app.db).filter(\.$status == "expired").count() == 1)
            let last = try #require(try await JobModel.query(on: app.db).filter(\.$kind == ExpirySweepJob.kind).sort(\.$id, .descending).first())
            #expect(last.result == "expired 0 customer(s) and 0 extra package(s)", "the second run finds nothing left to do")
        }
    }

    @Test func searchFindsByEveryKeyAndTenantsAreIsolated() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let env = crm.env
            let c = try await crm.customer(login: "searchme01") { n in
                n.contact.firstName = "Zoë"; n.contact.lastName = "Ångström"; n.contact.email = "Zoe@Example.org"
                n.contact.mobile = "+44 7700 900123"; n.contact.mappingID = "WHMCS-42"
            }.customer
            _ = try await CustomerService.linkDevice(env, actor: crm.actor, deploymentID: crm.deploymentID, id: c.id!, mac: "00:1a:79:01:02:03", serial: "", model: "MAG")
            for term in ["searchme", "zoe", "ZOË", "angstr", "zoe@exa", "+447700", "WHMCS-42", "00:1A:79:01:02:03"] {
                var q = CustomerService.Query()
                q.search = term
                let page = try await CustomerService.list(env, actor: crm.actor, deploymentID: crm.deploymentID, query: q)
                #expect(page.customers.map(\.id) == [c.id], "search \(term)")
            }
            // A number also matches login and phone prefixes, so the customer is among the hits.
            var byNumber = CustomerService.Query()
            byNumber.search = String(c.id!)
            #expect(try await CustomerService.list(env, actor: crm.actor, deploymentID: crm.deploymentID, query: byNumber).customers.contains { $0.id == c.id })
            let other = try await DeploymentService.create(env, actor: .system(), input: .init(name: "Other", cmsService: "ocms", crmService: "ocrm", timeZone: "UTC", defaultCurrency: "EUR"))
            let admin = try await app.makeUser("other-admin@x.test", role: "admin", deployments: [other.deployment.id!])
            let adminPrincipal = try await AuthService.actor(for: admin, on: app.db, ip: nil)
            await #expect(throws: DomainError.self) {
                _ = try await CustomerService.find(env, actor: adminPrincipal, deploymentID: crm.deploymentID, id: c.id!)
            }
            await #expect(throws: DomainError.self) {
                _ = try await CustomerService.find(env, actor: crm.actor, deploymentID: other.deployment.id!, id: c.id!)
            }
            var b = Browser(app)
            try await b.login("other-admin@x.test", "password123")
            #expect(try await b.get("/crm/customers/\(c.id!)").status == .notFound)
            let editor = try await app.makeUser("editor@x.test", role: "editor")
            _ = editor
            var e = Browser(app)
            try await e.login("editor@x.test", "password123")
            #expect(try await e.get("/crm/customers").status == .forbidden, "content editors do not reach the CRM")
        }
    }

    @Test func currenciesInUseCannotBeRemoved() async throws {
        try await withTVMS { app, _ in
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            #expect(try await b.post("/crm/currencies", [("code", "gbp")]).status == .seeOther)
            let bad = try await b.post("/crm/currencies", [("code", "EURO")])
            #expect(bad.status == .unprocessableEntity)
            try await b.post("/crm/currencies/EUR/delete")
            #expect(try await CurrencyModel.query(on: app.db).filter(\.$code == "EUR").count() == 1)
            try await b.post("/crm/currencies/USD/delete")
            let page = try await b.get("/crm/currencies")
            #expect(page.body.string.contains("used by 2 plan price(s)"))
            try await b.post("/crm/currencies/GBP/delete")
            #expect(try await CurrencyModel.query(on: app.db).filter(\.$code == "GBP").count() == 0)
            try await b.post("/crm/currencies/USD/default")
            #expect(try await DeploymentModel.query(on: app.db).first()?.defaultCurrency == "USD")
        }
    }
}

/// Every CRM console page and form, through the real app: what an operator clicks.
@Suite(.serialized) struct CRMConsolePagesTests {
    @Test func productTabsAndTheirForms() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let base = "/crm/products/\(crm.basic.id!)"
            for tab in ["details", "plans", "extras", "dvr", "catchup", "ip", "ota"] {
                let page = try await b.get("\(base)?tab=\(tab)")
                #expect(page.status == .ok, "tab \(tab)")
                #expect(page.body.string.contains("class=\"active\" aria-current=\"page\""))
            }
            #expect(try await b.post("\(base)/options", [("kind", "dvr"), ("name", "50 hours"), ("amount", "50")]).status == .seeOther)
            #expect(try await b.post("\(base)/options", [("kind", "catchup"), ("name", "Two weeks"), ("amount", "400")]).status == .unprocessableEntity)
            #expect(try await b.post("\(base)/options", [("kind", "ota"), ("platform", "androidtv"), ("version", "9.4.1"), ("url", "https://apps.demo.tvms/tv.apk"), ("amount", "on")]).status == .seeOther)
            #expect(try await b.get("\(base)?tab=ota").body.string.contains("9.4.1"))
            #expect(try await b.get("\(base)?tab=dvr").body.string.contains("50 hours"))
            let badIP = try await b.post("\(base)/ip", [("ipAllowed", "10.0.0.0/8\nnot-an-ip"), ("ipBlocked", "")])
            #expect(badIP.status == .unprocessableEntity && badIP.body.string.contains("not-an-ip is not an IP address"))
            #expect(try await b.post("\(base)/ip", [("ipAllowed", "10.0.0.0/8, 2001:db8::/32"), ("ipLockFirst", "on")]).status == .seeOther)
            let product = try #require(try await ProductModel.find(crm.basic.id, on: app.db))
            #expect(product.ipAllowed == "10.0.0.0/8\n2001:db8:0:0:0:0:0:0/32" && product.ipLockFirst)
            #expect(try await b.post("\(base)/extras", [("name", "Kids")]).status == .seeOther)
            let kids = try #require(try await ExtraPackageModel.query(on: app.db).filter(\.$name == "Kids").first())
            #expect(try await b.post("\(base)/extras/\(kids.id!)/plans", [("name", "Kids month"), ("length", "1"), ("unit", "months"), ("price_EUR", "2.99")]).status == .seeOther)
            #expect(try await b.get("\(base)?tab=extras").body.string.contains("Kids month (#"))
            let edit = try await b.get("\(base)/plans/\(crm.month.id!)/edit")
            #expect(edit.body.string.contains("value=\"9.99\""))
            #expect(try await b.post("\(base)/plans/\(crm.month.id!)", [("name", "1 month"), ("length", "1"), ("unit", "months"), ("price_EUR", "10.49")]).status == .seeOther)
            #expect(try await b.get("\(base)?tab=plans").body.string.contains("10.49 EUR"))
            let refused = try await b.post("\(base)/plans/\(crm.month.id!)/delete")
            #expect(refused.status == .seeOther)
            #expect(try await b.get("\(base)?tab=plans").body.string.contains("run on 1 month"))
            let details = try await b.post(base, [("name", "Basic Monthly"), ("subscriptionType", "regular"), ("paymentType", "subscription"),
                                                  ("maxDevices", "0"), ("defaultCurrency", "EUR")])
            #expect(details.status == .unprocessableEntity && details.body.string.contains("Max devices must be between 1 and 100"))
        }
    }

    @Test func customerTabsAndTheirForms() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let base = "/crm/customers/1"
            for tab in ["information", "subscription", "devices", "wallet", "messages", "logs"] {
                #expect(try await b.get("\(base)?tab=\(tab)").status == .ok, "tab \(tab)")
            }
            #expect(try await b.post(base, [("firstName", "Anna"), ("lastName", "de Vries"), ("city", "Utrecht"), ("country", "NL"), ("comment", "VIP")]).status == .seeOther)
            #expect(try await crm.reload(try #require(try await CustomerModel.find(1, on: app.db))).city == "Utrecht")
            let badMail = try await b.post(base, [("email", "broken")])
            #expect(badMail.status == .unprocessableEntity && badMail.body.string.contains("E-mail is not an e-mail address"))
            #expect(try await b.post("\(base)/message", [("subject", "Welcome"), ("body", "Enjoy the football tonight.")]).status == .seeOther)
            #expect(try await b.get("\(base)?tab=messages").body.string.contains("Enjoy the football tonight."))
            #expect(try await b.post("\(base)/wallet", [("amount", "5.00"), ("reason", "goodwill")]).status == .seeOther)
            let overdraw = try await b.post("\(base)/wallet", [("amount", "-6.00"), ("reason", "movie")])
            #expect(overdraw.status == .seeOther)
            let wallet = try await b.get("\(base)?tab=wallet")
            #expect(wallet.body.string.contains("5.00 EUR") && wallet.body.string.contains("cannot pay 6.00 EUR"))
            _ = clock
            #expect(try await b.post("\(base)/extend", [("date", "2026-08-01")]).status == .seeOther)
            #expect(try await b.get("\(base)?tab=subscription").body.string.contains("must be after the subscription start"))
            #expect(try await b.post("\(base)/extend", [("date", "2027-03-31")]).status == .seeOther)
            let c = try #require(try await CustomerModel.find(1, on: app.db))
            #expect(utcText(c.expiresAt) == "2027-03-31 21:59", "end of the chosen day in Amsterdam (CEST)")
            #expect(try await b.post("\(base)/change-product", [("plan", "\(crm.basic.id!):\(crm.year.id!)"), ("from", "expiry")]).status == .seeOther)
            #expect(utcText(try await crm.reload(c).expiresAt) == "2028-03-31 21:59")
            #expect(try await b.post("\(base)/disable").status == .seeOther)
            #expect(try await b.get(base).body.string.contains("Enable"))
            try await b.post("\(base)/password")
            let reset = try await b.get("/crm/customers/credentials")
            let password = try #require(reset.body.string.firstMatch(of: /Password<\/dt><dd class="mono">([^<]+)</)?.1)
            #expect(try CustomerService.verifyPassword(app.serviceEnvironment, customer: try await crm.reload(c), password: String(password)))
            #expect(!(try CustomerService.verifyPassword(app.serviceEnvironment, customer: try await crm.reload(c), password: "demo1234")))
            let logs = try await b.get("\(base)?tab=logs")
            for action in ["update", "message", "wallet_credit", "extend", "change_product", "disable", "reset_password"] {
                #expect(logs.body.string.contains(">\(action)<"), "log shows \(action)")
            }
            let count = try await b.get("/crm/customers/count")
            #expect(count.body.string.contains("3 customers") && count.body.string.contains("Operator (direct)"))
            let csv = try await b.get("/crm/customers/export.csv")
            #expect(csv.body.string.hasPrefix("id,login,status") && csv.body.string.contains("demoviewer"))
            #expect(!csv.body.string.contains("$2"), "no password hash in exports")
            let pages = try await b.get("/crm/customers")
            #expect(pages.body.string.contains("3 shown, newest first"))
        }
    }
}
