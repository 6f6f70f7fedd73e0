import FluentKit
import Foundation

/// A sign-in by code: the TV shows a short code, the subscriber confirms it on a phone or the web,
/// and the TV, polling with its private poll token, receives its session. Codes and poll tokens
/// are stored as digests.
public final class ActivationCodeModel: Model, @unchecked Sendable {
    public static let schema = "activation_codes"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "code_digest") public var codeDigest: String
    @Field(key: "poll_digest") public var pollDigest: String
    @Field(key: "device_uid") public var deviceUID: String
    @Field(key: "device_type") public var deviceType: String
    @Field(key: "device_model") public var deviceModel: String
    @Field(key: "app_version") public var appVersion: String
    @Field(key: "ip") public var ip: String
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "expires_at") public var expiresAt: Date
    /// Set when a subscriber confirmed the code.
    @OptionalField(key: "customer_id") public var customerID: Int?
    @OptionalField(key: "confirmed_at") public var confirmedAt: Date?
    /// Set when the TV collected its session; a code signs in once.
    @OptionalField(key: "consumed_at") public var consumedAt: Date?
    public init() {}
}
