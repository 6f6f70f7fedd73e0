import FluentKit
import Foundation

/// A distributor of set-top boxes; customers and stock items can belong to one.
public final class DealerModel: Model, @unchecked Sendable {
    public static let schema = "dealers"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    @Field(key: "contact") public var contact: String
    @Field(key: "email") public var email: String
    @Field(key: "phone") public var phone: String
    @Field(key: "address") public var address: String
    @Field(key: "enabled") public var enabled: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// A kind of device the operator stocks (Stocks › Models).
public final class DeviceModelModel: Model, @unchecked Sendable {
    public static let schema = "device_models"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    @Field(key: "vendor") public var vendor: String
    /// "stb", "stick", "smart-tv", "other"
    @Field(key: "kind") public var kind: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// One physical box in stock: identified by MAC and/or serial, in one `StockState`.
public final class StockItemModel: Model, @unchecked Sendable {
    public static let schema = "stock_items"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "model_id") public var modelID: Int
    @OptionalField(key: "dealer_id") public var dealerID: Int?
    /// 12 upper-case hex digits with colons, or empty.
    @Field(key: "mac") public var mac: String
    @Field(key: "serial") public var serial: String
    @Field(key: "state") public var state: String
    @OptionalField(key: "customer_id") public var customerID: Int?
    /// The hard-linked customer device created when the box was assigned.
    @OptionalField(key: "device_id") public var deviceID: Int?
    @Field(key: "note") public var note: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    public init() {}
}
