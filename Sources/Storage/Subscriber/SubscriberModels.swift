import FluentKit
import Foundation

/// A profile of a customer account ("Who is watching"): its own favourites, watchlist and resume
/// points, an optional PIN, and an optional age limit (kids profiles have one by default).
public final class CustomerProfileModel: Model, @unchecked Sendable {
    public static let schema = "customer_profiles"

    // managed
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "created_at") public var createdAt: Date
    @Field(key: "updated_at") public var updatedAt: Date

    // references
    @Field(key: "customer_id") public var customerID: Int
    /// The customer's id on its default profile, null on the others: a unique column, so two
    /// devices listing profiles for the first time at once cannot both create a default.
    @OptionalField(key: "default_for") public var defaultFor: Int?

    // data
    @Field(key: "name") public var name: String
    @Field(key: "avatar") public var avatar: String
    @Field(key: "kids") public var kids: Bool
    /// Highest age rating this profile may play; nil = no limit of its own (kids: 12).
    @OptionalField(key: "max_rating") public var maxRating: Int?
    @Field(key: "position") public var position: Int

    // lock (`ProfilePIN`; empty = not locked)
    @Field(key: "pin_digest") public var pinDigest: String
    @Field(key: "pin_failures") public var pinFailures: Int
    @OptionalField(key: "pin_locked_until") public var pinLockedUntil: Date?

    public init() {}
}

/// A favourite or a watchlist entry of a profile (`list` = favorites | watchlist).
public final class ProfileItemModel: Model, @unchecked Sendable {
    public static let schema = "profile_items"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "profile_id") public var profileID: Int
    @Field(key: "list") public var list: String
    /// ContentRef text, "channel:3", "movie:12".
    @Field(key: "item") public var item: String
    @Field(key: "added_at") public var addedAt: Date
    public init() {}
}

/// Where a profile stopped in an on-demand title (one row per profile and title).
public final class ProfileProgressModel: Model, @unchecked Sendable {
    public static let schema = "profile_progress"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "profile_id") public var profileID: Int
    @Field(key: "item") public var item: String
    @Field(key: "position_seconds") public var positionSeconds: Int
    @Field(key: "duration_seconds") public var durationSeconds: Int
    @Field(key: "finished") public var finished: Bool
    @Field(key: "updated_at") public var updatedAt: Date
    public init() {}
}

/// One batch of analytics events as a device sent it: the unique (device, batch id) makes a
/// retried batch a no-op, and the answer is kept so the retry gets the same report.
public final class ClientEventBatchModel: Model, @unchecked Sendable {
    public static let schema = "client_event_batches"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "device_id") public var deviceID: Int
    @OptionalField(key: "profile_id") public var profileID: Int?
    @Field(key: "batch_key") public var batchKey: String
    /// The device/network/app/location context of every event of the batch (JSON).
    @Field(key: "context") public var context: String
    @Field(key: "accepted") public var accepted: Int
    /// The per-event refusals (JSON array of {index, code, message}).
    @Field(key: "rejected") public var rejected: String
    @Field(key: "received_at") public var receivedAt: Date
    public init() {}
}

/// One analytics event (spec 4.1) for the MIQ reports.
public final class ClientEventModel: Model, @unchecked Sendable {
    public static let schema = "client_events"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "device_id") public var deviceID: Int
    @OptionalField(key: "profile_id") public var profileID: Int?
    @Field(key: "batch_id") public var batchID: Int
    @Field(key: "type") public var type: String
    @Field(key: "at") public var at: Date
    /// ContentRef text of what was watched ("channel:3"); empty for usage events.
    @Field(key: "item") public var item: String
    @OptionalField(key: "position_seconds") public var positionSeconds: Int?
    @OptionalField(key: "duration_seconds") public var durationSeconds: Int?
    /// The event's other fields (JSON object).
    @Field(key: "extra") public var extra: String
    @Field(key: "received_at") public var receivedAt: Date
    public init() {}
}

/// A subscriber's problem report ("report a problem" in the player), shown in the CRM.
public final class ProblemReportModel: Model, @unchecked Sendable {
    public static let schema = "problem_reports"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "customer_id") public var customerID: Int
    @Field(key: "device_id") public var deviceID: Int
    @OptionalField(key: "profile_id") public var profileID: Int?
    @Field(key: "item") public var item: String
    @Field(key: "description") public var description: String
    /// What the app filled in (player state, stream URL, network…), JSON.
    @Field(key: "diagnostics") public var diagnostics: String
    @Field(key: "created_at") public var createdAt: Date
    public init() {}
}
