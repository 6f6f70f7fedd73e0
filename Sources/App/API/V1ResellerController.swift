import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// REST `/api/v1/deployments/{deploymentId}/resellers/…`: resellers, their credits and orders,
/// sales and renewals on their behalf, and their ledger.
enum V1ResellerController {
    static func register(_ app: Application) {
        let api = APIRoutes(builder: app.grouped("api", "v1").grouped(BearerAuthMiddleware(), IdempotencyMiddleware()), catalogue: app.apiCatalogue, authenticated: true)
        let base = ["deployments", ":deploymentId", "resellers"]
        func e(_ m: HTTPMethod, _ path: [String], _ summary: String, query: [(String, String)] = [], body: String? = nil, status: Int = 200, response: String? = nil) -> APIEndpoint {
            APIEndpoint(method: m, components: base + path, summary: summary, tag: "Resellers", query: query, requestSchema: body, responseStatus: status, responseSchema: response)
        }
        api.add(e(.GET, [], "Resellers of the deployment", response: "ResellerList"), use: list)
        api.add(e(.POST, [], "Create a reseller", body: "ResellerCreate", status: 201, response: "Reseller"), use: create)
        api.add(e(.GET, [":resellerId"], "One reseller with its plans and orders", response: "Reseller"), use: get)
        api.add(e(.POST, [":resellerId", "enable"], "Enable a reseller", status: 204), use: enable)
        api.add(e(.POST, [":resellerId", "disable"], "Disable a reseller (its customers keep their service)", status: 204), use: disable)
        api.add(e(.POST, [":resellerId", "plans"], "Let the reseller sell a plan at a discount", body: "ResellerPlan", response: "Reseller"), use: assign)
        api.add(e(.POST, [":resellerId", "credits"], "Add (positive) or deduct (negative) credits; idempotent by key", body: "ResellerCredits", response: "Reseller"), use: credits)
        api.add(e(.POST, [":resellerId", "orders"], "Sell a prepaid reseller an order of units", body: "ResellerOrderCreate", status: 201, response: "Reseller"), use: order)
        api.add(e(.POST, [":resellerId", "orders", ":orderId", "cancel"], "Refund the unused units and close the order", response: "Reseller"), use: cancelOrder)
        api.add(e(.POST, [":resellerId", "customers"], "Sell a new customer on the reseller's account (charged; credentials returned once)",
                  body: "ResellerSale", status: 201, response: "CustomerCreated"), use: sell)
        api.add(e(.POST, [":resellerId", "customers", ":customerId", "renew"], "Renew one of the reseller's customers (charged)", body: "Renew", response: "Customer"), use: renew)
        api.add(e(.POST, [":resellerId", "customers", ":customerId", "change-product"], "Move one of the reseller's customers to another assigned plan (charged)",
                  body: "ChangeProduct", response: "Customer"), use: changeProduct)
        api.add(e(.POST, [":resellerId", "customers", ":customerId", "extra-packages"], "Sell one of the reseller's customers a mapped extra package (charged)",
                  body: "ExtraPackageSale", status: 201, response: "CustomerExtraPackage"), use: sellExtra)
        api.add(e(.GET, [":resellerId", "ledger"], "The reseller's balance log, newest first", query: V1Controller.pageQuery, response: "LedgerEntryList"), use: ledger)
    }

    struct Ctx { var env: ServiceEnvironment; var actor: Principal; var deploymentID: UUID }

    /// CRM staff for any reseller; a reseller's own token for itself only (the services refuse
    /// it everything that gives money or stock, and another reseller's id answers 404).
    static func ctx(_ req: Request) throws -> Ctx {
        let actor = try req.actor
        let id = try req.parameters.require("deploymentId", as: UUID.self)
        if let own = actor.resellerID {
            guard actor.canAccess(deployment: id), req.parameters.get("resellerId", as: Int.self) == own else { throw DomainError.notFound("The reseller") }
        } else {
            try actor.require(.crm, in: id)
        }
        return Ctx(env: req.serviceEnvironment, actor: actor, deploymentID: id)
    }

    static func rid(_ req: Request) throws -> Int { try req.parameters.require("resellerId", as: Int.self) }

    struct PlanDTO: Content { var productId: Int; var planId: Int; var discountPercent: String }
    struct OrderDTO: Content { var id: Int; var planId: Int; var quantity: Int; var used: Int; var refunded: Int; var remaining: Int; var unitPrice: Int64; var currency: String; var paid: Bool; var status: String }
    struct ResellerDTO: Content {
        var id: Int; var name: String; var type: String; var currency: String; var enabled: Bool; var balance: Int64; var creditLimit: Int64
        var mobile: String; var email: String; var allowCustomLogin: Bool; var allowAds: Bool; var plans: [PlanDTO]; var orders: [OrderDTO]
    }

    static func dto(_ req: Request, _ r: ResellerModel) async throws -> ResellerDTO {
        let plans = try await ResellerService.assignments(req.serviceEnvironment, resellerID: r.id!).map {
            PlanDTO(productId: $0.productID, planId: $0.planID, discountPercent: String(format: "%.2f", Double($0.discountBasisPoints) / 100))
        }
        let orders = try await ResellerOrderModel.query(on: req.db).filter(\.$resellerID == r.id!).sort(\.$id).all().map {
            OrderDTO(id: $0.id!, planId: $0.planID, quantity: $0.quantity, used: $0.used, refunded: $0.refunded, remaining: $0.remaining,
                     unitPrice: $0.unitPrice, currency: $0.currency, paid: $0.paid, status: $0.status)
        }
        return ResellerDTO(id: r.id!, name: r.name, type: r.resellerType, currency: r.currency, enabled: r.enabled, balance: r.balance, creditLimit: r.creditLimit,
                           mobile: r.mobile, email: r.email, allowCustomLogin: r.allowCustomLogin, allowAds: r.allowAds, plans: plans, orders: orders)
    }

    static func reseller(_ req: Request, _ x: Ctx) async throws -> Response {
        try await dto(req, try await ResellerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try rid(req))).encodeResponse(for: req)
    }

    static func list(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        var out: [ResellerDTO] = []
        for r in try await ResellerService.list(x.env, actor: x.actor, deploymentID: x.deploymentID) { out.append(try await dto(req, r)) }
        return try await V1CRMController.DataList(data: out).encodeResponse(for: req)
    }

    struct CreateBody: Content {
        var name: String; var type: String; var currency: String?; var mobile: String?; var email: String?; var company: String?; var address: String?
        var allowAds: Bool?; var allowCustomLogin: Bool?; var creditLimit: Int64?
    }

    static func create(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(CreateBody.self)
        guard let type = ResellerType(rawValue: b.type) else { throw DomainError.validation(["type": "must be prepaid or postpaid"]) }
        var input = ResellerService.Input(name: b.name, type: type)
        input.currency = b.currency ?? (type == .postpaid ? "CREDITS" : "")
        input.mobile = b.mobile ?? ""; input.email = b.email ?? ""; input.company = b.company ?? ""; input.address = b.address ?? ""
        input.allowAds = b.allowAds ?? false; input.allowCustomLogin = b.allowCustomLogin ?? false; input.creditLimit = b.creditLimit ?? 0
        let r = try await ResellerService.create(x.env, actor: x.actor, deploymentID: x.deploymentID, input: input)
        return try await dto(req, r).encodeResponse(status: .created, for: req)
    }

    static func get(_ req: Request) async throws -> Response { try await reseller(req, try ctx(req)) }

    static func enable(_ req: Request) async throws -> Response { try await setEnabled(req, true) }
    static func disable(_ req: Request) async throws -> Response { try await setEnabled(req, false) }

    static func setEnabled(_ req: Request, _ enabled: Bool) async throws -> Response {
        let x = try ctx(req)
        try await ResellerService.setEnabled(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try rid(req), enabled: enabled)
        return Response(status: .noContent)
    }

    struct AssignBody: Content { var productId: Int; var planId: Int; var discountPercent: String? }

    static func assign(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(AssignBody.self)
        try await ResellerService.assign(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req), productID: b.productId, planID: b.planId,
                                         discountPercent: b.discountPercent ?? "0")
        return try await reseller(req, x)
    }

    struct CreditsBody: Content { var amount: Int64; var reason: String; var idempotencyKey: String? }

    static func credits(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(CreditsBody.self)
        _ = try await ResellerLedger.adjustCredits(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req), amount: b.amount, reason: b.reason,
                                                   idempotencyKey: b.idempotencyKey ?? req.headers.first(name: "Idempotency-Key"))
        return try await reseller(req, x)
    }

    /// `unitPrice` as a decimal string in `currency`.
    struct OrderBody: Content { var planId: Int; var quantity: Int; var unitPrice: String; var currency: String; var paid: Bool? }

    static func order(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(OrderBody.self)
        guard let code = CurrencyCode(b.currency), let price = Money.parse(b.unitPrice, currency: code) else {
            throw DomainError.validation(["unitPrice": "must be a decimal amount in a valid currency"])
        }
        _ = try await ResellerLedger.placeOrder(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req), planID: b.planId, quantity: b.quantity,
                                                unitPrice: price.minorUnits, currency: code.code, paid: b.paid ?? false)
        let r = try await ResellerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: try rid(req))
        return try await dto(req, r).encodeResponse(status: .created, for: req)
    }

    static func cancelOrder(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let orderID = try req.parameters.require("orderId", as: Int.self)
        guard try await ResellerOrderModel.find(orderID, on: req.db)?.resellerID == (try rid(req)) else { throw DomainError.notFound("The order") }
        _ = try await ResellerLedger.refundUnits(x.env, actor: x.actor, deploymentID: x.deploymentID, orderID: orderID, units: nil, cancel: true)
        return try await reseller(req, x)
    }

    struct SaleBody: Content {
        var productId: Int; var planId: Int; var orderId: Int?; var currency: String?; var login: String?; var password: String?
        var contact: V1CRMController.ContactBody?
    }

    static func sell(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(SaleBody.self)
        // Resellers read no product catalogue of their own: the sale itself checks the plan is theirs.
        let product = try await ProductModel.query(on: req.db).filter(\.$id == b.productId).filter(\.$deploymentID == x.deploymentID).first()
        var n = CustomerService.NewCustomer(productID: b.productId, planID: b.planId, currency: (b.currency ?? product?.defaultCurrency ?? "").uppercased(),
                                            contact: (b.contact ?? V1CRMController.ContactBody()).contact(over: nil))
        n.login = b.login ?? ""
        n.password = b.password ?? ""
        let created = try await ResellerLedger.sell(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req), orderID: b.orderId, input: n)
        return try await V1CRMController.CreatedDTO(customer: try await V1CRMController.customerDTO(req, created.customer), password: created.password)
            .encodeResponse(status: .created, for: req)
    }

    static func renew(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = (try? req.content.decode(V1CRMController.RenewBody.self)) ?? V1CRMController.RenewBody()
        let c = try await ResellerLedger.renew(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req),
                                               customerID: try req.parameters.require("customerId", as: Int.self), planID: b.planId, fromExpiry: b.fromExpiry ?? true)
        return try await V1CRMController.customerDTO(req, c).encodeResponse(for: req)
    }

    static func changeProduct(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(V1CRMController.ChangeBody.self)
        let c = try await ResellerLedger.changeProduct(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req),
                                                       customerID: try req.parameters.require("customerId", as: Int.self), productID: b.productId, planID: b.planId,
                                                       fromExpiry: b.fromExpiry ?? false)
        return try await V1CRMController.customerDTO(req, c).encodeResponse(for: req)
    }

    static func sellExtra(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let b = try req.content.decode(V1CRMController.ExtraSaleBody.self)
        let e = try await ResellerLedger.sellExtraPackage(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: try rid(req),
                                                          customerID: try req.parameters.require("customerId", as: Int.self), planID: b.planId, synced: b.syncWithSubscription ?? false)
        return try await V1CRMController.json(req, V1CRMController.extraDTO(e, now: x.env.now), .created)
    }

    struct EntryDTO: Content {
        var id: Int; var at: Date; var from: String; var to: String; var amount: Int64; var unit: String; var reason: String; var actor: String
        var customerId: Int?; var orderId: Int?; var planId: Int?
    }

    static func ledger(_ req: Request) async throws -> Response {
        let x = try ctx(req)
        let id = try rid(req)
        _ = try await ResellerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id)
        let q = LedgerEntryModel.query(on: req.db).filter(\.$resellerID == id)
        if let before = try V1Controller.intCursor(req) { q.filter(\.$id < before) }
        let n = V1Controller.limit(req)
        let rows = try await q.sort(\.$id, .descending).limit(n + 1).all()
        let page = Array(rows.prefix(n))
        let next = rows.count > n ? page.last.map { PageCursor(sortValue: "", id: String($0.id!)).encoded } : nil
        return try await V1Controller.ListResponse(data: page.map {
            EntryDTO(id: $0.id!, at: $0.at, from: $0.fromAccount, to: $0.toAccount, amount: $0.amount, unit: $0.unit, reason: $0.reason, actor: $0.actorLabel,
                     customerId: $0.customerID, orderId: $0.orderID, planId: $0.planID)
        }, nextCursor: next).encodeResponse(for: req)
    }
}
