import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Every endpoint of the TVMS business API (docs/API.md documents each). Handlers only translate:
/// parameters in, the same services the console uses, JSON out — so a reseller sale through the
/// API is charged exactly like one in the portal.
enum BillingEndpoints {
    static func register(_ app: Application) { BillingAPI.register(app, all) }

    /// Every endpoint, in the manual's order; the API Connector page lists the same table.
    static let all: [BillingAPI.Endpoint] = {
        let post: [HTTPMethod] = [.POST], both: [HTTPMethod] = [.GET, .POST]
        return [
            .init(controller: "AddCustomer", actions: ["addCustomer", "addCustomerV2", "addCustomer_V2", "addCustomerAsync", "addCustomerAsync_v2", "addCustomerAsyncV2"],
                  methods: post, mutating: true, summary: "Adds a customer (generated or custom login; charged to a reseller with reseller_id / order_id)", handler: addCustomer),
            .init(controller: "AddDeviceToCustomer", actions: ["addDevice", "addDeviceToCustomer", "addDeviceToCustomer_V2"], methods: post, mutating: true, summary: "Hard-links a set-top box (MAC and/or serial) to a customer", handler: addDevice),
            .init(controller: "BulkDeleteCustomers", actions: ["bulkDelete", "bulkDeleteCustomers", "bulkDeleteCustomers_V2"], methods: post, mutating: true, summary: "Trashes many customers by userid or customermappingid, with a result per customer", handler: bulkDelete),
            .init(controller: "CancelSubscription", actions: ["Cancel", "cancelSubscription"], methods: post, mutating: true, summary: "Ends the subscription now", handler: cancel),
            .init(controller: "ChangeCustomerProduct", actions: ["changeCustomerProduct", "changeCustomerProductV2", "changeCustomerProduct_V2"],
                  methods: both, mutating: true, summary: "Moves a customer to another product and plan", handler: changeProduct),
            .init(controller: "ChangeLoginDetails", actions: ["Update", "changeLoginDetails"], methods: post, mutating: true, summary: "Changes a customer's userid and password", handler: changeLogin),
            .init(controller: "CustomerRecommendation", actions: ["getRecommendations", "getCustomerRecommendation", "getRecommendation"],
                  methods: both, mutating: false, summary: "Products and extra packages to offer the customer next", handler: recommendations),
            .init(controller: "CustomerStatus", actions: ["GetCustomerStatus", "GetCustomerStatusV2", "GetCustomerStatus_V2"], methods: both, mutating: false, summary: "A customer's status, expiry and product", handler: status),
            .init(controller: "CustomerStatus", actions: ["GetCustomerStatusByReseller", "GetCustomerStatusByResellerV2", "GetCustomerStatusByReseller_V2"],
                  methods: both, mutating: false, summary: "A page (at most 1,000) of a reseller's customers, optionally of one status", handler: statusByReseller),
            .init(controller: "CustomerSubscription", actions: ["ExtendDate", "extendDate_V2"], methods: post, mutating: true, summary: "Sets a new expiry date (Unix seconds)", handler: extendDate),
            .init(controller: "DeleteCustomer", actions: ["trashCustomer", "deleteCustomer", "trashCustomer_V2"], methods: post, mutating: true, summary: "Moves a customer to the trash", handler: trash),
            .init(controller: "DeleteDeviceFromCustomer", actions: ["deleteDevice", "deleteDeviceFromCustomer", "deleteDeviceFromCustomer_V2"],
                  methods: post, mutating: true, summary: "Removes a device from a customer", handler: deleteDevice),
            .init(controller: "DisableCustomer", actions: ["changeCustomerStatus", "disableCustomer", "changeCustomerStatus_V2"], methods: post, mutating: true, summary: "Disables (status=Disabled) or re-enables (status=Active) a customer", handler: changeStatus),
            .init(controller: "EditCustomer", actions: ["EditCustomer", "EditCustomer_V2", "EditCustomerV2"], methods: post, mutating: true, summary: "Updates a customer's personal data (and password)", handler: edit),
            .init(controller: "EnableCustomer", actions: ["enableCustomer", "enableCustomer_V2"], methods: post, mutating: true, summary: "Re-enables a disabled customer", handler: enable),
            .init(controller: "ExtraPackages", actions: ["Add", "addExtraPackage"], methods: post, mutating: true, summary: "Sells an extra package (by plan id or package mapping id)", handler: addExtraPackage),
            .init(controller: "ExtraPackages", actions: ["Delete", "deleteExtraPackage"], methods: post, mutating: true, summary: "Removes an extra package from a customer", handler: deleteExtraPackage),
            .init(controller: "GetCountries", actions: ["getCountries", "getCountries_V2"], methods: both, mutating: false, summary: "Country codes and names accepted in country", handler: countries),
            .init(controller: "GetCustomer", actions: ["getCustomer", "getCustomer_V2", "getCustomerV2"], methods: both, mutating: false, summary: "A customer with its extra packages and devices", handler: getCustomer),
            .init(controller: "GetProducts", actions: ["getProducts", "getProducts_V2", "getProductsV2"], methods: both, mutating: false, summary: "Products with plans, prices, credits prices and extra packages", handler: products),
            .init(controller: "MacAddress", actions: ["getCustomerByMac", "GetCustomer"], methods: both, mutating: false, summary: "The customer a MAC address is linked to", handler: customerByMac),
            .init(controller: "MacAddress", actions: ["Add", "addMacAddress"], methods: post, mutating: true, summary: "Hard-links a set-top box (MAC and/or serial) to a customer", handler: addDevice),
            .init(controller: "MacAddress", actions: ["Delete", "deleteMacAddress"], methods: post, mutating: true, summary: "Removes a device from a customer", handler: deleteDevice),
            .init(controller: "RenewCustomer", actions: ["renewCustomer"], methods: post, mutating: true, summary: "Renews by months or days, from the expiry or from today", handler: renew),
            .init(controller: "RenewCustomer", actions: ["renewCustomerV2", "renewCustomer_V2"], methods: both, mutating: true, summary: "Renews by months or days, from the expiry or from today", handler: renew),
            .init(controller: "ValidateCustomer", actions: ["validateCustomer", "validateCustomer_V2", "validate"], methods: both, mutating: false, summary: "Whether a userid and password may log in now", handler: validate),
        ]
    }()

    // MARK: Shared

    static func env(_ req: Request) -> ServiceEnvironment { req.serviceEnvironment }

    /// The customer a call names by userid (+ password) and/or customermappingid.
    static func customer(_ req: Request, _ p: BillingParams, _ c: BillingCaller, login: String = "userid", password: String = "password") async throws -> CustomerModel {
        try await CustomerService.locate(env(req), actor: c.actor, deploymentID: c.deploymentID, login: p.text(login, "loginid"),
                                         password: p.text(password), mappingID: p.text("customermappingid"))
    }

    /// Operator-only calls: a reseller's token may sell, renew, change and read its customers, not
    /// delete them or rewrite their details.
    static func operatorOnly(_ c: BillingCaller) throws {
        if c.resellerID != nil {
            throw DomainError(.forbidden, code: "operator_only", "This call is for the operator's authToken; a reseller token may not use it.")
        }
    }

    /// months / days (the manual's pair; 0 = use the other) as a plan length, or nil for neither.
    static func length(_ p: BillingParams, months: String, days: String) throws -> PlanLength? {
        if let m = try p.int(months) {
            guard m > 0 && m <= 120 else { throw DomainError.validation([months: "must be between 1 and 120"]) }
            return PlanLength(count: m, unit: .months)
        }
        if let d = try p.int(days) {
            guard d > 0 && d <= 3660 else { throw DomainError.validation([days: "must be between 1 and 3660"]) }
            return PlanLength(count: d, unit: .days)
        }
        return nil
    }

    /// The product a call names by productid or productmappingid.
    static func product(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> ProductModel {
        let q = ProductModel.query(on: req.db).filter(\.$deploymentID == c.deploymentID)
        if let id = try p.int("productid") { q.filter(\.$id == id) }
        else if let m = p.text("productmappingid") { q.filter(\.$mappingID == m) }
        else { throw DomainError.validation(["productid": "is required (or productmappingid)"]) }
        guard let product = try await q.first() else { throw DomainError.notFound("The product") }
        return product
    }

    /// The plan of `product` a call means: `planid` when given, else the plan of the given length,
    /// else the product's first plan.
    static func plan(_ req: Request, _ p: BillingParams, product: ProductModel, months: String = "subscriptionlengthinmonths",
                     days: String = "subscriptionlengthindays") async throws -> PaymentPlanModel {
        let plans = try await PaymentPlanModel.query(on: req.db).filter(\.$productID == product.id!).filter(\.$extraPackageID == nil).sort(\.$id).all()
        if let id = try p.int("planid") {
            guard let plan = plans.first(where: { $0.id == id }) else { throw DomainError.validation(["planid": "is not a plan of \(product.name)"]) }
            return plan
        }
        guard let first = plans.first else {
            throw DomainError(.conflict, code: "product_without_plan", "\(product.name) has no payment plan yet; add one under CRM › Products.")
        }
        guard let wanted = try length(p, months: months, days: days) else { return first }
        guard let plan = plans.first(where: { $0.lengthCount == wanted.count && $0.lengthUnit == wanted.unit.rawValue }) else {
            throw DomainError.validation([wanted.unit == .days ? days : months: "\(product.name) has no plan of \(wanted); its plans are " + plans.map(\.name).joined(separator: ", ")])
        }
        return plan
    }

    static func country(_ p: BillingParams) throws -> String {
        guard let v = p.text("country") else { return "" }
        // Names and aliases first ("UK" is GB), then ISO codes.
        if let code = Country.code(forName: v) { return code }
        guard v.count == 2, Country.isCode(v.uppercased()) else {
            throw DomainError.validation(["country": "\"\(v)\" is not a country name or two-letter code (see GetCountries)"])
        }
        return v.uppercased()
    }

    /// The contact fields the API carries, over `base` (for edits) or empty.
    static func contact(_ p: BillingParams, base: CustomerService.Contact = .init()) throws -> CustomerService.Contact {
        var c = base
        if let v = p.text("firstname") { c.firstName = v }
        if let v = p.text("lastname") { c.lastName = v }
        if let v = p.text("street", "address") { c.street = v }
        if let v = p.text("zipcode", "zip") { c.zip = v }
        if let v = p.text("city") { c.city = v }
        if let v = p.text("state") { c.state = v }
        if p.text("country") != nil { c.country = try country(p) }
        if let v = p.text("phone") { c.phone = v }
        if let v = p.text("mobile") { c.mobile = v }
        if let v = p.text("email") { c.email = v }
        if let v = p.text("customermappingid") { c.mappingID = v }
        if let v = p.text("comment") { c.comment = v }
        return c
    }

    static func statusLabel(_ c: CustomerModel) -> String { CustomerStatus(rawValue: c.status)?.label ?? c.status }

    /// The status as of now (the stored one may lag the expiry sweep by minutes).
    static func currentStatus(_ req: Request, _ c: CustomerModel, product: ProductModel?) -> String {
        guard let product else { return statusLabel(c) }
        return CustomerService.status(c, product: product, now: req.serviceEnvironment.now).label
    }

    /// A customer as GetCustomer answers it.
    static func customerJSON(_ req: Request, _ c: CustomerModel) async throws -> JSONValue {
        let product = try await ProductModel.find(c.productID, on: req.db)
        let extras = try await CustomerExtraPackageModel.query(on: req.db).filter(\.$customerID == c.id!).all()
        let devices = try await CustomerDeviceModel.query(on: req.db).filter(\.$customerID == c.id!).filter(\.$linked == true).all()
        return .object([
            "CustomerID": .from(c.id), "loginid": .string(c.login), "loginId": .string(c.login), "userid": .string(c.login),
            "customermappingid": .from(c.mappingID), "firstname": .string(c.firstName), "lastname": .string(c.lastName),
            "street": .string(c.street), "zipcode": .string(c.zip), "city": .string(c.city), "state": .string(c.state), "country": .string(c.country),
            "phone": .string(c.phone), "mobile": .string(c.mobile), "email": .string(c.email),
            "ProductID": .from(c.productID), "ProductName": .from(product?.name), "PlanID": .from(c.planID), "currency": .string(c.currency),
            "status": .string(currentStatus(req, c, product: product)), "startdate": .epoch(c.startsAt), "expiredate": .epoch(c.expiresAt),
            "reseller_id": .from(c.resellerID), "dealer_id": .from(c.dealerID),
            "extraPackages": .array(extras.map { ["ExtraPackageID": .from($0.extraPackageID), "PlanID": .from($0.planID), "expiredate": .epoch($0.synced ? c.expiresAt : $0.expiresAt),
                                                  "syncWithCurrentSubscription": .bool($0.synced)] }),
            "devices": .array(devices.map { ["DeviceID": .from($0.id), "mac": .string($0.mac.uppercased()), "serial": .string($0.serial), "model": .string($0.model)] }),
        ])
    }

    static func statusJSON(_ req: Request, _ c: CustomerModel) async throws -> JSONValue {
        let product = try await ProductModel.find(c.productID, on: req.db)
        return ["CustomerID": .from(c.id), "loginid": .string(c.login), "customermappingid": .from(c.mappingID), "status": .string(currentStatus(req, c, product: product)),
                "expiredate": .epoch(c.expiresAt), "ProductID": .from(c.productID), "ProductName": .from(product?.name)]
    }

    // MARK: Provisioning

    static func addCustomer(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let product = try await product(req, p, c)
        let plan = try await plan(req, p, product: product)
        var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: p.text("currency")?.uppercased() ?? product.defaultCurrency,
                                            contact: try contact(p))
        n.login = p.text("userid", "loginid") ?? ""
        n.password = p.text("password") ?? ""
        n.startFromFirstLogin = try p.bool("StartSubscriptionFromFirstLogin")
        if let interval = try p.int("renewalinterval") { n.renewalInterval = interval }
        if let dealer = try p.int("dealer_id", "dealerid") { n.contact.dealerID = dealer }
        let created: CustomerService.Created
        if let reseller = try c.reseller(p) {
            created = try await ResellerLedger.sell(env(req), actor: c.actor, deploymentID: c.deploymentID, resellerID: reseller,
                                                    orderID: try p.int("order_id", "orderid"), input: n)
        } else {
            created = try await CustomerService.create(env(req), actor: c.actor, deploymentID: c.deploymentID, input: n)
        }
        let m = created.customer
        return BillingReply(["loginid": .string(m.login), "loginId": .string(m.login), "userid": .string(m.login), "password": .string(created.password),
                             "CustomerID": .from(m.id), "customerId": .from(m.id), "status": .string(statusLabel(m)), "expiredate": .epoch(m.expiresAt),
                             "ProductID": .from(m.productID), "PlanID": .from(m.planID), "reseller_id": .from(m.resellerID)])
    }

    static func renew(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let customer = try await customer(req, p, c)
        let fromExpiry = try p.bool("fromExpireDate") ?? true
        let wanted = try length(p, months: "months", days: "days")
        let renewed: CustomerModel
        if let reseller = try c.reseller(p) {
            // A reseller pays for a plan: the one of the asked length, or the customer's own.
            var planID = customer.planID
            if let wanted {
                guard let plan = try await CustomerService.plan(of: customer.productID, lasting: wanted, on: req.db) else {
                    throw DomainError.validation([wanted.unit == .days ? "days" : "months": "the customer's product has no plan of \(wanted)"])
                }
                planID = plan.id
            }
            renewed = try await ResellerLedger.renew(env(req), actor: c.actor, deploymentID: c.deploymentID, resellerID: reseller, customerID: customer.id!,
                                                     planID: planID, orderID: try p.int("order_id", "orderid"), fromExpiry: fromExpiry)
        } else if let wanted {
            renewed = try await CustomerService.renew(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, by: wanted, fromExpiry: fromExpiry)
        } else {
            renewed = try await CustomerService.renew(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, fromExpiry: fromExpiry)
        }
        return BillingReply(try await statusJSON(req, renewed))
    }

    static func changeProduct(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let customer = try await customer(req, p, c)
        let product = try await product(req, p, c)
        let plan = try await plan(req, p, product: product)
        let fromExpiry = try p.bool("fromExpireDate") ?? false
        let changed: CustomerModel
        if let reseller = try c.reseller(p) {
            changed = try await ResellerLedger.changeProduct(env(req), actor: c.actor, deploymentID: c.deploymentID, resellerID: reseller, customerID: customer.id!,
                                                             productID: product.id!, planID: plan.id!, orderID: try p.int("order_id", "orderid"), fromExpiry: fromExpiry)
        } else {
            changed = try await CustomerService.changeProduct(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!,
                                                              productID: product.id!, planID: plan.id!, fromExpiry: fromExpiry)
        }
        return BillingReply(try await statusJSON(req, changed))
    }

    static func addExtraPackage(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let customer = try await customer(req, p, c)
        let plan = try await extraPlan(req, p, customer)
        let synced = try p.bool("syncWithCurrentSubscription") ?? false
        let e: CustomerExtraPackageModel
        if let reseller = try c.reseller(p) {
            e = try await ResellerLedger.sellExtraPackage(env(req), actor: c.actor, deploymentID: c.deploymentID, resellerID: reseller, customerID: customer.id!,
                                                          planID: plan.id!, synced: synced, orderID: try p.int("order_id", "orderid"))
        } else {
            e = try await CustomerService.addExtraPackage(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, planID: plan.id!, synced: synced)
        }
        return BillingReply(["ExtraPackageID": .from(e.extraPackageID), "PlanID": .from(e.planID), "expiredate": .epoch(e.expiresAt),
                             "syncWithCurrentSubscription": .bool(e.synced), "loginid": .string(customer.login)])
    }

    /// The extra-package plan a call means: extraPackagePlanId, or packageMappingId (+ a length
    /// to choose among its plans).
    static func extraPlan(_ req: Request, _ p: BillingParams, _ customer: CustomerModel) async throws -> PaymentPlanModel {
        let plans = try await PaymentPlanModel.query(on: req.db).filter(\.$productID == customer.productID).filter(\.$extraPackageID != nil).sort(\.$id).all()
        if let id = try p.int("extraPackagePlanId") {
            guard let plan = plans.first(where: { $0.id == id }) else {
                throw DomainError.validation(["extraPackagePlanId": "is not an extra package plan of the customer's product"])
            }
            return plan
        }
        guard let mapping = p.text("packageMappingId"),
              let package = try await ExtraPackageModel.query(on: req.db).filter(\.$productID == customer.productID).filter(\.$mappingID == mapping).first() else {
            throw DomainError.validation(["extraPackagePlanId": "give extraPackagePlanId or the packageMappingId of an extra package of the customer's product"])
        }
        let ofPackage = plans.filter { $0.extraPackageID == package.id }
        if let wanted = try length(p, months: "subscriptionlengthinmonths", days: "subscriptionlengthindays") {
            guard let plan = ofPackage.first(where: { $0.lengthCount == wanted.count && $0.lengthUnit == wanted.unit.rawValue }) else {
                throw DomainError.validation([wanted.unit == .days ? "subscriptionlengthindays" : "subscriptionlengthinmonths":
                                                "\(package.name) has no plan of \(wanted); its plans are " + ofPackage.map(\.name).joined(separator: ", ")])
            }
            return plan
        }
        guard let first = ofPackage.first else { throw DomainError(.conflict, code: "package_without_plan", "\(package.name) has no plan yet.") }
        return first
    }

    static func deleteExtraPackage(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c)
        var packageID = try p.int("extraPackageId")
        if packageID == nil, let planID = try p.int("extraPackagePlanId") { packageID = try await PaymentPlanModel.find(planID, on: req.db)?.extraPackageID }
        if packageID == nil, let mapping = p.text("packageMappingId") {
            packageID = try await ExtraPackageModel.query(on: req.db).filter(\.$productID == customer.productID).filter(\.$mappingID == mapping).first()?.id
        }
        guard let packageID else {
            throw DomainError.validation(["extraPackagePlanId": "does not name an extra package of the customer's product (give extraPackagePlanId, extraPackageId or packageMappingId)"])
        }
        let owned = try await CustomerExtraPackageModel.query(on: req.db).filter(\.$customerID == customer.id!).filter(\.$extraPackageID == packageID).all()
        guard !owned.isEmpty else { throw DomainError.notFound("The customer's extra package") }
        for e in owned {
            try await CustomerService.removeExtraPackage(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, entryID: e.id!)
        }
        return BillingReply(["removed": .int(Int64(owned.count)), "loginid": .string(customer.login)])
    }

    // MARK: Lifecycle

    static func cancel(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c)
        return BillingReply(try await statusJSON(req, try await CustomerService.cancel(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!)))
    }

    static func extendDate(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c)
        guard let date = try p.date("date") else { throw DomainError.validation(["date": "is required (the new expiry in Unix seconds)"]) }
        return BillingReply(try await statusJSON(req, try await CustomerService.extend(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, to: date)))
    }

    static func changeStatus(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let customer = try await customer(req, p, c)
        let disabled: Bool
        switch p.raw("status")?.lowercased() {
        case nil, "disabled", "disable", "0", "false": disabled = true   // as the endpoint's name says, when no status is sent
        case "active", "enabled", "enable", "1", "true": disabled = false
        default: throw DomainError.validation(["status": "must be Active or Disabled"])
        }
        let m = try await CustomerService.setDisabled(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, disabled: disabled)
        return BillingReply(try await statusJSON(req, m))
    }

    static func enable(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let customer = try await customer(req, p, c)
        let m = try await CustomerService.setDisabled(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, disabled: false)
        return BillingReply(try await statusJSON(req, m))
    }

    static func trash(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c)
        try await CustomerService.trash(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!)
        return BillingReply(["CustomerID": .from(customer.id), "loginid": .string(customer.login), "status": "Trashed"])
    }

    static func bulkDelete(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        func list(_ name: String) -> [String] {
            (p.text(name) ?? "").split(whereSeparator: { $0 == "," || $0 == ";" || $0 == "\n" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let logins = list("userids") + list("userid"), mappings = list("customermappingids") + list("customermappingid")
        guard !logins.isEmpty || !mappings.isEmpty else { throw DomainError.validation(["userids": "give userids or customermappingids, comma-separated"]) }
        guard logins.count + mappings.count <= 1000 else { throw DomainError.validation(["userids": "at most 1000 customers per call"]) }
        var results: [JSONValue] = []
        var deleted = 0
        for (value, isLogin) in logins.map({ ($0, true) }) + mappings.map({ ($0, false) }) {
            do {
                let m = try await CustomerService.locate(env(req), actor: c.actor, deploymentID: c.deploymentID, login: isLogin ? value : nil, password: nil,
                                                         mappingID: isLogin ? nil : value)
                try await CustomerService.trash(env(req), actor: c.actor, deploymentID: c.deploymentID, id: m.id!)
                deleted += 1
                results.append([isLogin ? "userid" : "customermappingid": .string(value), "result": "deleted", "CustomerID": .from(m.id)])
            } catch let e as DomainError {
                results.append([isLogin ? "userid" : "customermappingid": .string(value), "result": .string(e.kind == .notFound ? "not found" : "refused"), "Message": .string(e.message)])
            }
        }
        return BillingReply(["deleted": .int(Int64(deleted)), "results": .array(results)])
    }

    static func changeLogin(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c, login: "old_userid", password: "old_password")
        let m = try await CustomerService.changeLogin(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!,
                                                      login: try p.require("new_userid"), password: try p.require("new_password"))
        return BillingReply(["CustomerID": .from(m.id), "loginid": .string(m.login), "userid": .string(m.login)])
    }

    static func edit(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        // WHMCS changes a password by sending it as `password`: here it is the new one, not a check.
        let customer = try await CustomerService.locate(env(req), actor: c.actor, deploymentID: c.deploymentID, login: p.text("userid", "loginid"),
                                                        password: nil, mappingID: p.text("customermappingid"))
        let newPassword = p.text("new_password", "newpassword", "password")
        if let newPassword, let problem = Credentials.passwordProblem(newPassword) { throw DomainError.validation(["password": problem]) }
        var base = CustomerService.contact(of: customer)
        var fields = try contact(p, base: base)
        // customermappingid names the customer here; new_customermappingid changes it.
        fields.mappingID = p.text("new_customermappingid") ?? base.mappingID
        base = fields
        var m = try await CustomerService.updateContact(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, contact: base)
        if let newPassword {
            _ = try await CustomerService.resetPassword(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, password: newPassword)
            m = try await CustomerService.find(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!)
        }
        return BillingReply(try await customerJSON(req, m))
    }

    // MARK: Devices

    static func addDevice(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c)
        let d = try await CustomerService.linkDevice(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!,
                                                     mac: p.text("mac", "macaddress", "uuid") ?? "", serial: p.text("serial", "serialnumber") ?? "", model: p.text("model") ?? "")
        return BillingReply(["DeviceID": .from(d.id), "mac": .string(d.mac.uppercased()), "serial": .string(d.serial), "loginid": .string(customer.login)])
    }

    static func deleteDevice(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        try operatorOnly(c)
        let customer = try await customer(req, p, c)
        let q = CustomerDeviceModel.query(on: req.db).filter(\.$customerID == customer.id!)
        if let id = try p.int("deviceid") { q.filter(\.$id == id) }
        else if let mac = p.text("mac", "macaddress", "uuid") {
            guard let normalised = SearchKey.mac(mac) else { throw DomainError.validation(["mac": "is not a MAC address (12 hex digits)"]) }
            q.filter(\.$mac == normalised)
        } else if let serial = p.text("serial", "serialnumber") { q.filter(\.$serial == serial) }
        else { throw DomainError.validation(["mac": "give the device's mac, serial or deviceid"]) }
        guard let d = try await q.first() else { throw DomainError.notFound("The device") }
        try await CustomerService.deleteDevice(env(req), actor: c.actor, deploymentID: c.deploymentID, id: customer.id!, deviceID: d.id!)
        return BillingReply(["DeviceID": .from(d.id), "deleted": true])
    }

    static func customerByMac(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        guard let mac = p.text("mac", "macaddress").flatMap(SearchKey.mac) else { throw DomainError.validation(["mac": "is required (12 hex digits)"]) }
        guard let d = try await CustomerDeviceModel.query(on: req.db).filter(\.$mac == mac).filter(\.$linked == true).first(),
              let m = try? await CustomerService.find(env(req), actor: c.actor, deploymentID: c.deploymentID, id: d.customerID, resellerMayAct: true) else {
            throw DomainError.notFound("A customer with MAC \(mac.uppercased())")
        }
        return BillingReply(try await statusJSON(req, m))
    }

    // MARK: Reads

    static func status(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        BillingReply(try await statusJSON(req, try await customer(req, p, c)))
    }

    static func statusByReseller(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        guard p.raw("reseller_id") != nil || c.resellerID != nil else {
            throw DomainError.validation(["reseller_id": "is required (0 for customers without a reseller)"])
        }
        let reseller = try c.reseller(p)
        let page = try p.int("page") ?? 1
        guard page >= 1 else { throw DomainError.validation(["page": "starts at 1"]) }
        var status: CustomerStatus? = nil
        if let s = p.text("status_type", "statustype") {
            guard let st = CustomerStatus.allCases.first(where: { $0.label.lowercased() == s.lowercased() }) else {
                throw DomainError.validation(["status_type": "must be Active, Expired, Pending, Disabled or Trial"])
            }
            status = st
        }
        let size = 1000
        let (rows, total) = try await CustomerService.pageByReseller(env(req), actor: c.actor, deploymentID: c.deploymentID, resellerID: reseller, status: status,
                                                                     page: page, size: size)
        return BillingReply(["page": .int(Int64(page)), "pageSize": .int(Int64(size)), "total": .int(Int64(total)),
                             "pages": .int(Int64((total + size - 1) / size)),
                             "customers": .array(rows.map { m in
                                 ["CustomerID": .from(m.id), "loginid": .string(m.login), "customermappingid": .from(m.mappingID), "status": .string(statusLabel(m)),
                                  "expiredate": .epoch(m.expiresAt), "ProductID": .from(m.productID)]
                             })])
    }

    static func getCustomer(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        BillingReply(try await customerJSON(req, try await customer(req, p, c)))
    }

    /// Whether these credentials may log in now: for app logins and external portals. Wrong
    /// credentials are an answer here (valid: false), not an error.
    static func validate(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let login = try p.require("userid")
        let password = try p.require("password")
        do {
            let m = try await CustomerService.locate(env(req), actor: c.actor, deploymentID: c.deploymentID, login: login, password: password, mappingID: nil)
            let served = try await CustomerService.isServed(env(req), customer: m)
            let product = try await ProductModel.find(m.productID, on: req.db)
            return BillingReply(["valid": true, "served": .bool(served), "status": .string(currentStatus(req, m, product: product)), "expiredate": .epoch(m.expiresAt),
                                 "CustomerID": .from(m.id), "ProductID": .from(m.productID)])
        } catch let e as DomainError where e.kind == .notFound || e.kind == .unauthorized {
            return BillingReply(["valid": false, "served": false, "Message": "Unknown userid or wrong password."])
        }
    }

    static func countries(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        BillingReply(.array(Country.all.map { ["code": .string($0.code), "name": .string($0.name)] }))
    }

    static func products(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let env = env(req)
        let products = try await ProductModel.query(on: req.db).filter(\.$deploymentID == c.deploymentID).sort(\.$id).all()
        let plans = try await PaymentPlanModel.query(on: req.db).filter(\.$productID ~~ products.compactMap(\.id)).sort(\.$id).all()
        let prices = try await PlanPriceModel.query(on: req.db).filter(\.$planID ~~ plans.compactMap(\.id)).all()
        let packages = try await ExtraPackageModel.query(on: req.db).filter(\.$productID ~~ products.compactMap(\.id)).sort(\.$id).all()
        // A reseller sees what it may sell, with what one sale costs it.
        var assigned: [Int: Int]? = nil
        var mappedPackages: Set<Int>? = nil
        var packageTerms: [Int: (price: Int64?, discount: Int)] = [:]
        var prepaid = false
        if let rid = c.resellerID {
            assigned = Dictionary(try await ResellerService.assignments(env, resellerID: rid).map { ($0.planID, $0.discountBasisPoints) }, uniquingKeysWith: { a, _ in a })
            let mappings = try await ResellerExtras.extraPackageMappings(env, resellerID: rid)
            mappedPackages = Set(mappings.map(\.extraPackageID))
            for m in mappings { packageTerms[m.extraPackageID] = (m.creditsPrice, m.discountBasisPoints) }
            prepaid = try await ResellerModel.find(rid, on: req.db)?.resellerType == ResellerType.prepaid.rawValue
        }
        func planJSON(_ plan: PaymentPlanModel) -> JSONValue {
            var o: [String: JSONValue] = [
                "PlanID": .from(plan.id), "PlanName": .string(plan.name), "Length": .int(Int64(plan.lengthCount)), "LengthUnit": .string(plan.lengthUnit),
                "Prices": .object(Dictionary(prices.filter { $0.planID == plan.id }.map { ($0.currency, JSONValue.string(Money(minorUnits: $0.amount, currency: CurrencyCode($0.currency) ?? .credits).amountString)) },
                                             uniquingKeysWith: { a, _ in a })),
                "CreditsPrice": plan.creditsPrice.map { .int($0) } ?? .null,
            ]
            if let bp = assigned?[plan.id!] {
                o["ResellerCharge"] = prepaid ? "1 unit" : plan.creditsPrice.map { .int(ResellerPricing.charge(creditsPrice: $0, discountBasisPoints: bp)) } ?? .null
            } else if let pkg = plan.extraPackageID, let terms = packageTerms[pkg] {
                o["ResellerCharge"] = prepaid ? "1 unit" : (terms.price ?? plan.creditsPrice).map { .int(ResellerPricing.charge(creditsPrice: $0, discountBasisPoints: terms.discount)) } ?? .null
            }
            return .object(o)
        }
        let list: [JSONValue] = products.compactMap { product in
            let own = plans.filter { $0.productID == product.id && $0.extraPackageID == nil && (assigned == nil || assigned![$0.id!] != nil) }
            if assigned != nil && own.isEmpty { return nil }
            return .object([
                "ProductID": .from(product.id), "ProductName": .string(product.name), "ProductMappingID": .from(product.mappingID),
                "SubscriptionType": .string(product.subscriptionType), "MaxDevices": .int(Int64(product.maxDevices)), "DefaultCurrency": .string(product.defaultCurrency),
                "Plans": .array(own.map(planJSON)),
                "ExtraPackages": .array(packages.filter { $0.productID == product.id && (mappedPackages == nil || mappedPackages!.contains($0.id!)) }.map { pkg in
                    ["ExtraPackageID": .from(pkg.id), "Name": .string(pkg.name), "PackageMappingID": .from(pkg.mappingID),
                     "Plans": .array(plans.filter { $0.extraPackageID == pkg.id }.map(planJSON))]
                }),
            ])
        }
        return BillingReply(.array(list))
    }

    /// What to offer the customer next: the deployment's other products and the extra packages
    /// of the customer's product it does not have yet, most popular first. (Content
    /// recommendations for the home screen come from the CMS.)
    static func recommendations(_ req: Request, _ p: BillingParams, _ c: BillingCaller) async throws -> BillingReply {
        let customer = try await customer(req, p, c)
        // Popularity across all customers is the operator's business; a reseller gets the plain list.
        let counts = c.resellerID == nil ? try await CustomerService.counts(env(req), actor: c.actor, deploymentID: c.deploymentID).product : [:]
        let products = try await ProductModel.query(on: req.db).filter(\.$deploymentID == c.deploymentID).filter(\.$id != customer.productID).all()
            .filter { $0.subscriptionType != SubscriptionType.trial.rawValue }
            .sorted { (counts[$0.id!] ?? 0, -$0.id!) > (counts[$1.id!] ?? 0, -$1.id!) }
        let owned = Set(try await CustomerExtraPackageModel.query(on: req.db).filter(\.$customerID == customer.id!).all().map(\.extraPackageID))
        var packages = try await ExtraPackageModel.query(on: req.db).filter(\.$productID == customer.productID).sort(\.$id).all().filter { !owned.contains($0.id!) }
        var offered = products
        if let rid = c.resellerID {
            // A reseller is offered only what it may sell.
            let mapped = Set(try await ResellerExtras.extraPackageMappings(env(req), resellerID: rid).map(\.extraPackageID))
            let assigned = Set(try await ResellerService.assignments(env(req), resellerID: rid).map(\.productID))
            packages = packages.filter { mapped.contains($0.id!) }
            offered = products.filter { assigned.contains($0.id!) }
        }
        return BillingReply(["loginid": .string(customer.login),
                             "extraPackages": .array(packages.map { ["ExtraPackageID": .from($0.id), "Name": .string($0.name), "PackageMappingID": .from($0.mappingID)] }),
                             "products": .array(offered.map { p in
                                 var o: [String: JSONValue] = ["ProductID": .from(p.id), "ProductName": .string(p.name)]
                                 if c.resellerID == nil { o["customers"] = .int(Int64(counts[p.id!] ?? 0)) }
                                 return .object(o)
                             })])
    }
}
