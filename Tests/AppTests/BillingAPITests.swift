import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

/// Calls the business API the way billing modules do: parameters in the query string, an empty
/// POST body, Accept: application/json. `auth: false` leaves the credentials out.
func billing(_ app: Application, _ method: HTTPMethod = .POST, _ path: String, _ params: [(String, String)] = [], auth: Bool = true,
             headers extra: [(String, String)] = []) async throws -> (status: HTTPStatus, json: [String: Any], raw: String) {
    var all = params
    if auth { all = [("crmService", "democrm"), ("cmsService", "democms"), ("authToken", "demo-auth-token")] + all }
    let query = all.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.1)" }.joined(separator: "&")
    var h = HTTPHeaders([("Accept", "application/json")])
    for (k, v) in extra { h.replaceOrAdd(name: k, value: v) }
    let res = try await app.testing().sendRequest(method, path + (query.isEmpty ? "" : "?" + query), headers: h)
    let object = (try? JSONSerialization.jsonObject(with: Data(res.body.string.utf8))) as? [String: Any] ?? [:]
    return (res.status, object, res.body.string)
}

@Suite(.serialized) struct BillingAPITests {
    static let customerFields: [(String, String)] = [("firstname", "Ann"), ("lastname", "Lee"), ("street", "Dam 1"), ("zipcode", "1012AB"), ("city", "Amsterdam"),
                                                      ("state", "NH"), ("country", "Netherlands"), ("phone", "0"), ("mobile", "+31612345678"), ("email", "ann@example.com")]

    /// AddCustomer with a full set of customer fields; `extra` adds to or replaces them.
    func add(_ app: Application, _ extra: [(String, String)] = []) async throws -> (status: HTTPStatus, json: [String: Any], raw: String) {
        let crm = try await DemoCRM(app)
        let defaults = Self.customerFields + [("productid", String(crm.basic.id!)), ("subscriptionlengthinmonths", "1"), ("subscriptionlengthindays", "0"),
                                              ("renewalinterval", "1")]
        let replaced = Set(extra.map { $0.0.lowercased() })
        return try await billing(app, .POST, "/api/AddCustomer/addCustomer", defaults.filter { !replaced.contains($0.0.lowercased()) } + extra)
    }

    @Test func provisioningLifecycleAsABillingSystemDrivesIt() async throws {
        try await withTVMS { app, clock in
            let crm = try await DemoCRM(app)
            let products = try await billing(app, .GET, "/api/GetProducts/getProducts_V2")
            #expect(products.status == .ok && products.raw.contains("\"ProductName\":\"Basic Monthly\"") && products.raw.contains("\"PackageMappingID\":\"sports\""))

            let added = try await add(app, [("customermappingid", "whmcs-42"), ("currency", "EUR"), ("sendMail", "false")])
            #expect(added.status == .ok)
            let login = try #require(added.json["loginid"] as? String)
            let firstPassword = try #require(added.json["password"] as? String)
            #expect(added.json["loginId"] as? String == login && added.json["status"] as? String == "Active")
            let stored = try #require(try await CustomerModel.query(on: app.db).filter(\.$login == login).first())
            #expect(stored.country == "NL" && stored.mappingID == "whmcs-42" && stored.planID == crm.month.id && stored.resellerID == nil)

            let me: [(String, String)] = [("userid", login), ("password", firstPassword)]
            let got = try await billing(app, .GET, "/api/GetCustomer/getCustomer_V2", me + [("customermappingid", "whmcs-42")])
            #expect(got.status == .ok && got.json["email"] as? String == "ann@example.com" && got.json["ProductName"] as? String == "Basic Monthly")
            let wrong = try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatus", [("userid", login), ("password", "not-it")])
            #expect(wrong.status == .unauthorized && wrong.json["Message"] as? String == "The customer's password does not match.")

            // RenewCustomer: one more month from the current expiry.
            let before = try #require(stored.expiresAt)
            let renewed = try await billing(app, .GET, "/api/RenewCustomer/renewCustomerV2", me + [("months", "1"), ("days", "0"), ("fromExpireDate", "true")])
            #expect(renewed.status == .ok)
            let afterRenew = try #require(try await CustomerModel.find(stored.id, on: app.db)?.expiresAt)
            #expect(afterRenew > before.addingTimeInterval(27 * 86_400) && afterRenew < before.addingTimeInterval(32 * 86_400))
            #expect(renewed.json["expiredate"] as? Int == Int(afterRenew.timeIntervalSince1970))

            let changed = try await billing(app, .POST, "/api/ChangeCustomerProduct/changeCustomerProduct",
                                            me + [("productid", String(crm.basic.id!)), ("subscriptionlengthinmonths", "12"), ("subscriptionlengthindays", "0"), ("fromExpireDate", "false")])
            let changedPlan = try await CustomerModel.find(stored.id, on: app.db)?.planID
            #expect(changed.status == .ok && changedPlan == crm.year.id)
            let noSuchLength = try await billing(app, .POST, "/api/ChangeCustomerProduct/changeCustomerProduct",
                                                 me + [("productid", String(crm.basic.id!)), ("subscriptionlengthinmonths", "5")])
            #expect(noSuchLength.status == .badRequest && (noSuchLength.json["Message"] as? String)?.contains("no plan of 5 months") == true)

            let extra = try await billing(app, .POST, "/api/ExtraPackages/Add", me + [("packageMappingId", "sports"), ("syncWithCurrentSubscription", "true")])
            #expect(extra.status == .ok && extra.json["syncWithCurrentSubscription"] as? Bool == true)
            #expect(try await CustomerExtraPackageModel.query(on: app.db).filter(\.$customerID == stored.id!).count() == 1)
            let dropped = try await billing(app, .POST, "/api/ExtraPackages/Delete", me + [("packageMappingId", "sports")])
            #expect(dropped.status == .ok && dropped.json["removed"] as? Int == 1)

            let disabled = try await billing(app, .POST, "/api/DisableCustomer/changeCustomerStatus", me + [("status", "Disabled")])
            #expect(disabled.json["status"] as? String == "Disabled")
            let active = try await billing(app, .POST, "/api/DisableCustomer/changeCustomerStatus", me + [("status", "Active")])
            #expect(active.json["status"] as? String == "Active")
            _ = try await billing(app, .POST, "/api/DisableCustomer/changeCustomerStatus", me + [("status", "Disabled")])
            #expect(try await billing(app, .POST, "/api/EnableCustomer/enableCustomer", me).json["status"] as? String == "Active")
            let badStatus = try await billing(app, .POST, "/api/DisableCustomer/changeCustomerStatus", me + [("status", "Maybe")])
            #expect(badStatus.status == .badRequest)

            let badEdit = try await billing(app, .POST, "/api/EditCustomer/EditCustomer_V2", [("userid", login), ("password", "a b"), ("city", "Rotterdam")])
            #expect(badEdit.status == .badRequest)
            #expect(try await CustomerModel.find(stored.id, on: app.db)?.city == "Amsterdam", "a refused edit changes nothing")
            // WHMCS changes the password with EditCustomer_V2?password=<new>.
            let edited = try await billing(app, .POST, "/api/EditCustomer/EditCustomer_V2", [("userid", login), ("password", "Fresh#2026"), ("email", "ann.lee@example.com"), ("city", "Utrecht")])
            #expect(edited.status == .ok && edited.json["email"] as? String == "ann.lee@example.com" && edited.json["lastname"] as? String == "Lee")
            let password = "Fresh#2026"

            let relogged = try await billing(app, .POST, "/api/ChangeLoginDetails/Update",
                                             [("old_userid", login), ("old_password", password), ("new_userid", "ann.lee.tv"), ("new_password", "Tv!2026x")])
            #expect(relogged.status == .ok && relogged.json["loginid"] as? String == "ann.lee.tv")
            let me2: [(String, String)] = [("userid", "ann.lee.tv"), ("password", "Tv!2026x")]
            #expect(try await billing(app, .GET, "/api/ValidateCustomer/validateCustomer", me2).json["valid"] as? Bool == true)
            let invalid = try await billing(app, .GET, "/api/ValidateCustomer/validateCustomer", [("userid", "ann.lee.tv"), ("password", password)])
            #expect(invalid.status == .ok && invalid.json["valid"] as? Bool == false)

            let date = Int(clock.now.timeIntervalSince1970) + 400 * 86_400
            let extended = try await billing(app, .POST, "/api/CustomerSubscription/ExtendDate", me2 + [("date", String(date))])
            #expect(extended.status == .ok && extended.json["expiredate"] as? Int == date)
            for bad in ["tomorrow", "9223372036854775807", "99999999999999"] {
                let badDate = try await billing(app, .POST, "/api/CustomerSubscription/ExtendDate", me2 + [("date", bad)])
                #expect(badDate.status == .badRequest && (badDate.json["Fields"] as? [String: String])?["date"] != nil, "\(bad)")
            }
            #expect(try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatusByReseller", [("reseller_id", "0"), ("page", "9223372036854775807")]).status == .badRequest)

            let device = try await billing(app, .POST, "/api/AddDeviceToCustomer/addDevice", me2 + [("mac", "00:1a:79:12:34:56"), ("model", "MAG 524")])
            #expect(device.status == .ok && device.json["mac"] as? String == "00:1A:79:12:34:56")
            let byMac = try await billing(app, .GET, "/api/MacAddress/getCustomerByMac", [("mac", "001A79123456")])
            #expect(byMac.json["loginid"] as? String == "ann.lee.tv")
            let taken = try await billing(app, .POST, "/api/AddDeviceToCustomer/addDevice", [("userid", "demoviewer"), ("mac", "00:1a:79:12:34:56")])
            #expect(taken.status == .conflict)
            #expect(try await billing(app, .POST, "/api/DeleteDeviceFromCustomer/deleteDevice", me2 + [("mac", "00-1A-79-12-34-56")]).status == .ok)
            #expect(try await billing(app, .GET, "/api/MacAddress/getCustomerByMac", [("mac", "001A79123456")]).status == .notFound)

            let recommended = try await billing(app, .GET, "/api/CustomerRecommendation/getRecommendations", me2)
            #expect(recommended.status == .ok && recommended.raw.contains("\"Name\":\"Sports\""))

            let cancelled = try await billing(app, .POST, "/api/CancelSubscription/Cancel", me2 + [("customermappingid", "whmcs-42")])
            #expect(cancelled.json["status"] as? String == "Expired")
            #expect(try await billing(app, .POST, "/api/DeleteCustomer/trashCustomer", me2).status == .ok)
            let gone = try await billing(app, .GET, "/api/GetCustomer/getCustomer_V2", me2)
            #expect(gone.status == .notFound && gone.json["Message"] as? String == "The customer was not found.")

            let audit = try await AuditRecordModel.query(on: app.db).filter(\.$entityType == "customer").filter(\.$entityID == String(stored.id!)).all()
            #expect(Set(audit.map(\.action)).isSuperset(of: ["create", "renew", "change_product", "disable", "enable", "change_login", "trash"]))
            #expect(audit.allSatisfy { $0.actorLabel == "api:democrm" })
        }
    }

    @Test func errorsAreJSONWithAMessageAndTheRightStatus() async throws {
        try await withTVMS { app, _ in
            let badToken = try await billing(app, .GET, "/api/GetProducts/getProducts_V2", [("crmService", "democrm"), ("authToken", "guess")], auth: false)
            #expect(badToken.status == .unauthorized && badToken.json["Message"] as? String == "The authToken is not valid for crmService democrm.")
            let noService = try await billing(app, .GET, "/api/GetProducts/getProducts_V2", [("authToken", "demo-auth-token")], auth: false)
            #expect(noService.status == .unauthorized && noService.json["Code"] as? String == "missing_crm_service")
            let wrongCMS = try await billing(app, .GET, "/api/GetProducts/getProducts_V2", [("crmService", "democrm"), ("cmsService", "other"), ("authToken", "demo-auth-token")], auth: false)
            #expect(wrongCMS.status == .unauthorized)
            let unknownProduct = try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", "999")])
            #expect(unknownProduct.status == .notFound && unknownProduct.json["Message"] as? String == "The product was not found.")
            _ = try await add(app, [("userid", "taken.user"), ("password", "secret12")])
            let duplicate = try await add(app, [("userid", "taken.user")])
            #expect(duplicate.status == .conflict && duplicate.json["Code"] as? String == "duplicate_userid"
                    && (duplicate.json["Message"] as? String)?.contains("userid is already used by another customer") == true)
            let badBool = try await add(app, [("StartSubscriptionFromFirstLogin", "perhaps")])
            #expect(badBool.status == .badRequest && (badBool.json["Fields"] as? [String: String])?["StartSubscriptionFromFirstLogin"] == "must be true or false")
            let badCountry = try await add(app, [("country", "Atlantis")])
            #expect(badCountry.status == .badRequest)
            let html = try await billing(app, .GET, "/api/GetCountries/getCountries", headers: [("Accept", "text/html")])
            #expect(html.status == .notAcceptable && html.json["Message"] != nil)
            let nowhere = try await billing(app, .GET, "/api/NoSuch/thing")
            #expect(nowhere.status == .notFound && nowhere.json["Message"] as? String == "There is nothing at this address." && !nowhere.raw.contains("<html"))
            let wrongMethod = try await billing(app, .GET, "/api/AddCustomer/addCustomer")
            #expect(wrongMethod.status == .notFound || wrongMethod.status == .methodNotAllowed)
            #expect(wrongMethod.json["Message"] != nil, "a GET on a POST-only endpoint still answers JSON")
            let countries = try await billing(app, .GET, "/api/GetCountries/getCountries")
            #expect(countries.status == .ok && countries.raw.contains("{\"code\":\"NL\",\"name\":\"Netherlands\"}"))
        }
    }

    @Test func parametersComeFromAnywhereInAnyCase() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            // A form body, a JSON body, odd cases in names and path.
            var h = HTTPHeaders([("Accept", "application/json")])
            h.contentType = .urlEncodedForm
            let form = try await app.testing().sendRequest(.POST, "/api/addcustomer/ADDCUSTOMER", headers: h,
                                                           body: ByteBuffer(string: "CRMSERVICE=democrm&AuthToken=demo-auth-token&ProductId=\(crm.basic.id!)&LastName=Form"))
            #expect(form.status == .ok && form.body.string.contains("loginid"))
            h.contentType = .json
            let json = try await app.testing().sendRequest(.POST, "/api/AddCustomer/addCustomerAsync_v2", headers: h,
                                                           body: ByteBuffer(string: #"{"crmService":"democrm","authToken":"demo-auth-token","productid":\#(crm.basic.id!),"lastname":"Json","StartSubscriptionFromFirstLogin":true}"#))
            #expect(json.status == .ok && json.body.string.contains("\"status\":\"Pending\""))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Form").count() == 1)
            // "0" means not given: no reseller, generated credentials.
            let zeros = try await add(app, [("reseller_id", "0"), ("userid", "0"), ("password", "0"), ("order_id", "0")])
            #expect(zeros.status == .ok && (zeros.json["loginid"] as? String)?.isEmpty == false && zeros.json["reseller_id"] is NSNull)
        }
    }

    @Test func retriedProvisioningActsOnce() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "API Shop", type: .postpaid))
            try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!, planID: crm.month.id!, discountPercent: "10")
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 20, reason: "opening")
            let key = [("Idempotency-Key", "order-1001")]
            let first = try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", String(crm.basic.id!)), ("reseller_id", String(r.id!)), ("lastname", "Once")], headers: key)
            let again = try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", String(crm.basic.id!)), ("reseller_id", String(r.id!)), ("lastname", "Once")], headers: key)
            #expect(first.status == .ok && again.raw == first.raw, "the retry gets the first answer, password included")
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Once").count() == 1)
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 11, "charged once: 20 − 9")
            let reused = try await billing(app, .POST, "/api/RenewCustomer/renewCustomer", [("userid", first.json["loginid"] as! String)], headers: key)
            #expect(reused.status == .conflict && reused.json["Code"] as? String == "idempotency_key_reused")
            // requestId works the same, and a refusal is replayed too.
            let broke = try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", String(crm.basic.id!)), ("reseller_id", String(r.id!)), ("requestId", "r-2"), ("lastname", "Twice")])
            #expect(broke.status == .ok)
            let refused = try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", String(crm.basic.id!)), ("reseller_id", String(r.id!)), ("requestId", "r-3")])
            #expect(refused.status == .conflict && (refused.json["Message"] as? String)?.hasPrefix("Not enough credits") == true)
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 100, reason: "top-up")
            let replayed = try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", String(crm.basic.id!)), ("reseller_id", String(r.id!)), ("requestId", "r-3")])
            #expect(replayed.status == .conflict && replayed.raw == refused.raw, "the same key keeps its first answer")
            // Concurrent retries of one key: exactly one acts.
            let outcomes = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await billing(app, .POST, "/api/AddCustomer/addCustomer", [("productid", String(crm.basic.id!)), ("reseller_id", String(r.id!)),
                                                                                         ("lastname", "Race")], headers: [("Idempotency-Key", "race-1")]).status
                    }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == .ok || $0 == .conflict } && outcomes.contains(.ok))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Race").count() == 1)
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    @Test func resellersSellThroughTheAPIAndSeeOnlyTheirOwn() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let post = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Credits Shop", type: .postpaid))
            var prepaidInput = ResellerService.Input(name: "Units Shop", type: .prepaid)
            prepaidInput.currency = "EUR"
            let pre = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: prepaidInput)
            for r in [post, pre] {
                try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!, planID: crm.month.id!, discountPercent: "0")
            }
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: post.id!, amount: 15, reason: "opening")
            let order = try await ResellerLedger.placeOrder(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: pre.id!, planID: crm.month.id!,
                                                            quantity: 1, unitPrice: 500, currency: "EUR", paid: true)
            let sold = try await add(app, [("reseller_id", String(post.id!))])
            #expect(sold.status == .ok && sold.json["reseller_id"] as? Int == post.id)
            #expect(try await ResellerModel.find(post.id, on: app.db)?.balance == 5)
            let short = try await add(app, [("reseller_id", String(post.id!)), ("lastname", "Short")])
            #expect(short.status == .conflict && short.json["Code"] as? String == ResellerLedger.insufficientCredits)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Short").count() == 0)
            let unit = try await add(app, [("reseller_id", String(pre.id!)), ("order_id", String(order.id!))])
            let left = try await ResellerOrderModel.find(order.id, on: app.db)?.remaining
            #expect(unit.status == .ok && left == 0)
            let noStock = try await add(app, [("reseller_id", String(pre.id!)), ("order_id", String(order.id!))])
            #expect(noStock.status == .conflict && noStock.json["Code"] as? String == ResellerLedger.outOfStock)
            // Renewal with reseller_id is charged like the portal's.
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: post.id!, amount: 10, reason: "top-up")
            let login = try #require(sold.json["loginid"] as? String)
            #expect(try await billing(app, .POST, "/api/RenewCustomer/renewCustomer", [("userid", login), ("months", "1"), ("reseller_id", String(post.id!))]).status == .ok)
            #expect(try await ResellerModel.find(post.id, on: app.db)?.balance == 5)

            // The reseller's own token: acts only for itself.
            try await ResellerService.setLogin(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, id: post.id!, email: "credits@shop.test", password: "shop-pass-1")
            let user = try #require(try await SystemUserModel.query(on: app.db).filter(\.$email == "credits@shop.test").first())
            let token = try await AuthService.issueToken(crm.env, actor: try await AuthService.actor(for: user, on: app.db, ip: nil), name: "billing", expiresInDays: nil).token
            let mine: [(String, String)] = [("crmService", "democrm"), ("authToken", token)]
            let status = try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatusByReseller", mine + [("page", "1")], auth: false)
            #expect(status.status == .ok && status.json["total"] as? Int == 1)
            let other = try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatusByReseller", mine + [("reseller_id", String(pre.id!))], auth: false)
            #expect(other.status == .notFound)
            let foreign = try #require(unit.json["loginid"] as? String)
            #expect(try await billing(app, .GET, "/api/GetCustomer/getCustomer", mine + [("userid", foreign)], auth: false).status == .notFound)
            #expect(try await billing(app, .POST, "/api/DeleteCustomer/trashCustomer", mine + [("userid", login)], auth: false).status == .forbidden)
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: post.id!, amount: 10, reason: "top-up")
            let ownSale = try await billing(app, .POST, "/api/AddCustomer/addCustomer", mine + [("productid", String(crm.basic.id!))], auth: false)
            #expect(ownSale.status == .ok && ownSale.json["reseller_id"] as? Int == post.id, "a reseller token always sells for itself")
            let products = try await billing(app, .GET, "/api/GetProducts/getProducts", mine, auth: false)
            #expect(products.raw.contains("\"ResellerCharge\":10") && !products.raw.contains("12 months"))

            // The operator pages through the reseller's customers, 1,000 at most per page.
            let page = try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatusByReseller", [("reseller_id", String(post.id!)), ("page", "1"), ("status_type", "Active")])
            #expect(page.json["pageSize"] as? Int == 1000 && page.json["total"] as? Int == 2)
            let none = try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatusByReseller", [("reseller_id", "0"), ("page", "1")])
            #expect(none.json["total"] as? Int == 3, "the three demo customers have no reseller")
            let badType = try await billing(app, .GET, "/api/CustomerStatus/GetCustomerStatusByReseller", [("reseller_id", "0"), ("status_type", "Gone")])
            #expect(badType.status == .badRequest)
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
        }
    }

    @Test func bulkDeleteReportsEachCustomer() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let a = try await crm.customer(login: "bulk.one"), b = try await crm.customer(login: "bulk.two")
            let res = try await billing(app, .POST, "/api/BulkDeleteCustomers/bulkDelete", [("userids", "bulk.one, bulk.two,nobody.here")])
            #expect(res.status == .ok && res.json["deleted"] as? Int == 2)
            #expect(res.raw.contains("{\"Message\":\"The customer was not found.\",\"result\":\"not found\",\"userid\":\"nobody.here\"}"))
            let trashed = try await CustomerModel.query(on: app.db).filter(\.$id ~~ [a.customer.id!, b.customer.id!]).filter(\.$deletedAt != nil).count()
            #expect(trashed == 2)
        }
    }
}
