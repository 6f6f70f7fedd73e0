import FluentKit
import Foundation

/// A shop (WooCommerce, Shopify or any platform that signs its webhooks) that sells the
/// operator's products. Orders paid there become customers or renewals here.
public final class WebshopModel: Model, @unchecked Sendable {
    public static let schema = "webshops"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    /// "woocommerce", "shopify" or "generic"
    @Field(key: "platform") public var platform: String
    /// The webhook signing secret. Verifying an HMAC needs the secret itself, so unlike tokens it
    /// cannot be stored as a digest; it is never shown again after it is set (`secretHint` is).
    @Field(key: "secret") public var secret: String
    @Field(key: "secret_hint") public var secretHint: String
    /// Orders of a reseller's shop are sold on that reseller's account (charged).
    @OptionalField(key: "reseller_id") public var resellerID: Int?
    @Field(key: "enabled") public var enabled: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// A shop product or variant (its id or SKU) and the TVMS product and plan it stands for.
public final class WebshopMappingModel: Model, @unchecked Sendable {
    public static let schema = "webshop_mappings"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "webshop_id") public var webshopID: Int
    @Field(key: "external_key") public var externalKey: String
    @Field(key: "product_id") public var productID: Int
    @Field(key: "plan_id") public var planID: Int
    public init() {}
}

/// A shop order TVMS acted on: unique per shop and order id, so a redelivered webhook never
/// provisions twice. `state` is "provisioned" or "reversed".
public final class WebshopOrderModel: Model, @unchecked Sendable {
    public static let schema = "webshop_orders"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "webshop_id") public var webshopID: Int
    @Field(key: "external_order_id") public var externalOrderID: String
    @Field(key: "state") public var state: String
    /// "created" (a new customer) or "renewed"
    @Field(key: "action") public var action: String
    @OptionalField(key: "customer_id") public var customerID: Int?
    @OptionalField(key: "plan_id") public var planID: Int?
    /// How many plan periods the order bought (its quantity).
    @Field(key: "periods") public var periods: Int
    /// The expiry before a renewal, to take the renewal back on a refund.
    @OptionalField(key: "previous_expiry") public var previousExpiry: Date?
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date
    public init() {}
}

/// One webhook delivery and what became of it, for the console's delivery log.
public final class WebshopDeliveryModel: Model, @unchecked Sendable {
    public static let schema = "webshop_deliveries"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "webshop_id") public var webshopID: Int
    @Field(key: "received_at") public var receivedAt: Date
    @Field(key: "event") public var event: String
    @Field(key: "delivery_id") public var deliveryID: String
    @Field(key: "external_order_id") public var externalOrderID: String
    @Field(key: "signature_ok") public var signatureOK: Bool
    /// created, renewed, reversed, duplicate, ignored, rejected, failed
    @Field(key: "outcome") public var outcome: String
    @Field(key: "message") public var message: String
    @Field(key: "status") public var status: Int
    public init() {}
}
