import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// REST `/api/v1/deployments/{deploymentId}/…` for the CRM: currencies, products, customers and
/// bulk work. Every handler goes through the same services as the console, so the rules, the
/// tenancy checks and the audit trail are the same.
enum V1CRMController {
    static func register(_ app: Application) {
        let base = app.grouped("api", "v1").grouped(BearerAuthMiddleware(), IdempotencyMiddleware())
        let api = APIRoutes(builder: base, catalogue: app.apiCatalogue, authenticated: true)
        let d = ["deployments", ":deploymentId"]
        func e(_ m: HTTPMethod, _ path: [String], _ summary: String, _ tag: String, query: [(String, String)] = [], body: String? = nil, status: Int = 200, response: String? = nil) -> APIEndpoint {
            APIEndpoint(method: m, components: d + path, summary: summary, tag: tag, query: query, requestSchema: body, responseStatus: status, responseSchema: response)
        }
        api.add(e(.GET, ["currencies"], "Currencies of the deployment", "Currencies", response: "CurrencyList"), use: listCurrencies)
        api.add(e(.POST, ["currencies"], "Add a currency (ISO code or CREDITS)", "Currencies", body: "CurrencyWrite", status: 201, response: "Currency"), use: addCurrency)
        api.add(e(.POST, ["currencies", ":code", "default"], "Make a currency the default", "Currencies", status: 204), use: defaultCurrency)
        api.add(e(.DELETE, ["currencies", ":code"], "Remove an unused currency", "Currencies", status: 204), use: deleteCurrency)

        api.add(e(.GET, ["products"], "Products with plans and prices", "Products", response: "ProductList"), use: listProducts)
        api.add(e(.POST, ["products"], "Create a product", "Products", body: "ProductWrite", status: 201, response: "Product"), use: createProduct)
        api.add(e(.GET, ["products", ":productId"], "One product", "Products", response: "Product"), use: getProduct)
        api.add(e(.PATCH, ["products", ":productId"], "Change a product (not its Trial/Regular type)", "Products", body: "ProductWrite", response: "Product"), use: updateProduct)
        api.add(e(.DELETE, ["products", ":productId"], "Delete a product no customer uses", "Products", status: 204), use: deleteProduct)
        api.add(e(.POST, ["products", ":productId", "plans"], "Add a payment plan", "Products", body: "PlanWrite", status: 201, response: "Product"), use: addPlan)
        api.add(e(.PUT, ["products", ":productId", "plans", ":planId"], "Replace a plan's name, length and prices", "Products", body: "PlanWrite", response: "Product"), use: updatePlan)
        api.add(e(.DELETE, ["products", ":productId", "plans", ":planId"], "Delete a plan nobody is on", "Products", status: 204), use: deletePlan)
        api.add(e(.POST, ["products", ":productId", "extra-packages"], "Add an extra package", "Products", body: "ExtraPackageWrite", status: 201, response: "Product"), use: addExtra)
        api.add(e(.DELETE, ["products", ":productId", "extra-packages", ":extraId"], "Delete an extra package nobody has", "Products", status: 204), use: deleteExtra)
        api.add(e(.POST, ["products", ":productId", "extra-packages", ":extraId", "plans"], "Add a plan to an extra package", "Products", body: "PlanWrite", status: 201, response: "Product"), use: addExtraPlan)
        api.add(e(.POST, ["products", ":productId", "options"], "Add a DVR plan, catch-up plan or app OTA entry", "Products", body: "OptionWrite", status: 201, response: "Product"), use: addOption)
        api.add(e(.DELETE, ["products", ":productId", "options", ":optionId"], "Remove a DVR/catch-up/OTA entry", "Products", status: 204), use: deleteOption)
        api.add(e(.PUT, ["products", ":productId", "ip-access"], "Set IP access rules", "Products", body: "IPAccess", response: "Product"), use: putIPAccess)

        let customerQuery = [("q", "Prefix search: login, name, e-mail, phone, MAC, mapping id, number"), ("status", "pending, trial, active, expired or disabled"),
                             ("productId", "Product id"), ("resellerId", "Reseller id"), ("trashed", "true for the trash"),
                             ("limit", "Page size, 1–500 (default 50)"), ("cursor", "nextCursor of the previous page")]
        api.add(e(.GET, ["customers"], "Customers, newest first (keyset pages)", "Customers", query: customerQuery, response: "CustomerList"), use: listCustomers)
        api.add(e(.POST, ["customers"], "Create a customer (credentials returned once)", "Customers", body: "CustomerCreate", status: 201, response: "CustomerCreated"), use: createCustomer)
        api.add(e(.GET, ["customers", "count"], "Customers by status, product and reseller", "Customers", response: "CustomerCounts"), use: countCustomers)
        api.add(e(.GET, ["customers", "export"], "All matching customers as CSV", "Customers", query: customerQuery.filter { $0.0 != "cursor" && $0.0 != "limit" }), use: exportCustomers)
        api.add(e(.POST, ["customers", "range"], "Add a range of customers (credentials returned once)", "Customers", body: "CustomerRange", status: 201, response: "CustomerCreatedList"), use: addRange)
        api.add(e(.POST, ["customers", "import"], "Import customers from a CSV body (text/csv) or an .xlsx body; all or nothing", "Customers", status: 201, response: "CustomerCreatedList"), use: importCustomers)
        api.add(e(.POST, ["customers", "bulk-edit"], "Change many customers at once", "Customers", body: "BulkEdit", response: "BulkResult"), use: bulkEdit)
        api.add(e(.POST, ["customers", "bulk-delete"], "Move many customers to the trash", "Customers", body: "BulkSelection", response: "BulkResult"), use: bulkTrash)
        api.add(e(.GET, ["customers", "lookup"], "The customer with this login, mapping id or linked MAC (as billing systems name them)", "Customers",
                  query: [("login", "The customer's login (userid)"), ("mappingId", "The external mapping id"), ("mac", "A linked device's MAC")], response: "Customer"), use: lookup)
        api.add(e(.GET, ["countries"], "Country codes and names accepted in contact data", "Customers", response: "CountryList"), use: countries)
        api.add(e(.GET, ["customers", ":customerId"], "One customer", "Customers", response: "Customer"), use: getCustomer)
        api.add(e(.PATCH, ["customers", ":customerId"], "Change contact and reference data", "Customers", body: "Contact", response: "Customer"), use: updateCustomer)
        api.add(e(.DELETE, ["customers", ":customerId"], "Move to the trash", "Customers", status: 204), use: trashCustomer)
        api.add(e(.POST, ["customers", ":customerId", "restore"], "Restore from the trash", "Customers", response: "Customer"), use: restoreCustomer)
        api.add(e(.DELETE, ["customers", ":customerId", "purge"], "Remove a trashed customer for good", "Customers", status: 204), use: purgeCustomer)
        api.add(e(.POST, ["customers", ":customerId", "renew"], "Renew by a plan", "Subscriptions", body: "Renew", response: "Customer"), use: renew)
        api.add(e(.POST, ["customers", ":customerId", "extend"], "Set an explicit expiry", "Subscriptions", body: "Extend", response: "Customer"), use: extend)
        api.add(e(.POST, ["customers", ":customerId", "change-product"], "Move to another product and plan", "Subscriptions", body: "ChangeProduct", response: "Customer"), use: changeProduct)
        api.add(e(.POST, ["customers", ":customerId", "cancel"], "End the subscription now", "Subscriptions", response: "Customer"), use: cancel)
        api.add(e(.POST, ["customers", ":customerId", "disable"], "Disable", "Subscriptions", response: "Customer"), use: disable)
        api.add(e(.POST, ["customers", ":customerId", "enable"], "Enable", "Subscriptions", response: "Customer"), use: enable)
        api.add(e(.POST, ["customers", ":customerId", "credentials"], "Change the login and password together", "Customers", body: "CredentialsChange",
                  response: "Customer"), use: changeCredentials)
        api.add(e(.POST, ["customers", ":customerId", "password"], "Set or generate a new password (returned once)", "Customers", body: "PasswordReset", response: "PasswordResult"), use: resetPassword)
        api.add(e(.GET, ["customers", ":customerId", "devices"], "Linked devices and devices in use", "Devices", response: "DeviceList"), use: listDevices)
        api.add(e(.POST, ["customers", ":customerId", "devices"], "Link a set-top box by MAC or serial", "Devices", body: "DeviceLink", status: 201, response: "Device"), use: linkDevice)
        api.add(e(.POST, ["customers", ":customerId", "devices", ":deviceId", "connect"], "Allow a linked device to log in", "Devices", status: 204), use: connectDevice)
        api.add(e(.POST, ["customers", ":customerId", "devices", ":deviceId", "disconnect"], "Block a linked device", "Devices", status: 204), use: disconnectDevice)
        api.add(e(.DELETE, ["customers", ":customerId", "devices", ":deviceId"], "Remove a device (frees a place)", "Devices", status: 204), use: deleteDevice)
        api.add(e(.GET, ["customers", ":customerId", "wallet"], "Wallet balance and movements", "Wallet", response: "Wallet"), use: getWallet)
        api.add(e(.POST, ["customers", ":customerId", "wallet"], "Add (positive) or take (negative) an amount; idempotent by key", "Wallet", body: "WalletMove", status: 201, response: "WalletTransaction"), use: moveWallet)
        api.add(e(.GET, ["customers", ":customerId", "extra-packages"], "Extra packages of the customer", "Subscriptions", response: "CustomerExtraPackageList"), use: listExtras)
        api.add(e(.POST, ["customers", ":customerId", "extra-packages"], "Sell an extra package plan", "Subscriptions", body: "ExtraPackageSale", status: 201, response: "CustomerExtraPackage"), use: sellExtra)
        api.add(e(.DELETE, ["customers", ":customerId", "extra-packages", ":entryId"], "Remove an extra package", "Subscriptions", status: 204), use: removeExtra)
        api.add(e(.GET, ["customers", ":customerId", "messages"], "Messages sent to the customer's apps", "Messages", response: "MessageList"), use: listMessages)
        api.add(e(.POST, ["customers", ":customerId", "messages"], "Send a message to the customer's apps", "Messages", body: "MessageWrite", status: 201, response: "Message"), use: sendMessage)
    }

    // MARK: Context

    struct Ctx {
        var env: ServiceEnvironment
        var actor: Principal
        var deploymentID: UUID
    }

    static func ctx(_ req: Request) throws -> Ctx {
        let actor = try req.actor
        let id = try req.parameters.require("deploymentId", as: UUID.self)
        try actor.require(.crm, in: id)
        return Ctx(env: req.serviceEnvironment, actor: actor, deploymentID: id)
    }

    static func json<T: Content>(_ req: Request, _ v: T, _ status: HTTPStatus = .ok) async throws -> Response {
        try await v.encodeResponse(status: status, for: req)
    }

    static func int(_ req: Request, _ name: String) throws -> Int { try req.parameters.require(name, as: Int.self) }

    // MARK: DTOs

    struct CurrencyDTO: Content {
        var code: String; var name: String; var symbol: String; var isDefault: Bool; var minorDigits: Int
        init(_ c: CurrencyModel) { code = c.code; name = c.name; symbol = c.symbol; isDefault = c.isDefault; minorDigits = CurrencyCode(c.code)?.minorDigits ?? 2 }
    }

    struct PlanDTO: Content {
        var id: Int; var name: String; var length: Int; var unit: String; var prices: [String: Int64]; var creditsPrice: Int64?
    }

    struct ExtraDTO: Content { var id: Int; var name: String; var mappingId: String?; var plans: [PlanDTO] }

    struct OptionDTO: Content { var id: Int; var kind: String; var name: String; var amount: Int; var platform: String; var version: String; var url: String }

    struct ProductDTO: Content {
        var id: Int; var name: String; var mappingId: String?; var subscriptionType: String; var paymentType: String
        var startFromFirstLogin: Bool; var allowedCountries: [String]; var isRTL: Bool; var maxDevices: Int; var pvrQuotaHours: Int; var userInterfaceId: String?
        var defaultCurrency: String; var disclaimer: String; var supportText: String
        var ipAllowed: [String]; var ipBlocked: [String]; var ipLockFirst: Bool
        var sellable: Bool; var customers: Int
        var plans: [PlanDTO]; var extraPackages: [ExtraDTO]; var options: [OptionDTO]

        init(_ d: ProductService.Details) {
            let p = d.product
            func plan(_ m: PaymentPlanModel) -> PlanDTO {
                PlanDTO(id: m.id!, name: m.name, length: m.lengthCount, unit: m.lengthUnit,
                        prices: Dictionary(uniqueKeysWithValues: (d.prices[m.id!] ?? []).map { ($0.currency, $0.amount) }), creditsPrice: m.creditsPrice)
            }
            id = p.id!; name = p.name; mappingId = p.mappingID; subscriptionType = p.subscriptionType; paymentType = p.paymentType
            startFromFirstLogin = p.startFromFirstLogin; allowedCountries = p.allowedCountries.split(separator: ",").map(String.init)
            isRTL = p.isRTL; maxDevices = p.maxDevices; pvrQuotaHours = p.pvrQuotaHours; userInterfaceId = p.userInterfaceID; defaultCurrency = p.defaultCurrency
            disclaimer = p.disclaimer; supportText = p.supportText
            ipAllowed = p.ipAllowed.split(separator: "\n").map(String.init); ipBlocked = p.ipBlocked.split(separator: "\n").map(String.init)
            ipLockFirst = p.ipLockFirst; sellable = d.isSellable; customers = d.customerCount
            plans = d.plans(ofExtra: nil).map(plan)
            extraPackages = d.extraPackages.map { e in ExtraDTO(id: e.id!, name: e.name, mappingId: e.mappingID, plans: d.plans(ofExtra: e.id).map(plan)) }
            options = d.options.map { OptionDTO(id: $0.id!, kind: $0.kind, name: $0.name, amount: $0.amount, platform: $0.platform, version: $0.version, url: $0.url) }
        }
    }

    struct CustomerDTO: Content {
        var id: Int; var login: String; var status: String; var productId: Int; var planId: Int?; var currency: String
        var startsAt: Date?; var expiresAt: Date?; var startFromFirstLogin: Bool; var renewalInterval: Int; var walletBalance: Int64
        var title: String; var firstName: String; var lastName: String; var street: String; var zip: String; var city: String; var state: String
        var country: String; var phone: String; var mobile: String; var email: String; var facility: String; var comment: String
        var mappingId: String?; var resellerId: Int?; var dealerId: Int?; var createdAt: Date?; var deletedAt: Date?

        init(_ c: CustomerModel, now: Date, product: ProductModel?) {
            id = c.id!; login = c.login
            status = product.map { CustomerService.status(c, product: $0, now: now).rawValue } ?? c.status
            productId = c.productID; planId = c.planID; currency = c.currency; startsAt = c.startsAt; expiresAt = c.expiresAt
            startFromFirstLogin = c.startFromFirstLogin; renewalInterval = c.renewalInterval; walletBalance = c.walletBalance
            title = c.title; firstName = c.firstName; lastName = c.lastName; street = c.street; zip = c.zip; city = c.city; state = c.state
            country = c.country; phone = c.phone; mobile = c.mobile; email = c.email; facility = c.facility; comment = c.comment
            mappingId = c.mappingID; resellerId = c.resellerID; dealerId = c.dealerID; createdAt = c.createdAt; deletedAt = c.deletedAt
        }
    }

    struct CreatedDTO: Content { var customer: CustomerDTO; var password: String }
    struct CreatedListDTO: Content { var created: [CreatedDTO] }

    struct DeviceDTO: Content {
        var id: Int; var linked: Bool; var connected: Bool; var mac: String; var serial: String; var uuid: String; var model: String
        var type: String; var ip: String; var appVersion: String; var lastSeenAt: Date?
        init(_ d: CustomerDeviceModel) {
            id = d.id!; linked = d.linked; connected = d.connected; mac = d.mac; serial = d.serial; uuid = d.uuid; model = d.model
            type = d.deviceType; ip = d.ip; appVersion = d.appVersion; lastSeenAt = d.lastSeenAt
        }
    }

    struct WalletTxDTO: Content {
        var id: Int; var at: Date; var amount: Int64; var balanceAfter: Int64; var currency: String; var reason: String; var actor: String; var idempotencyKey: String?
        init(_ t: WalletTransactionModel) {
            id = t.id!; at = t.at; amount = t.amount; balanceAfter = t.balanceAfter; currency = t.currency; reason = t.reason; actor = t.actorLabel; idempotencyKey = t.idempotencyKey
        }
    }

    struct ExtraEntryDTO: Content {
        var id: Int; var extraPackageId: Int; var planId: Int; var synced: Bool; var startsAt: Date; var expiresAt: Date; var active: Bool
    }

    struct MessageDTO: Content {
        var id: Int; var at: Date; var subject: String; var body: String; var readAt: Date?
        init(_ m: CustomerMessageModel) { id = m.id!; at = m.at; subject = m.subject; body = m.body; readAt = m.readAt }
    }

    struct DataList<T: Content>: Content { var data: [T] }

    static func customerDTO(_ req: Request, _ c: CustomerModel) async throws -> CustomerDTO {
        CustomerDTO(c, now: req.serviceEnvironment.now, product: try await ProductModel.find(c.productID, on: req.db))
    }

    static func productDTO(_ x: Ctx, _ req: Request, _ id: Int) async throws -> ProductDTO {
        ProductDTO(try await ProductService.details(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id))
    }

    // MARK: Currencies

    static func listCurrencies(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await json(req, DataList(data: try await CurrencyService.list(x.env, actor: x.actor, deploymentID: x.deploymentID).map(CurrencyDTO.init)))
    }

    struct CurrencyBody: Content { var code: String; var name: String?; var symbol: String? }

    static func addCurrency(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(CurrencyBody.self)
        return try await json(req, CurrencyDTO(try await CurrencyService.add(x.env, actor: x.actor, deploymentID: x.deploymentID, code: b.code, name: b.name, symbol: b.symbol)), .created)
    }

    static func defaultCurrency(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await CurrencyService.setDefault(x.env, actor: x.actor, deploymentID: x.deploymentID, code: try req.parameters.require("code").uppercased())
        return Response(status: .noContent)
    }

    static func deleteCurrency(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await CurrencyService.delete(x.env, actor: x.actor, deploymentID: x.deploymentID, code: try req.parameters.require("code").uppercased())
        return Response(status: .noContent)
    }

    // MARK: Products

    struct ProductBody: Content {
        var name: String?; var mappingId: String?; var subscriptionType: String?; var paymentType: String?; var startFromFirstLogin: Bool?
        var allowedCountries: [String]?; var isRTL: Bool?; var maxDevices: Int?; var pvrQuotaHours: Int?; var userInterfaceId: String?; var defaultCurrency: String?
        var disclaimer: String?; var supportText: String?

        func input(over base: ProductService.Input?) -> ProductService.Input {
            ProductService.Input(name: name ?? base?.name ?? "", mappingID: mappingId ?? base?.mappingID ?? "",
                                 subscriptionType: subscriptionType ?? base?.subscriptionType ?? "", paymentType: paymentType ?? base?.paymentType ?? "subscription",
                                 startFromFirstLogin: startFromFirstLogin ?? base?.startFromFirstLogin ?? false,
                                 allowedCountries: allowedCountries ?? base?.allowedCountries ?? [], isRTL: isRTL ?? base?.isRTL ?? false,
                                 maxDevices: maxDevices ?? base?.maxDevices ?? 0, pvrQuotaHours: pvrQuotaHours ?? base?.pvrQuotaHours ?? 0, userInterfaceID: userInterfaceId ?? base?.userInterfaceID ?? "",
                                 defaultCurrency: defaultCurrency ?? base?.defaultCurrency ?? "", disclaimer: disclaimer ?? base?.disclaimer ?? "",
                                 supportText: supportText ?? base?.supportText ?? "")
        }
    }

    static func listProducts(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        var out: [ProductDTO] = []
        for p in try await ProductService.list(x.env, actor: x.actor, deploymentID: x.deploymentID) {
            out.append(ProductDTO(try await ProductService.details(of: p, on: req.db)))
        }
        return try await json(req, DataList(data: out))
    }

    static func createProduct(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(ProductBody.self)
        let p = try await ProductService.create(x.env, actor: x.actor, deploymentID: x.deploymentID, input: b.input(over: nil))
        return try await json(req, try await productDTO(x, req, p.id!), .created)
    }

    static func getProduct(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await json(req, try await productDTO(x, req, try int(req, "productId")))
    }

    static func updateProduct(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        let current = try await ProductService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id)
        let b = try req.content.decode(ProductBody.self)
        _ = try await ProductService.update(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id, input: b.input(over: ProductService.Input(current)))
        return try await json(req, try await productDTO(x, req, id))
    }

    static func deleteProduct(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await ProductService.delete(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "productId"))
        return Response(status: .noContent)
    }

    /// Prices as decimal strings per currency ("9.99"), so no client ever sends a float.
    struct PlanBody: Content { var name: String; var length: Int; var unit: String; var prices: [String: String]?; var creditsPrice: String? }

    static func planInput(_ b: PlanBody) -> ProductService.PlanInput {
        ProductService.PlanInput(name: b.name, length: b.length, unit: b.unit, prices: b.prices ?? [:], creditsPrice: b.creditsPrice ?? "")
    }

    static func addPlan(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        _ = try await ProductService.addPlan(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: id, input: planInput(try req.content.decode(PlanBody.self)))
        return try await json(req, try await productDTO(x, req, id), .created)
    }

    static func updatePlan(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        try await ProductService.updatePlan(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: id, planID: try int(req, "planId"), input: planInput(try req.content.decode(PlanBody.self)))
        return try await json(req, try await productDTO(x, req, id))
    }

    static func deletePlan(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await ProductService.deletePlan(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: try int(req, "productId"), planID: try int(req, "planId"))
        return Response(status: .noContent)
    }

    struct ExtraBody: Content { var name: String; var mappingId: String? }

    static func addExtra(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        let b = try req.content.decode(ExtraBody.self)
        _ = try await ProductService.addExtraPackage(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: id, name: b.name, mappingID: b.mappingId ?? "")
        return try await json(req, try await productDTO(x, req, id), .created)
    }

    static func deleteExtra(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await ProductService.deleteExtraPackage(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: try int(req, "productId"), id: try int(req, "extraId"))
        return Response(status: .noContent)
    }

    static func addExtraPlan(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        _ = try await ProductService.addPlan(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: id, extraPackageID: try int(req, "extraId"),
                                             input: planInput(try req.content.decode(PlanBody.self)))
        return try await json(req, try await productDTO(x, req, id), .created)
    }

    struct OptionBody: Content { var kind: String; var name: String?; var amount: Int?; var platform: String?; var version: String?; var url: String?; var mandatory: Bool? }

    static func addOption(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        let b = try req.content.decode(OptionBody.self)
        guard let kind = ProductService.OptionKind(rawValue: b.kind) else { throw DomainError.validation(["kind": "must be dvr, catchup or ota"]) }
        _ = try await ProductService.addOption(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: id, kind: kind, name: b.name ?? "",
                                               amount: kind == .ota ? ((b.mandatory ?? false) ? 1 : 0) : (b.amount ?? 0),
                                               platform: b.platform ?? "", version: b.version ?? "", url: b.url ?? "")
        return try await json(req, try await productDTO(x, req, id), .created)
    }

    static func deleteOption(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await ProductService.deleteOption(x.env, actor: x.actor, deploymentID: x.deploymentID, productID: try int(req, "productId"), id: try int(req, "optionId"))
        return Response(status: .noContent)
    }

    struct IPBody: Content { var allowed: [String]?; var blocked: [String]?; var lockToFirstIP: Bool? }

    static func putIPAccess(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "productId")
        let b = try req.content.decode(IPBody.self)
        try await ProductService.updateIPAccess(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id, allowed: (b.allowed ?? []).joined(separator: "\n"),
                                                blocked: (b.blocked ?? []).joined(separator: "\n"), lockFirst: b.lockToFirstIP ?? false)
        return try await json(req, try await productDTO(x, req, id))
    }

    // MARK: Customers

    static func customerQuery(_ req: Request) throws -> CustomerService.Query {
        var q = CustomerService.Query()
        q.search = req.query[String.self, at: "q"] ?? ""
        q.status = req.query[String.self, at: "status"]
        q.productID = req.query[Int.self, at: "productId"]
        q.resellerID = req.query[Int.self, at: "resellerId"]
        q.trashed = req.query[String.self, at: "trashed"] == "true"
        q.limit = PageSize.clamp(req.query[Int.self, at: "limit"])
        if let c = try V1Controller.cursor(req) {
            guard let before = Int(c.id) else { throw DomainError(.invalid, code: "bad_cursor", "The cursor is not valid.") }
            q.beforeID = before
        }
        return q
    }

    static func listCustomers(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let page = try await CustomerService.list(x.env, actor: x.actor, deploymentID: x.deploymentID, query: try customerQuery(req))
        let products = Dictionary(uniqueKeysWithValues: try await ProductModel.query(on: req.db).filter(\.$deploymentID == x.deploymentID).all().map { ($0.id!, $0) })
        let next = page.hasOlder ? page.customers.last.map { PageCursor(sortValue: "", id: String($0.id!)).encoded } : nil
        return try await json(req, V1Controller.ListResponse(data: page.customers.map { CustomerDTO($0, now: x.env.now, product: products[$0.productID]) }, nextCursor: next))
    }

    struct ContactBody: Content {
        var title: String?; var firstName: String?; var lastName: String?; var street: String?; var zip: String?; var city: String?; var state: String?
        var country: String?; var phone: String?; var mobile: String?; var email: String?; var facility: String?; var comment: String?
        var mappingId: String?; var resellerId: Int?; var dealerId: Int?

        func contact(over c: CustomerModel?) -> CustomerService.Contact {
            var o = c.map(CustomerService.contact(of:)) ?? CustomerService.Contact()
            o.title = title ?? o.title; o.firstName = firstName ?? o.firstName; o.lastName = lastName ?? o.lastName
            o.street = street ?? o.street; o.zip = zip ?? o.zip; o.city = city ?? o.city; o.state = state ?? o.state
            o.country = country ?? o.country; o.phone = phone ?? o.phone; o.mobile = mobile ?? o.mobile; o.email = email ?? o.email
            o.facility = facility ?? o.facility; o.comment = comment ?? o.comment; o.mappingID = mappingId ?? o.mappingID
            o.resellerID = resellerId ?? o.resellerID; o.dealerID = dealerId ?? o.dealerID
            return o
        }
    }

    struct CreateBody: Content {
        var productId: Int; var planId: Int; var currency: String?; var login: String?; var password: String?
        var startFromFirstLogin: Bool?; var renewalInterval: Int?; var contact: ContactBody?
    }

    static func createCustomer(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(CreateBody.self)
        let product = try await ProductService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: b.productId)
        var n = CustomerService.NewCustomer(productID: b.productId, planID: b.planId, currency: (b.currency ?? product.defaultCurrency).uppercased(),
                                            contact: (b.contact ?? ContactBody()).contact(over: nil))
        n.login = b.login ?? ""
        n.password = b.password ?? ""
        n.startFromFirstLogin = b.startFromFirstLogin
        n.renewalInterval = b.renewalInterval ?? 1
        let created = try await CustomerService.create(x.env, actor: x.actor, deploymentID: x.deploymentID, input: n)
        return try await json(req, CreatedDTO(customer: try await customerDTO(req, created.customer), password: created.password), .created)
    }

    static func customer(_ req: Request, _ x: Ctx, trashed: Bool = false) async throws -> CustomerModel {
        try await CustomerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), includeTrashed: trashed)
    }

    static func getCustomer(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await json(req, try await customerDTO(req, try await customer(req, x, trashed: true)))
    }

    static func updateCustomer(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let c = try await customer(req, x)
        let b = try req.content.decode(ContactBody.self)
        let updated = try await CustomerService.updateContact(x.env, actor: x.actor, deploymentID: x.deploymentID, id: c.id!, contact: b.contact(over: c))
        return try await json(req, try await customerDTO(req, updated))
    }

    static func trashCustomer(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await CustomerService.trash(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"))
        return Response(status: .noContent)
    }

    static func restoreCustomer(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try int(req, "customerId")
        try await CustomerService.restore(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id)
        return try await json(req, try await customerDTO(req, try await customer(req, x)))
    }

    static func purgeCustomer(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await CustomerService.purge(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"))
        return Response(status: .noContent)
    }

    struct RenewBody: Content { var planId: Int?; var fromExpiry: Bool? }
    struct ExtendBody: Content { var expiresAt: Date }
    struct ChangeBody: Content { var productId: Int; var planId: Int; var fromExpiry: Bool? }

    static func renew(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = (try? req.content.decode(RenewBody.self)) ?? RenewBody()
        let c = try await CustomerService.renew(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), planID: b.planId, fromExpiry: b.fromExpiry ?? true)
        return try await json(req, try await customerDTO(req, c))
    }

    static func extend(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(ExtendBody.self)
        let c = try await CustomerService.extend(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), to: b.expiresAt)
        return try await json(req, try await customerDTO(req, c))
    }

    static func changeProduct(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(ChangeBody.self)
        let c = try await CustomerService.changeProduct(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"),
                                                        productID: b.productId, planID: b.planId, fromExpiry: b.fromExpiry ?? false)
        return try await json(req, try await customerDTO(req, c))
    }

    static func cancel(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await json(req, try await customerDTO(req, try await CustomerService.cancel(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"))))
    }

    static func disable(_ req: Request) async throws -> Response { try await setDisabled(req, true) }
    static func enable(_ req: Request) async throws -> Response { try await setDisabled(req, false) }

    static func setDisabled(_ req: Request, _ disabled: Bool) async throws -> Response {
        let x = try ctx(req)
        let c = try await CustomerService.setDisabled(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), disabled: disabled)
        return try await json(req, try await customerDTO(req, c))
    }

    /// A customer by login, mapping id or linked MAC: the business API's way of naming customers.
    static func lookup(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let login = req.query[String.self, at: "login"].flatMap { $0.isEmpty ? nil : $0 }
        let mapping = req.query[String.self, at: "mappingId"].flatMap { $0.isEmpty ? nil : $0 }
        if let mac = req.query[String.self, at: "mac"], !mac.isEmpty {
            guard let normalised = SearchKey.mac(mac) else { throw DomainError.validation(["mac": "is not a MAC address (12 hex digits)"]) }
            guard let d = try await CustomerDeviceModel.query(on: req.db).filter(\.$mac == normalised).filter(\.$linked == true).first() else {
                throw DomainError.notFound("A customer with that MAC")
            }
            return try await json(req, try await customerDTO(req, try await CustomerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: d.customerID)))
        }
        let c = try await CustomerService.locate(x.env, actor: x.actor, deploymentID: x.deploymentID, login: login, password: nil, mappingID: mapping)
        return try await json(req, try await customerDTO(req, c))
    }

    struct CountryDTO: Content { var code: String; var name: String }

    static func countries(_ req: Request) async throws -> Response {
        _ = try ctx(req)
        return try await json(req, DataList(data: Country.all.map { CountryDTO(code: $0.code, name: $0.name) }))
    }

    struct CredentialsBody: Content { var login: String; var password: String }

    static func changeCredentials(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(CredentialsBody.self)
        let c = try await CustomerService.changeLogin(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), login: b.login, password: b.password)
        return try await json(req, try await customerDTO(req, c))
    }

    struct PasswordBody: Content { var password: String? }
    struct PasswordDTO: Content { var login: String; var password: String }

    static func resetPassword(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = (try? req.content.decode(PasswordBody.self)) ?? PasswordBody()
        let c = try await customer(req, x)
        let p = try await CustomerService.resetPassword(x.env, actor: x.actor, deploymentID: x.deploymentID, id: c.id!, password: b.password ?? "")
        return try await json(req, PasswordDTO(login: c.login, password: p))
    }

    // MARK: Devices, wallet, extras, messages

    static func listDevices(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await json(req, DataList(data: try await CustomerService.devices(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId")).map(DeviceDTO.init)))
    }

    struct DeviceBody: Content { var mac: String?; var serial: String?; var model: String? }

    static func linkDevice(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(DeviceBody.self)
        let d = try await CustomerService.linkDevice(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), mac: b.mac ?? "", serial: b.serial ?? "", model: b.model ?? "")
        return try await json(req, DeviceDTO(d), .created)
    }

    static func connectDevice(_ req: Request) async throws -> Response { try await setConnected(req, true) }
    static func disconnectDevice(_ req: Request) async throws -> Response { try await setConnected(req, false) }

    static func setConnected(_ req: Request, _ connected: Bool) async throws -> Response {
        let x = try ctx(req)
        try await CustomerService.setDeviceConnected(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), deviceID: try int(req, "deviceId"), connected: connected)
        return Response(status: .noContent)
    }

    static func deleteDevice(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await CustomerService.deleteDevice(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), deviceID: try int(req, "deviceId"))
        return Response(status: .noContent)
    }

    struct WalletDTO: Content { var balance: Int64; var currency: String; var transactions: [WalletTxDTO] }

    static func getWallet(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let c = try await customer(req, x)
        let moves = try await CustomerService.walletTransactions(x.env, actor: x.actor, deploymentID: x.deploymentID, id: c.id!)
        return try await json(req, WalletDTO(balance: c.walletBalance, currency: c.currency, transactions: moves.map(WalletTxDTO.init)))
    }

    /// `amount` as a decimal string in the customer's currency ("5.00", "-2.50").
    struct WalletBody: Content { var amount: String; var reason: String; var idempotencyKey: String? }

    static func moveWallet(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let c = try await customer(req, x)
        let b = try req.content.decode(WalletBody.self)
        guard let code = CurrencyCode(c.currency), let m = Money.parse(b.amount, currency: code) else {
            throw DomainError.validation(["amount": "must be a decimal amount in \(c.currency)"])
        }
        let key = b.idempotencyKey ?? req.headers.first(name: "Idempotency-Key")
        let t = try await CustomerService.walletMove(x.env, actor: x.actor, deploymentID: x.deploymentID, id: c.id!, amount: m.minorUnits, reason: b.reason, idempotencyKey: key)
        return try await json(req, WalletTxDTO(t), .created)
    }

    static func extraDTO(_ e: CustomerExtraPackageModel, now: Date) -> ExtraEntryDTO {
        ExtraEntryDTO(id: e.id!, extraPackageId: e.extraPackageID, planId: e.planID, synced: e.synced, startsAt: e.startsAt, expiresAt: e.expiresAt, active: e.expiresAt > now)
    }

    static func listExtras(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let list = try await CustomerService.extraPackages(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"))
        return try await json(req, DataList(data: list.map { extraDTO($0, now: x.env.now) }))
    }

    struct ExtraSaleBody: Content { var planId: Int; var syncWithSubscription: Bool? }

    static func sellExtra(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(ExtraSaleBody.self)
        let e = try await CustomerService.addExtraPackage(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), planID: b.planId, synced: b.syncWithSubscription ?? false)
        return try await json(req, extraDTO(e, now: x.env.now), .created)
    }

    static func removeExtra(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        try await CustomerService.removeExtraPackage(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), entryID: try int(req, "entryId"))
        return Response(status: .noContent)
    }

    static func listMessages(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        return try await json(req, DataList(data: try await CustomerService.messages(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId")).map(MessageDTO.init)))
    }

    struct MessageBody: Content { var subject: String; var body: String }

    static func sendMessage(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(MessageBody.self)
        let m = try await CustomerService.sendMessage(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try int(req, "customerId"), subject: b.subject, body: b.body)
        return try await json(req, MessageDTO(m), .created)
    }

    // MARK: Bulk

    struct CountsDTO: Content { var byStatus: [String: Int]; var byProduct: [String: Int]; var byReseller: [String: Int]; var total: Int }

    static func countCustomers(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let c = try await CustomerService.counts(x.env, actor: x.actor, deploymentID: x.deploymentID)
        var status: [String: Int] = [:]
        for s in CustomerStatus.allCases { status[s.rawValue] = c.status[s.rawValue] ?? 0 }
        return try await json(req, CountsDTO(byStatus: status, byProduct: Dictionary(uniqueKeysWithValues: c.product.map { (String($0.key), $0.value) }),
                                             byReseller: Dictionary(uniqueKeysWithValues: c.reseller.map { ($0.key.map(String.init) ?? "operator", $0.value) }),
                                             total: c.status.values.reduce(0, +)))
    }

    static func exportCustomers(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        var q = try customerQuery(req)
        q.beforeID = nil
        let csv = try await CustomerBulkService.exportCSV(x.env, actor: x.actor, deploymentID: x.deploymentID, filter: q)
        let r = Response(status: .ok, body: .init(string: csv))
        r.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        return r
    }

    struct RangeBody: Content {
        var baseName: String; var count: Int; var startNumber: Int?; var productId: Int; var planId: Int; var currency: String?
        var startFromFirstLogin: Bool?; var contact: ContactBody?
    }

    static func createdList(_ req: Request, _ created: [CustomerService.Created]) async throws -> Response {
        let products = Dictionary(uniqueKeysWithValues: try await ProductModel.query(on: req.db).filter(\.$id ~~ Set(created.map { $0.customer.productID }).map { $0 }).all().map { ($0.id!, $0) })
        let now = req.serviceEnvironment.now
        return try await json(req, CreatedListDTO(created: created.map { CreatedDTO(customer: CustomerDTO($0.customer, now: now, product: products[$0.customer.productID]), password: $0.password) }), .created)
    }

    static func addRange(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(RangeBody.self)
        let product = try await ProductService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: b.productId)
        var input = CustomerBulkService.RangeInput(baseName: b.baseName, count: b.count, productID: b.productId, planID: b.planId, currency: (b.currency ?? product.defaultCurrency).uppercased())
        input.startNumber = b.startNumber ?? 1
        input.contact = (b.contact ?? ContactBody()).contact(over: nil)
        input.startFromFirstLogin = b.startFromFirstLogin
        return try await createdList(req, try await CustomerBulkService.addRange(x.env, actor: x.actor, deploymentID: x.deploymentID, input: input))
    }

    struct ImportErrorsDTO: Content {
        struct Item: Content { var line: Int; var column: String; var message: String }
        var error: APIErrorBody.Detail
        var rows: [Item]
    }

    static func importCustomers(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        guard let body = req.body.data, body.readableBytes > 0 else {
            throw DomainError(.invalid, code: "empty_file", "Send the CSV (Content-Type: text/csv) or .xlsx file as the request body.")
        }
        let isXLSX = req.headers.contentType?.subType.contains("spreadsheetml") == true || req.query[String.self, at: "format"] == "xlsx"
        let rows = try CustomerBulkService.readUpload(filename: isXLSX ? "upload.xlsx" : "upload.csv", data: Data(buffer: body))
        let result = try await CustomerBulkService.importRows(x.env, actor: x.actor, deploymentID: x.deploymentID, rows: rows)
        guard result.errors.isEmpty else {
            let dto = ImportErrorsDTO(error: .init(code: "import_rejected", message: "\(result.errors.count) problem(s); nothing was imported.", fields: nil),
                                      rows: result.errors.map { .init(line: $0.line, column: $0.column, message: $0.message) })
            return try await json(req, dto, .unprocessableEntity)
        }
        return try await createdList(req, result.created)
    }

    struct SelectionBody: Content {
        var ids: [Int]?; var filter: FilterBody?
        struct FilterBody: Content { var q: String?; var status: String?; var productId: Int?; var resellerId: Int? }
        var query: CustomerService.Query? {
            guard let f = filter else { return nil }
            var q = CustomerService.Query()
            q.search = f.q ?? ""; q.status = f.status; q.productID = f.productId; q.resellerID = f.resellerId
            return q
        }
    }

    struct BulkEditBody: Content {
        var ids: [Int]?; var filter: SelectionBody.FilterBody?
        var productId: Int?; var planId: Int?; var expiresAt: Date?; var resellerId: Int?; var clearReseller: Bool?; var dealerId: Int?; var clearDealer: Bool?; var disabled: Bool?
    }

    struct BulkResultDTO: Content { var changed: Int }

    static func bulkEdit(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(BulkEditBody.self)
        let ids = try await CustomerBulkService.targets(x.env, actor: x.actor, deploymentID: x.deploymentID, ids: b.ids, filter: SelectionBody(ids: b.ids, filter: b.filter).query)
        var changes = CustomerBulkService.Changes()
        changes.productID = b.productId; changes.planID = b.planId; changes.expiresAt = b.expiresAt; changes.disabled = b.disabled
        if b.clearReseller == true { changes.resellerID = .some(nil) } else if let r = b.resellerId { changes.resellerID = .some(r) }
        if b.clearDealer == true { changes.dealerID = .some(nil) } else if let d = b.dealerId { changes.dealerID = .some(d) }
        return try await json(req, BulkResultDTO(changed: try await CustomerBulkService.edit(x.env, actor: x.actor, deploymentID: x.deploymentID, ids: ids, changes: changes)))
    }

    static func bulkTrash(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(SelectionBody.self)
        let ids = try await CustomerBulkService.targets(x.env, actor: x.actor, deploymentID: x.deploymentID, ids: b.ids, filter: b.query)
        return try await json(req, BulkResultDTO(changed: try await CustomerBulkService.trash(x.env, actor: x.actor, deploymentID: x.deploymentID, ids: ids)))
    }
}
