import FluentKit
import Foundation

/// An uploaded image (branding now, artwork later), kept in the database so every `tvms` node
/// serves it without shared disks. Immutable: a new upload is a new row with a new id, so the
/// URL can be cached forever.
public final class MediaAssetModel: Model, @unchecked Sendable {
    public static let schema = "media_assets"
    @ID(key: .id) public var id: UUID?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "content_type") public var contentType: String
    @Field(key: "byte_size") public var byteSize: Int
    @Field(key: "width") public var width: Int
    @Field(key: "height") public var height: Int
    @Field(key: "sha256") public var sha256: String
    @Field(key: "data") public var data: Data
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}
