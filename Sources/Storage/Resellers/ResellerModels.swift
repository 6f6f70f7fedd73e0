import FluentKit
import Foundation

/// A company that sells the operator's service (CRM › Resellers).
public final class ResellerModel: Model, @unchecked Sendable {
    public static let schema = "resellers"

    // managed
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @OptionalField(key: "user_id") public var userID: UUID?

    // data
    @Field(key: "name") public var name: String
    @Field(key: "mobile") public var mobile: String
    @Field(key: "email") public var email: String
    @Field(key: "company") public var company: String
    @Field(key: "address") public var address: String
    @Field(key: "reseller_type") public var resellerType: String
    @Field(key: "currency") public var currency: String
    @Field(key: "allow_ads") public var allowAds: Bool
    @Field(key: "allow_custom_login") public var allowCustomLogin: Bool
    @Field(key: "enabled") public var enabled: Bool

    // credits (postpaid): materialised sum of ledger entries, guarded on every change
    @Field(key: "balance") public var balance: Int64
    /// How far below zero the balance may go (0 = not at all).
    @Field(key: "credit_limit") public var creditLimit: Int64

    public init() {}
}

/// A product and plan a reseller may sell, with its discount.
public final class ResellerProductModel: Model, @unchecked Sendable {
    public static let schema = "reseller_products"
    @ID(key: .id) public var id: UUID?
    @Field(key: "reseller_id") public var resellerID: Int
    @Field(key: "product_id") public var productID: Int
    @Field(key: "plan_id") public var planID: Int
    @Field(key: "discount_bp") public var discountBasisPoints: Int
    public init() {}
}

/// A prepaid order: a quantity of one product on one plan, consumed a unit per sale.
public final class ResellerOrderModel: Model, @unchecked Sendable {
    public static let schema = "reseller_orders"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "reseller_id") public var resellerID: Int
    @Field(key: "product_id") public var productID: Int
    @Field(key: "plan_id") public var planID: Int
    @Field(key: "quantity") public var quantity: Int
    /// Materialised units used; guarded so it never exceeds `quantity - refunded`.
    @Field(key: "used") public var used: Int
    @Field(key: "refunded") public var refunded: Int
    @Field(key: "unit_price") public var unitPrice: Int64
    @Field(key: "currency") public var currency: String
    @Field(key: "paid") public var paid: Bool
    @Field(key: "status") public var status: String
    @Field(key: "created_at") public var createdAt: Date
    public init() {}

    public var remaining: Int { quantity - refunded - used }
}

/// One append-only movement of credits or units: from one account to another. Never updated,
/// never deleted; a refund is a new entry the other way.
public final class LedgerEntryModel: Model, @unchecked Sendable {
    public static let schema = "ledger_entries"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "at") public var at: Date
    @Field(key: "from_account") public var fromAccount: String
    @Field(key: "to_account") public var toAccount: String
    @Field(key: "amount") public var amount: Int64
    /// "CREDITS" or "UNITS"
    @Field(key: "unit") public var unit: String
    @Field(key: "reason") public var reason: String
    @Field(key: "actor_label") public var actorLabel: String
    @OptionalField(key: "reseller_id") public var resellerID: Int?
    @OptionalField(key: "customer_id") public var customerID: Int?
    @OptionalField(key: "order_id") public var orderID: Int?
    @OptionalField(key: "plan_id") public var planID: Int?
    @OptionalField(key: "idempotency_key") public var idempotencyKey: String?
    /// What the movement was (see `LedgerKind`); drives the performance page.
    @OptionalField(key: "kind") public var kind: String?
    public init() {}
}

/// An extra package a reseller may sell, at an optional credits price of its own and a discount.
public final class ResellerExtraPackageModel: Model, @unchecked Sendable {
    public static let schema = "reseller_extra_packages"
    @ID(key: .id) public var id: UUID?
    @Field(key: "reseller_id") public var resellerID: Int
    @Field(key: "extra_package_id") public var extraPackageID: Int
    /// Replaces the plan's credits price for this reseller when set.
    @OptionalField(key: "credits_price") public var creditsPrice: Int64?
    @Field(key: "discount_bp") public var discountBasisPoints: Int
    public init() {}
}

/// How the TV apps look for a reseller's customers.
public final class ResellerBrandingModel: Model, @unchecked Sendable {
    public static let schema = "reseller_branding"
    @ID(custom: "reseller_id", generatedBy: .user) public var id: Int?
    @OptionalField(key: "background_id") public var backgroundID: UUID?
    @OptionalField(key: "logo_id") public var logoID: UUID?
    /// "#RRGGBB" or empty for the app default.
    @Field(key: "selection_colour") public var selectionColour: String
    @Field(key: "support_text") public var supportText: String
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    public init() {}
}
