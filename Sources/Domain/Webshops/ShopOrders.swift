import Crypto
import Foundation

/// A paid, refunded or cancelled order as TVMS needs it, whatever shop platform sent it.
public struct ShopOrder: Sendable, Equatable {
    public enum Event: String, Sendable { case paid, refunded, cancelled, other }

    public struct Item: Sendable, Equatable {
        /// What a mapping may name, most specific first: variant/variation id, product id, SKU.
        public var keys: [String]
        public var quantity: Int
        public init(keys: [String], quantity: Int) {
            self.keys = keys
            self.quantity = quantity
        }
    }

    public var orderID: String
    public var event: Event
    /// The shop's customer id ("id:42") or, for guests, their e-mail ("email:ann@example.com").
    public var customerKey: String
    public var email = "", firstName = "", lastName = "", phone = "", country = "", city = "", zip = "", street = ""
    public var items: [Item] = []

    public init(orderID: String, event: Event, customerKey: String) {
        self.orderID = orderID
        self.event = event
        self.customerKey = customerKey
    }
}

public struct ShopWebhookError: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}

/// The shop platforms' webhook formats and their signature scheme: WooCommerce
/// (`X-WC-Webhook-Signature`), Shopify (`X-Shopify-Hmac-Sha256`) and the generic one for
/// OpenCart, BigCommerce, PrestaShop or a custom shop (`X-TVMS-Signature`) all send the base64
/// HMAC-SHA256 of the raw body under the shared secret.
public enum ShopWebhooks {
    public static func signature(body: [UInt8], secret: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))).base64EncodedString()
    }

    /// Constant-time check of a base64 signature header against the body.
    public static func verify(body: [UInt8], secret: String, signature given: String) -> Bool {
        guard !secret.isEmpty, let g = Data(base64Encoded: given.trimmingCharacters(in: .whitespaces)) else { return false }
        let expected = Data(HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8))))
        guard g.count == expected.count else { return false }
        var diff: UInt8 = 0
        for (a, b) in zip(g, expected) { diff |= a ^ b }
        return diff == 0
    }

    static func object(_ body: [UInt8]) throws -> [String: Any] {
        guard let o = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ShopWebhookError("the body is not a JSON object")
        }
        return o
    }

    /// Numbers and strings as text ("0" and empty count as missing).
    static func text(_ v: Any?) -> String? {
        switch v {
        case let s as String: return s.isEmpty || s == "0" ? nil : s
        case let i as Int: return i == 0 ? nil : String(i)
        case let n as NSNumber: return n.int64Value == 0 ? nil : n.stringValue
        default: return nil
        }
    }

    static func int(_ v: Any?) -> Int { (v as? Int) ?? (v as? NSNumber)?.intValue ?? Int(v as? String ?? "") ?? 1 }

    static func customerKey(id: Any?, email: String) -> String {
        if let id = text(id) { return "id:\(id)" }
        return "email:\(email.lowercased())"
    }

    /// WooCommerce `order.created` / `order.updated`: processing or completed = paid.
    public static func wooCommerce(topic: String, body: [UInt8]) throws -> ShopOrder {
        let o = try object(body)
        guard let id = text(o["id"]) else { throw ShopWebhookError("the order has no id") }
        let event: ShopOrder.Event
        switch (o["status"] as? String ?? "").lowercased() {
        case "processing", "completed": event = .paid
        case "refunded": event = .refunded
        case "cancelled": event = .cancelled
        default: event = .other
        }
        let billing = o["billing"] as? [String: Any] ?? [:]
        let email = billing["email"] as? String ?? ""
        var order = ShopOrder(orderID: id, event: topic.hasPrefix("order.") || topic.isEmpty ? event : .other,
                              customerKey: customerKey(id: o["customer_id"], email: email))
        order.email = email
        order.firstName = billing["first_name"] as? String ?? ""
        order.lastName = billing["last_name"] as? String ?? ""
        order.phone = billing["phone"] as? String ?? ""
        order.country = (billing["country"] as? String ?? "").uppercased()
        order.city = billing["city"] as? String ?? ""
        order.zip = billing["postcode"] as? String ?? ""
        order.street = billing["address_1"] as? String ?? ""
        order.items = (o["line_items"] as? [[String: Any]] ?? []).map { li in
            ShopOrder.Item(keys: [text(li["variation_id"]), text(li["product_id"]), text(li["sku"])].compactMap { $0 }, quantity: max(1, int(li["quantity"])))
        }
        return order
    }

    /// Shopify `orders/paid`, `orders/create`/`orders/updated` (by financial status),
    /// `orders/cancelled` and `refunds/create` (whose body is the refund, naming its order).
    public static func shopify(topic: String, body: [UInt8]) throws -> ShopOrder {
        let o = try object(body)
        if topic == "refunds/create" {
            guard let id = text(o["order_id"]) else { throw ShopWebhookError("the refund names no order_id") }
            return ShopOrder(orderID: id, event: .refunded, customerKey: "")
        }
        guard let id = text(o["id"]) else { throw ShopWebhookError("the order has no id") }
        var event: ShopOrder.Event
        switch (o["financial_status"] as? String ?? "").lowercased() {
        case "paid": event = .paid
        case "refunded": event = .refunded
        case "voided": event = .cancelled
        default: event = .other
        }
        if topic == "orders/cancelled" || text(o["cancelled_at"]) != nil { event = .cancelled }
        if topic == "orders/paid" && event == .other { event = .paid }
        let customer = o["customer"] as? [String: Any] ?? [:]
        let address = o["billing_address"] as? [String: Any] ?? [:]
        let email = o["email"] as? String ?? customer["email"] as? String ?? ""
        var order = ShopOrder(orderID: id, event: event, customerKey: customerKey(id: customer["id"], email: email))
        order.email = email
        order.firstName = customer["first_name"] as? String ?? address["first_name"] as? String ?? ""
        order.lastName = customer["last_name"] as? String ?? address["last_name"] as? String ?? ""
        order.phone = customer["phone"] as? String ?? address["phone"] as? String ?? ""
        order.country = (address["country_code"] as? String ?? "").uppercased()
        order.city = address["city"] as? String ?? ""
        order.zip = address["zip"] as? String ?? ""
        order.street = address["address1"] as? String ?? ""
        order.items = (o["line_items"] as? [[String: Any]] ?? []).map { li in
            ShopOrder.Item(keys: [text(li["variant_id"]), text(li["product_id"]), text(li["sku"])].compactMap { $0 }, quantity: max(1, int(li["quantity"])))
        }
        return order
    }

    /// The generic format (docs/WEBSHOPS.md): `{"order_id", "status": "paid"|"refunded"|"cancelled",
    /// "customer": {"id", "email", "first_name", "last_name", "phone", "country"},
    /// "items": [{"sku" or "product_id", "quantity"}]}`.
    public static func generic(body: [UInt8]) throws -> ShopOrder {
        let o = try object(body)
        guard let id = text(o["order_id"]) else { throw ShopWebhookError("order_id is missing") }
        let event = ShopOrder.Event(rawValue: (o["status"] as? String ?? "").lowercased()) ?? .other
        let c = o["customer"] as? [String: Any] ?? [:]
        let email = c["email"] as? String ?? ""
        var order = ShopOrder(orderID: id, event: event, customerKey: customerKey(id: c["id"], email: email))
        order.email = email
        order.firstName = c["first_name"] as? String ?? ""
        order.lastName = c["last_name"] as? String ?? ""
        order.phone = c["phone"] as? String ?? ""
        order.country = (c["country"] as? String ?? "").uppercased()
        order.items = (o["items"] as? [[String: Any]] ?? []).map { li in
            ShopOrder.Item(keys: [text(li["variant_id"]), text(li["product_id"]), text(li["sku"])].compactMap { $0 }, quantity: max(1, int(li["quantity"])))
        }
        return order
    }
}
