import FluentKit
import Foundation

/// A currency a deployment sells in; "CREDITS" is the non-ISO unit for resellers.
public final class CurrencyModel: Model, @unchecked Sendable {
    public static let schema = "currencies"
    @ID(key: .id) public var id: UUID?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "code") public var code: String
    @Field(key: "name") public var name: String
    @Field(key: "symbol") public var symbol: String
    @Field(key: "is_default") public var isDefault: Bool
    public init() {}
    public init(deploymentID: UUID, code: String, name: String, symbol: String, isDefault: Bool) {
        self.deploymentID = deploymentID
        self.code = code
        self.name = name
        self.symbol = symbol
        self.isDefault = isDefault
    }
}

/// The sellable unit: packages, plans, prices and rules.
public final class ProductModel: Model, @unchecked Sendable {
    public static let schema = "products"

    // managed
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?

    // data
    @Field(key: "name") public var name: String
    @OptionalField(key: "mapping_id") public var mappingID: String?
    @Field(key: "subscription_type") public var subscriptionType: String
    @Field(key: "payment_type") public var paymentType: String
    @Field(key: "start_from_first_login") public var startFromFirstLogin: Bool
    /// ISO country codes separated by commas; empty = everywhere.
    @Field(key: "allowed_countries") public var allowedCountries: String
    @Field(key: "is_rtl") public var isRTL: Bool
    @Field(key: "max_devices") public var maxDevices: Int
    /// Device platforms the product may be watched on, comma-separated (`DeviceTypes.platforms`);
    /// empty = all.
    @Field(key: "allowed_device_types") public var allowedDeviceTypes: String
    /// Hours of cloud-PVR recordings a customer may keep; 0 = recordings not offered.
    @Field(key: "pvr_quota_hours") public var pvrQuotaHours: Int
    @OptionalField(key: "user_interface_id") public var userInterfaceID: String?
    @Field(key: "default_currency") public var defaultCurrency: String
    @Field(key: "disclaimer") public var disclaimer: String
    @Field(key: "support_text") public var supportText: String

    // IP access
    @Field(key: "ip_allowed") public var ipAllowed: String
    @Field(key: "ip_blocked") public var ipBlocked: String
    @Field(key: "ip_lock_first") public var ipLockFirst: Bool

    public init() {}
}

/// A payment plan of a product, or of one of its extra packages (`extra_package_id` set).
public final class PaymentPlanModel: Model, @unchecked Sendable {
    public static let schema = "payment_plans"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "product_id") public var productID: Int
    @OptionalField(key: "extra_package_id") public var extraPackageID: Int?
    @Field(key: "name") public var name: String
    @Field(key: "length_count") public var lengthCount: Int
    @Field(key: "length_unit") public var lengthUnit: String
    /// Price in Credits for resellers; nil = not sold for credits.
    @OptionalField(key: "credits_price") public var creditsPrice: Int64?
    @Field(key: "position") public var position: Int
    public init() {}
}

/// One price of a plan in one currency (minor units; 0 allowed).
public final class PlanPriceModel: Model, @unchecked Sendable {
    public static let schema = "plan_prices"
    @ID(key: .id) public var id: UUID?
    @Field(key: "plan_id") public var planID: Int
    @Field(key: "currency") public var currency: String
    @Field(key: "amount") public var amount: Int64
    public init() {}
    public init(planID: Int, currency: String, amount: Int64) {
        self.planID = planID
        self.currency = currency
        self.amount = amount
    }
}

/// An add-on package sold on top of a product, with its own plans.
public final class ExtraPackageModel: Model, @unchecked Sendable {
    public static let schema = "extra_packages"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "product_id") public var productID: Int
    @Field(key: "name") public var name: String
    @OptionalField(key: "mapping_id") public var mappingID: String?
    public init() {}
}

/// Recording (DVR) quota plans and catch-up window plans of a product.
public final class ProductOptionModel: Model, @unchecked Sendable {
    public static let schema = "product_options"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "product_id") public var productID: Int
    /// dvr, catchup or ota
    @Field(key: "kind") public var kind: String
    @Field(key: "name") public var name: String
    /// dvr: recording hours; catchup: days; ota: mandatory (1/0)
    @Field(key: "amount") public var amount: Int
    /// ota: platform
    @Field(key: "platform") public var platform: String
    /// ota: app version
    @Field(key: "version") public var version: String
    /// ota: download URL
    @Field(key: "url") public var url: String
    public init() {}
}

/// A subscriber.
public final class CustomerModel: Model, @unchecked Sendable {
    public static let schema = "customers"

    // managed
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    @OptionalField(key: "deleted_at") public var deletedAt: Date?

    // references
    @OptionalField(key: "mapping_id") public var mappingID: String?
    @OptionalField(key: "reseller_id") public var resellerID: Int?
    @OptionalField(key: "dealer_id") public var dealerID: Int?

    // contact
    @Field(key: "title") public var title: String
    @Field(key: "first_name") public var firstName: String
    @Field(key: "last_name") public var lastName: String
    @Field(key: "street") public var street: String
    @Field(key: "zip") public var zip: String
    @Field(key: "city") public var city: String
    @Field(key: "state") public var state: String
    @Field(key: "country") public var country: String
    @Field(key: "phone") public var phone: String
    @Field(key: "mobile") public var mobile: String
    @Field(key: "email") public var email: String
    @Field(key: "facility") public var facility: String
    @Field(key: "comment") public var comment: String

    // login
    @Field(key: "login") public var login: String
    @Field(key: "password_hash") public var passwordHash: String
    @Field(key: "custom_login") public var customLogin: Bool

    // subscription
    @Field(key: "product_id") public var productID: Int
    @OptionalField(key: "plan_id") public var planID: Int?
    @Field(key: "currency") public var currency: String
    @Field(key: "status") public var status: String
    @Field(key: "disabled") public var disabled: Bool
    @Field(key: "start_from_first_login") public var startFromFirstLogin: Bool
    @OptionalField(key: "starts_at") public var startsAt: Date?
    @OptionalField(key: "expires_at") public var expiresAt: Date?
    @Field(key: "renewal_interval") public var renewalInterval: Int
    @OptionalField(key: "first_login_at") public var firstLoginAt: Date?

    // wallet (materialised; the transactions are the record)
    @Field(key: "wallet_balance") public var walletBalance: Int64
    /// Digest of the parental PIN (`ParentalPIN.digest`); empty = the default PIN 0000.
    @Field(key: "parental_pin_digest") public var parentalPINDigest: String
    /// Items rated above this ask for the parental PIN; 18 = only the built-in rule (18+ or
    /// marked parental). Set by the subscriber (`PUT /api/client/v1/me/parental`).
    @Field(key: "parental_max_rating") public var parentalMaxRating: Int
    /// Wrong parental PINs / device-login passwords in a row, and the lock they caused.
    @Field(key: "pin_failures") public var pinFailures: Int
    @OptionalField(key: "pin_locked_until") public var pinLockedUntil: Date?
    @Field(key: "login_failures") public var loginFailures: Int
    @OptionalField(key: "login_locked_until") public var loginLockedUntil: Date?

    // search keys (normalised, indexed, prefix-searched)
    @Field(key: "search_first") public var searchFirst: String
    @Field(key: "search_last") public var searchLast: String
    @Field(key: "search_email") public var searchEmail: String
    @Field(key: "search_phone") public var searchPhone: String

    public init() {}
}

public final class CustomerExtraPackageModel: Model, @unchecked Sendable {
    public static let schema = "customer_extra_packages"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "extra_package_id") public var extraPackageID: Int
    @Field(key: "plan_id") public var planID: Int
    @Field(key: "synced") public var synced: Bool
    @Field(key: "starts_at") public var startsAt: Date
    @Field(key: "expires_at") public var expiresAt: Date
    @Field(key: "status") public var status: String
    public init() {}
}

/// A device of a customer: hard-linked (MAC/serial, connect/disconnect) or seen in use.
public final class CustomerDeviceModel: Model, @unchecked Sendable {
    public static let schema = "customer_devices"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "linked") public var linked: Bool
    @Field(key: "connected") public var connected: Bool
    @Field(key: "mac") public var mac: String
    @Field(key: "serial") public var serial: String
    @Field(key: "uuid") public var uuid: String
    @Field(key: "model") public var model: String
    @Field(key: "device_type") public var deviceType: String
    @Field(key: "ip") public var ip: String
    @Field(key: "app_version") public var appVersion: String
    @OptionalField(key: "last_seen_at") public var lastSeenAt: Date?
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// Append-only wallet movements of a customer, in the customer's currency.
public final class WalletTransactionModel: Model, @unchecked Sendable {
    public static let schema = "wallet_transactions"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "at") public var at: Date
    @Field(key: "amount") public var amount: Int64
    @Field(key: "balance_after") public var balanceAfter: Int64
    @Field(key: "currency") public var currency: String
    @Field(key: "reason") public var reason: String
    @Field(key: "actor_label") public var actorLabel: String
    @OptionalField(key: "idempotency_key") public var idempotencyKey: String?
    public init() {}
}

/// A message to the customer's apps (the app's Messages screen).
public final class CustomerMessageModel: Model, @unchecked Sendable {
    public static let schema = "customer_messages"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "at") public var at: Date
    @Field(key: "subject") public var subject: String
    @Field(key: "body") public var body: String
    @OptionalField(key: "read_at") public var readAt: Date?
    /// Set when the customer deleted the message in an app: hidden there, kept in the CRM.
    @OptionalField(key: "hidden_at") public var hiddenAt: Date?
    public init() {}
}
