import FluentKit
import Foundation

/// CRM › Products › API Provisions: an endpoint of the operator's billing that TVMS calls to
/// charge a purchase. `keyMapping` and `extraParams` are JSON arrays of `{"ours","theirs"}` and
/// `{"key","value"}`; the rules say what answer counts as success or failure.
public final class APIProvisionModel: Model, @unchecked Sendable {
    public static let schema = "api_provisions"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    /// movies, series, channels, events, products
    @Field(key: "content_type") public var contentType: String
    @Field(key: "url") public var url: String
    /// GET (query string), POST (form) or POST-JSON
    @Field(key: "method") public var method: String
    @Field(key: "key_mapping") public var keyMapping: String
    @Field(key: "extra_params") public var extraParams: String
    @Field(key: "success_rule") public var successRule: String
    @Field(key: "failure_rule") public var failureRule: String
    @Field(key: "timeout_ms") public var timeoutMS: Int
    @Field(key: "max_attempts") public var maxAttempts: Int
    @Field(key: "enabled") public var enabled: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// One call TVMS made to a provision (with its retries) and its outcome.
public final class ProvisionCallModel: Model, @unchecked Sendable {
    public static let schema = "provision_calls"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "provision_id") public var provisionID: Int
    @OptionalField(key: "customer_id") public var customerID: Int?
    /// TVMS's reference for the purchase, sent along so the billing side can de-duplicate.
    @Field(key: "reference") public var reference: String
    @Field(key: "content_ref") public var contentRef: String
    /// success, failure, timeout, error
    @Field(key: "outcome") public var outcome: String
    @Field(key: "attempts") public var attempts: Int
    @OptionalField(key: "http_status") public var httpStatus: Int?
    @Field(key: "response_excerpt") public var responseExcerpt: String
    @Field(key: "duration_ms") public var durationMS: Int
    @Field(key: "started_at") public var startedAt: Date
    public init() {}
}

/// A pay-per-view purchase: access to one title until `accessUntil`, opened by a successful call.
public final class PPVPurchaseModel: Model, @unchecked Sendable {
    public static let schema = "ppv_purchases"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "content_type") public var contentType: String
    @Field(key: "content_ref") public var contentRef: String
    @Field(key: "title") public var title: String
    @Field(key: "price") public var price: Int64
    @Field(key: "currency") public var currency: String
    @OptionalField(key: "call_id") public var callID: Int?
    @Field(key: "purchased_at") public var purchasedAt: Date
    @Field(key: "access_until") public var accessUntil: Date
    public init() {}
}
