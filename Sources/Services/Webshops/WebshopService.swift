import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// CRM › Webshops: shops whose paid orders become customers (or renewals) here, by signed
/// webhook. Each shop order is acted on once, whatever the shop redelivers; a refund or
/// cancellation takes the order back; every delivery is logged with its outcome.
public enum WebshopService {
    public static let platforms = ["woocommerce", "shopify", "generic"]

    // MARK: Shops and mappings

    public struct ShopInput: Sendable {
        public var name: String
        public var platform: String
        /// Empty = generate one.
        public var secret = ""
        public var resellerID: Int? = nil
        public init(name: String, platform: String) {
            self.name = name
            self.platform = platform
        }
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: ShopInput) async throws -> (shop: WebshopModel, secret: String) {
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if !platforms.contains(input.platform) { errors.add("platform", "must be WooCommerce, Shopify or generic") }
        let secret = input.secret.isEmpty ? Secrets.generate(prefix: "whsec_", bytes: 24) : input.secret
        if secret.count < 16 { errors.add("secret", "must be at least 16 characters (or leave it empty to generate one)") }
        if let rid = input.resellerID, try await ResellerModel.query(on: env.db).filter(\.$id == rid).filter(\.$deploymentID == deploymentID).first() == nil {
            errors.add("reseller", "is not a reseller of this deployment")
        }
        try errors.throwIfAny()
        let s = WebshopModel()
        s.deploymentID = deploymentID
        s.name = input.name.trimmingCharacters(in: .whitespaces)
        s.platform = input.platform
        s.secret = secret
        s.secretHint = Secrets.hint(secret)
        s.resellerID = input.resellerID
        s.enabled = true
        try await env.write { db in
            try await s.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "webshop", entityID: String(s.id!),
                                          action: "create", after: ["name": s.name, "platform": s.platform, "secret": "set", "resellerId": s.resellerID.map(String.init)])
        }
        return (s, secret)
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [WebshopModel] {
        try actor.require(.crm, in: deploymentID)
        return try await WebshopModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$id).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> WebshopModel {
        try actor.require(.crm, in: deploymentID)
        guard let s = try await WebshopModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The webshop")
        }
        return s
    }

    public static func setEnabled(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, enabled: Bool) async throws {
        let s = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        s.enabled = enabled
        try await env.write { db in
            try await s.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "webshop", entityID: String(id),
                                          action: enabled ? "enable" : "disable")
        }
    }

    /// A new signing secret, returned once.
    public static func rotateSecret(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> String {
        let s = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let secret = Secrets.generate(prefix: "whsec_", bytes: 24)
        s.secret = secret
        s.secretHint = Secrets.hint(secret)
        try await env.write { db in
            try await s.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "webshop", entityID: String(id),
                                          action: "rotate_secret", after: ["secret": "rotated"])
        }
        return secret
    }

    /// Maps a shop product/variant id or SKU to a TVMS product and plan (replacing an earlier one).
    public static func map(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, webshopID: Int, externalKey: String, productID: Int, planID: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: webshopID)
        let key = externalKey.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if key.isEmpty { errors.add("externalKey", "is required: the shop's product id, variant id or SKU") }
        guard try await ProductModel.query(on: env.db).filter(\.$id == productID).filter(\.$deploymentID == deploymentID).first() != nil,
              try await PaymentPlanModel.query(on: env.db).filter(\.$id == planID).filter(\.$productID == productID).filter(\.$extraPackageID == nil).first() != nil else {
            throw DomainError.validation(["plan": "is not a plan of that product"])
        }
        try errors.throwIfAny()
        try await env.write { db in
            try await WebshopMappingModel.query(on: db).filter(\.$webshopID == webshopID).filter(\.$externalKey == key).delete()
            let m = WebshopMappingModel()
            m.webshopID = webshopID
            m.externalKey = key
            m.productID = productID
            m.planID = planID
            try await m.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "webshop", entityID: String(webshopID),
                                          action: "map_product", after: ["externalKey": key, "productId": String(productID), "planId": String(planID)])
        }
    }

    public static func unmap(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, webshopID: Int, mappingID: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: webshopID)
        guard let m = try await WebshopMappingModel.query(on: env.db).filter(\.$id == mappingID).filter(\.$webshopID == webshopID).first() else {
            throw DomainError.notFound("The mapping")
        }
        try await env.write { db in
            try await m.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "webshop", entityID: String(webshopID),
                                          action: "unmap_product", before: ["externalKey": m.externalKey])
        }
    }

    // MARK: Webhooks

    public struct Delivery: Sendable {
        public var signature: String
        public var topic: String
        public var deliveryID: String
        public var body: [UInt8]
        public init(signature: String, topic: String, deliveryID: String, body: [UInt8]) {
            self.signature = signature
            self.topic = topic
            self.deliveryID = deliveryID
            self.body = body
        }
    }

    public struct Outcome: Sendable, Equatable {
        /// created, renewed, reversed, duplicate, ignored, rejected, failed
        public var outcome: String
        public var message: String
        public var status: Int
    }

    /// Handles one webhook delivery to shop `webshopID` of `platform`; always logs it. The HTTP
    /// answer is `status`: 2xx for anything the shop should not retry (including duplicates and
    /// orders with nothing TVMS sells), 401 for a bad signature, 5xx for a failure worth a retry.
    public static func receive(_ env: ServiceEnvironment, platform: String, webshopID: Int, delivery: Delivery) async throws -> Outcome {
        guard let shop = try await WebshopModel.find(webshopID, on: env.db), shop.platform == platform else {
            throw DomainError.notFound("The webshop")
        }
        guard ShopWebhooks.verify(body: delivery.body, secret: shop.secret, signature: delivery.signature) else {
            return try await log(env, shop, delivery, orderID: "", signatureOK: false,
                                 Outcome(outcome: "rejected", message: "The signature does not match this shop's secret.", status: 401))
        }
        guard shop.enabled else {
            return try await log(env, shop, delivery, orderID: "", signatureOK: true, Outcome(outcome: "rejected", message: "The webshop is disabled in TVMS.", status: 403))
        }
        let order: ShopOrder
        do {
            switch platform {
            case "woocommerce": order = try ShopWebhooks.wooCommerce(topic: delivery.topic, body: delivery.body)
            case "shopify": order = try ShopWebhooks.shopify(topic: delivery.topic, body: delivery.body)
            default: order = try ShopWebhooks.generic(body: delivery.body)
            }
        } catch let e as ShopWebhookError {
            // WooCommerce pings a new webhook with a form body: acknowledge it.
            let ping = String(decoding: delivery.body, as: UTF8.self).hasPrefix("webhook_id=")
            return try await log(env, shop, delivery, orderID: "", signatureOK: true,
                                 ping ? Outcome(outcome: "ignored", message: "Webhook ping.", status: 200)
                                      : Outcome(outcome: "rejected", message: "Unreadable order: \(e.description).", status: 400))
        }
        let outcome: Outcome
        do {
            switch order.event {
            case .paid: outcome = try await provision(env, shop, order)
            case .refunded, .cancelled: outcome = try await reverse(env, shop, order)
            case .other: outcome = Outcome(outcome: "ignored", message: "The order is not paid yet (nothing to do).", status: 200)
            }
        } catch let e as DomainError {
            // A refusal (no credits left, invalid data) will not change on a retry: answer 200
            // so the shop stops retrying, and show it in the delivery log.
            outcome = Outcome(outcome: "failed", message: e.flashText, status: 200)
        }
        return try await log(env, shop, delivery, orderID: order.orderID, signatureOK: true, outcome)
    }

    static func log(_ env: ServiceEnvironment, _ shop: WebshopModel, _ d: Delivery, orderID: String, signatureOK: Bool, _ o: Outcome) async throws -> Outcome {
        let row = WebshopDeliveryModel()
        row.webshopID = try shop.requireID()
        row.receivedAt = env.now
        row.event = String(d.topic.prefix(100))
        row.deliveryID = String(d.deliveryID.prefix(200))
        row.externalOrderID = String(orderID.prefix(100))
        row.signatureOK = signatureOK
        row.outcome = o.outcome
        row.message = String(o.message.prefix(1000))
        row.status = o.status
        try await env.write { db in try await row.create(on: db) }
        return o
    }

    static func actor(_ shop: WebshopModel) -> Principal {
        Principal(kind: .api, userID: nil, label: "webshop:\(shop.name)", role: .admin, deploymentIDs: [shop.deploymentID], ip: nil)
    }

    /// A paid order: a new customer, or a renewal of the shop customer's earlier subscription.
    static func provision(_ env: ServiceEnvironment, _ shop: WebshopModel, _ order: ShopOrder) async throws -> Outcome {
        let mappings = try await WebshopMappingModel.query(on: env.db).filter(\.$webshopID == shop.requireID()).all()
        let byKey = Dictionary(mappings.map { ($0.externalKey, $0) }, uniquingKeysWith: { a, _ in a })
        guard let (item, mapping) = order.items.lazy.compactMap({ item in item.keys.lazy.compactMap { byKey[$0] }.first.map { (item, $0) } }).first else {
            return Outcome(outcome: "ignored", message: "No item of order \(order.orderID) is mapped to a TVMS product.", status: 200)
        }
        // Claim the order first: a redelivery (even a concurrent one) finds the row and stops.
        let claim = WebshopOrderModel()
        claim.webshopID = try shop.requireID()
        claim.externalOrderID = order.orderID
        claim.state = "pending"
        claim.action = ""
        claim.periods = item.quantity
        claim.planID = mapping.planID
        claim.createdAt = env.now
        claim.updatedAt = env.now
        do {
            try await env.write { db in try await claim.create(on: db) }
        } catch {
            return Outcome(outcome: "duplicate", message: "Order \(order.orderID) was already received; nothing done again.", status: 200)
        }
        do {
            let result = try await provisionClaimed(env, shop, order, mapping: mapping, periods: item.quantity, claim: claim)
            return result
        } catch {
            // Nothing was provisioned: give the order back so a redelivery can try again.
            try? await env.write { db in try await claim.delete(on: db) }
            throw error
        }
    }

    static func provisionClaimed(_ env: ServiceEnvironment, _ shop: WebshopModel, _ order: ShopOrder, mapping: WebshopMappingModel, periods: Int,
                                 claim: WebshopOrderModel) async throws -> Outcome {
        let actor = actor(shop)
        let deploymentID = shop.deploymentID
        let mappingKey = "shop\(shop.id!):\(order.customerKey)"
        let existing = try await CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$mappingID == mappingKey)
            .filter(\.$deletedAt == nil).first()
        var customer: CustomerModel
        var extraPeriods = periods
        if let existing {
            claim.action = "renewed"
            claim.previousExpiry = existing.expiresAt
            customer = existing
            if existing.productID != mapping.productID {
                customer = try await changeProduct(env, actor, shop, customer, mapping)
                extraPeriods -= 1
            }
        } else {
            claim.action = "created"
            var n = CustomerService.NewCustomer(productID: mapping.productID, planID: mapping.planID,
                                                currency: try await ProductModel.find(mapping.productID, on: env.db)?.defaultCurrency ?? "EUR")
            n.contact.firstName = order.firstName
            n.contact.lastName = order.lastName.isEmpty ? "Order \(order.orderID)" : order.lastName
            n.contact.email = Validation.isEmail(order.email) ? order.email : ""
            n.contact.mobile = Phone.isInternational(order.phone) ? order.phone : ""
            n.contact.phone = Phone.isInternational(order.phone) ? "" : order.phone
            n.contact.country = Country.isCode(order.country) ? order.country : ""
            n.contact.city = order.city
            n.contact.zip = order.zip
            n.contact.street = order.street
            n.contact.mappingID = mappingKey
            let created = if let rid = shop.resellerID {
                try await ResellerLedger.sell(env, actor: actor, deploymentID: deploymentID, resellerID: rid, input: n)
            } else {
                try await CustomerService.create(env, actor: actor, deploymentID: deploymentID, input: n)
            }
            customer = created.customer
            extraPeriods -= 1
        }
        for _ in 0..<max(0, extraPeriods) { customer = try await renew(env, actor, shop, customer, planID: mapping.planID) }
        claim.state = "provisioned"
        claim.customerID = customer.id
        claim.updatedAt = env.now
        try await env.write { db in try await claim.save(on: db) }
        let what = claim.action == "created" ? "created customer \(customer.id!) (\(customer.login))" : "renewed customer \(customer.id!)"
        return Outcome(outcome: claim.action, message: "Order \(order.orderID): \(what) for \(periods) period(s), now until \(ISO8601DateFormatter().string(from: customer.expiresAt ?? env.now)).",
                       status: 200)
    }

    static func renew(_ env: ServiceEnvironment, _ actor: Principal, _ shop: WebshopModel, _ c: CustomerModel, planID: Int) async throws -> CustomerModel {
        if let rid = shop.resellerID {
            return try await ResellerLedger.renew(env, actor: actor, deploymentID: shop.deploymentID, resellerID: rid, customerID: c.id!, planID: planID)
        }
        return try await CustomerService.renew(env, actor: actor, deploymentID: shop.deploymentID, id: c.id!, planID: planID)
    }

    static func changeProduct(_ env: ServiceEnvironment, _ actor: Principal, _ shop: WebshopModel, _ c: CustomerModel, _ m: WebshopMappingModel) async throws -> CustomerModel {
        if let rid = shop.resellerID {
            return try await ResellerLedger.changeProduct(env, actor: actor, deploymentID: shop.deploymentID, resellerID: rid, customerID: c.id!,
                                                          productID: m.productID, planID: m.planID, fromExpiry: true)
        }
        return try await CustomerService.changeProduct(env, actor: actor, deploymentID: shop.deploymentID, id: c.id!, productID: m.productID, planID: m.planID, fromExpiry: true)
    }

    /// A refunded or cancelled order takes back what its payment gave: a customer it created is
    /// disabled; a renewal it made is undone (the expiry goes back, never before now).
    static func reverse(_ env: ServiceEnvironment, _ shop: WebshopModel, _ order: ShopOrder) async throws -> Outcome {
        guard let row = try await WebshopOrderModel.query(on: env.db).filter(\.$webshopID == shop.requireID()).filter(\.$externalOrderID == order.orderID).first(),
              row.state != "pending" else {
            return Outcome(outcome: "ignored", message: "Order \(order.orderID) was never provisioned; nothing to take back.", status: 200)
        }
        guard row.state == "provisioned" else {
            return Outcome(outcome: "duplicate", message: "Order \(order.orderID) was already taken back.", status: 200)
        }
        // Mark first, so a concurrent redelivery of the refund stops at the guard.
        let marked = try await env.write { db in
            try await db.sql.raw("UPDATE webshop_orders SET state = 'reversed', updated_at = \(bind: env.now) WHERE id = \(bind: row.id!) AND state = 'provisioned' RETURNING id").all()
        }
        guard !marked.isEmpty else { return Outcome(outcome: "duplicate", message: "Order \(order.orderID) was already taken back.", status: 200) }
        let actor = actor(shop)
        guard let customerID = row.customerID else {
            return Outcome(outcome: "reversed", message: "Order \(order.orderID) taken back; its customer no longer exists.", status: 200)
        }
        if row.action == "created" {
            _ = try await CustomerService.setDisabled(env, actor: actor, deploymentID: shop.deploymentID, id: customerID, disabled: true)
            return Outcome(outcome: "reversed", message: "Order \(order.orderID) \(order.event.rawValue): customer \(customerID) disabled.", status: 200)
        }
        let back = max(row.previousExpiry ?? env.now, env.now)
        _ = try await CustomerService.extend(env, actor: actor, deploymentID: shop.deploymentID, id: customerID, to: back)
        return Outcome(outcome: "reversed", message: "Order \(order.orderID) \(order.event.rawValue): customer \(customerID)'s renewal taken back.", status: 200)
    }

    public static func deliveries(_ env: ServiceEnvironment, webshopID: Int, limit: Int = 100) async throws -> [WebshopDeliveryModel] {
        try await WebshopDeliveryModel.query(on: env.db).filter(\.$webshopID == webshopID).sort(\.$id, .descending).limit(limit).all()
    }
}
