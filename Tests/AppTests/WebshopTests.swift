import Fluent
import Foundation
import Testing
import VaporTesting
@testable import App
@testable import Domain
@testable import Services
import Storage

@Suite(.serialized) struct WebshopTests {
    struct Shop {
        var id: Int
        var secret: String
    }

    func makeShop(_ app: Application, platform: String, reseller: Int? = nil) async throws -> Shop {
        let crm = try await DemoCRM(app)
        var input = WebshopService.ShopInput(name: "\(platform) shop", platform: platform)
        input.resellerID = reseller
        let (shop, secret) = try await WebshopService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: input)
        try await WebshopService.map(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, webshopID: shop.id!, externalKey: "501", productID: crm.basic.id!, planID: crm.month.id!)
        return Shop(id: shop.id!, secret: secret)
    }

    func deliver(_ app: Application, _ path: String, _ body: String, headers: [(String, String)]) async throws -> TestingHTTPResponse {
        var h = HTTPHeaders(headers)
        h.contentType = .json
        return try await app.testing().sendRequest(.POST, path, headers: h, body: ByteBuffer(string: body))
    }

    func woo(id: Int, status: String, customer: Int = 77, quantity: Int = 1) -> String {
        #"{"id":\#(id),"status":"\#(status)","customer_id":\#(customer),"billing":{"first_name":"Wendy","last_name":"Woo","email":"wendy@example.com","phone":"+31611111111","country":"NL","city":"Leiden","postcode":"2311AA","address_1":"Breestraat 1"},"line_items":[{"product_id":501,"variation_id":0,"sku":"TV-1M","quantity":\#(quantity),"name":"TV 1 month"}]}"#
    }

    func wooHeaders(_ shop: Shop, _ body: String, signature: String? = nil, delivery: String = "d1") -> [(String, String)] {
        [("X-WC-Webhook-Signature", signature ?? ShopWebhooks.signature(body: Array(body.utf8), secret: shop.secret)),
         ("X-WC-Webhook-Topic", "order.updated"), ("X-WC-Webhook-Delivery-ID", delivery)]
    }

    @Test func wooCommerceOrdersCreateRenewAndRefundOnce() async throws {
        try await withTVMS { app, _ in
            let shop = try await makeShop(app, platform: "woocommerce")
            let path = "/webhooks/woocommerce/\(shop.id)"
            let paid = woo(id: 9001, status: "processing")
            let forged = try await deliver(app, path, paid, headers: wooHeaders(shop, paid, signature: ShopWebhooks.signature(body: Array(paid.utf8), secret: "not-the-secret")))
            #expect(forged.status == .unauthorized)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Woo").count() == 0, "a forged order creates nothing")
            let tampered = try await deliver(app, path, paid.replacingOccurrences(of: "\"quantity\":1", with: "\"quantity\":12"), headers: wooHeaders(shop, paid))
            #expect(tampered.status == .unauthorized, "the signature covers the exact body")

            #expect(try await deliver(app, path, paid, headers: wooHeaders(shop, paid)).status == .ok)
            let c = try #require(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Woo").first())
            #expect(c.email == "wendy@example.com" && c.country == "NL" && c.mobile == "+31611111111" && c.mappingID == "shop\(shop.id):id:77")
            let firstExpiry = try #require(c.expiresAt)
            // The shop redelivers (and sends order.updated with the same status): nothing again.
            for d in ["d1", "d2"] { #expect(try await deliver(app, path, paid, headers: wooHeaders(shop, paid, delivery: d)).status == .ok) }
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Woo").count() == 1)
            #expect(try await CustomerModel.find(c.id, on: app.db)?.expiresAt == firstExpiry)

            // The same shop customer pays again (2 periods): a renewal, not a second customer.
            let again = woo(id: 9002, status: "completed", quantity: 2)
            #expect(try await deliver(app, path, again, headers: wooHeaders(shop, again)).status == .ok)
            let renewed = try #require(try await CustomerModel.find(c.id, on: app.db)?.expiresAt)
            #expect(renewed > firstExpiry.addingTimeInterval(58 * 86_400))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Woo").count() == 1)

            // Refunds take the payment's effect back, once.
            let refund = woo(id: 9002, status: "refunded", quantity: 2)
            #expect(try await deliver(app, path, refund, headers: wooHeaders(shop, refund)).status == .ok)
            #expect(try await CustomerModel.find(c.id, on: app.db)?.expiresAt == firstExpiry)
            #expect(try await deliver(app, path, refund, headers: wooHeaders(shop, refund, delivery: "again")).status == .ok)
            #expect(try await CustomerModel.find(c.id, on: app.db)?.expiresAt == firstExpiry)
            let cancel = woo(id: 9001, status: "cancelled")
            #expect(try await deliver(app, path, cancel, headers: wooHeaders(shop, cancel)).status == .ok)
            #expect(try await CustomerModel.find(c.id, on: app.db)?.disabled == true, "cancelling the order that created the customer disables it")

            let pending = woo(id: 9003, status: "pending")
            #expect(try await deliver(app, path, pending, headers: wooHeaders(shop, pending)).status == .ok)
            let ping = "webhook_id=12"
            #expect(try await deliver(app, path, ping, headers: wooHeaders(shop, ping)).status == .ok)
            let outcomes = try await WebshopDeliveryModel.query(on: app.db).filter(\.$webshopID == shop.id).sort(\.$id).all().map(\.outcome)
            #expect(outcomes == ["rejected", "rejected", "created", "duplicate", "duplicate", "renewed", "reversed", "duplicate", "reversed", "ignored", "ignored"])

            var b = Browser(app)
            try await b.login("owner@demo.tvms", "demo1234")
            let page = try await b.get("/crm/webshops/\(shop.id)")
            #expect(page.status == .ok && page.body.string.contains("/webhooks/woocommerce/\(shop.id)") && page.body.string.contains("Order 9002"))
            #expect(!page.body.string.contains(shop.secret), "the secret is not shown again")
        }
    }

    @Test func shopifyPaidOrdersAndRefundsWithTheirOwnSignature() async throws {
        try await withTVMS { app, _ in
            let shop = try await makeShop(app, platform: "shopify")
            let path = "/webhooks/shopify/\(shop.id)"
            func headers(_ body: String, topic: String) -> [(String, String)] {
                [("X-Shopify-Hmac-Sha256", ShopWebhooks.signature(body: Array(body.utf8), secret: shop.secret)), ("X-Shopify-Topic", topic), ("X-Shopify-Webhook-Id", UUID().uuidString)]
            }
            let order = #"{"id":450789469,"email":"sam@example.com","financial_status":"paid","customer":{"id":207119551,"first_name":"Sam","last_name":"Shop"},"billing_address":{"country_code":"DE","city":"Berlin"},"line_items":[{"product_id":632910392,"variant_id":501,"sku":"","quantity":1}]}"#
            #expect(try await deliver(app, path, order, headers: [("X-Shopify-Hmac-Sha256", "bm90IGl0"), ("X-Shopify-Topic", "orders/paid")]).status == .unauthorized)
            #expect(try await deliver(app, path, order, headers: headers(order, topic: "orders/paid")).status == .ok)
            let c = try #require(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Shop").first())
            #expect(c.country == "DE" && c.disabled == false)
            #expect(try await deliver(app, path, order, headers: headers(order, topic: "orders/paid")).status == .ok)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$lastName == "Shop").count() == 1, "a duplicate delivery does nothing")
            let refund = #"{"id":509562969,"order_id":450789469,"refund_line_items":[]}"#
            #expect(try await deliver(app, path, refund, headers: headers(refund, topic: "refunds/create")).status == .ok)
            #expect(try await CustomerModel.find(c.id, on: app.db)?.disabled == true)
            let unmapped = order.replacingOccurrences(of: "\"variant_id\":501", with: "\"variant_id\":999").replacingOccurrences(of: "450789469", with: "1")
            #expect(try await deliver(app, path, unmapped, headers: headers(unmapped, topic: "orders/paid")).status == .ok)
            #expect(try await WebshopDeliveryModel.query(on: app.db).sort(\.$id, .descending).first()?.outcome == "ignored")
        }
    }

    /// A reseller's shop sells on the reseller's account: charged, or refused (and logged) when
    /// the credits run out. The generic signature scheme for other shop platforms.
    @Test func genericShopOfAResellerIsCharged() async throws {
        try await withTVMS { app, _ in
            let crm = try await DemoCRM(app)
            let r = try await ResellerService.create(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, input: .init(name: "Shop Reseller", type: .postpaid))
            try await ResellerService.assign(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, productID: crm.basic.id!, planID: crm.month.id!, discountPercent: "0")
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 15, reason: "opening")
            let shop = try await makeShop(app, platform: "generic", reseller: r.id)
            func order(_ id: Int, _ email: String) -> String {
                #"{"order_id":"\#(id)","status":"paid","customer":{"email":"\#(email)","first_name":"Gen","last_name":"Eric"},"items":[{"sku":"501","quantity":1}]}"#
            }
            func send(_ body: String) async throws -> TestingHTTPResponse {
                try await deliver(app, "/webhooks/generic/\(shop.id)", body, headers: [("X-TVMS-Signature", ShopWebhooks.signature(body: Array(body.utf8), secret: shop.secret))])
            }
            #expect(try await send(order(1, "a@example.com")).status == .ok)
            #expect(try await ResellerModel.find(r.id, on: app.db)?.balance == 5)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == r.id!).count() == 1)
            #expect(try await send(order(2, "b@example.com")).status == .ok)
            let last = try #require(try await WebshopDeliveryModel.query(on: app.db).sort(\.$id, .descending).first())
            #expect(last.outcome == "failed" && last.message.hasPrefix("Not enough credits"))
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == r.id!).count() == 1, "no customer without its charge")
            #expect(try await WebshopOrderModel.query(on: app.db).filter(\.$externalOrderID == "2").count() == 0, "the failed order can be delivered again")
            _ = try await ResellerLedger.adjustCredits(crm.env, actor: crm.actor, deploymentID: crm.deploymentID, resellerID: r.id!, amount: 10, reason: "top-up")
            #expect(try await send(order(2, "b@example.com")).status == .ok)
            #expect(try await CustomerModel.query(on: app.db).filter(\.$resellerID == r.id!).count() == 2)
            #expect(try await ResellerLedger.verify(on: app.db).isEmpty)
            // Unknown shop or wrong platform path: 404 JSON.
            let wrong = try await deliver(app, "/webhooks/shopify/\(shop.id)", order(3, "c@example.com"), headers: [])
            #expect(wrong.status == .notFound && wrong.body.string.contains("\"code\""))
        }
    }
}
