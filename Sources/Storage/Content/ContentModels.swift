import FluentKit
import Foundation

/// A content package (CMS › {Channels, Movies, Series, Music, Apps} › Packages): a business unit of
/// items of one kind that products and extra packages grant.
public final class ContentPackageModel: Model, @unchecked Sendable {
    public static let schema = "content_packages"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// channel, movie, series, music, app, course
    @Field(key: "kind") public var kind: String
    @Field(key: "name") public var name: String
    @Field(key: "description") public var description: String
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// An item (of the package's kind) in a package, in order.
public final class PackageItemModel: Model, @unchecked Sendable {
    public static let schema = "package_items"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "package_id") public var packageID: Int
    @Field(key: "item_id") public var itemID: Int
    @Field(key: "position") public var position: Int
    public init() {}
}

/// A product, or a CRM extra package, that grants a content package.
public final class PackageGrantModel: Model, @unchecked Sendable {
    public static let schema = "package_grants"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "package_id") public var packageID: Int
    @OptionalField(key: "product_id") public var productID: Int?
    @OptionalField(key: "extra_package_id") public var extraPackageID: Int?
    public init() {}
}

/// A live TV channel (CMS › Channels).
public final class ChannelModel: Model, @unchecked Sendable {
    public static let schema = "channels"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// The user-facing channel number, unique per deployment.
    @Field(key: "number") public var number: Int
    @Field(key: "name") public var name: String
    @Field(key: "search_name") public var searchName: String
    @Field(key: "notes") public var notes: String
    @Field(key: "provider") public var provider: String
    @OptionalField(key: "logo_id") public var logoID: UUID?
    /// HLS for Apple and KaiOS devices.
    @Field(key: "hls_url") public var hlsURL: String
    /// DASH for the other platforms.
    @Field(key: "dash_url") public var dashURL: String
    @Field(key: "fallback_url") public var fallbackURL: String
    /// none, akamai, flussonic, wowza, … (`ContentRules.tokenTypes`): delivery signs playback URLs with it.
    @Field(key: "token_type") public var tokenType: String
    /// none, buydrm, irdeto
    @Field(key: "drm") public var drm: String
    @Field(key: "age_rating") public var ageRating: Int
    @Field(key: "parental") public var parental: Bool
    /// Comma-separated, lower case.
    @Field(key: "tags") public var tags: String
    @Field(key: "genres") public var genres: String
    @Field(key: "catchup_days") public var catchupDays: Int
    @Field(key: "recording_allowed") public var recordingAllowed: Bool
    @Field(key: "vast_url") public var vastURL: String
    @Field(key: "preroll") public var preroll: Bool
    @Field(key: "overlay") public var overlay: Bool
    @Field(key: "ticker") public var ticker: Bool
    @Field(key: "pinned") public var pinned: Bool
    /// Set when the channel is sold by pay-per-view (then it may be in no package).
    @OptionalField(key: "ppv_rule_id") public var ppvRuleID: Int?
    /// The EPG link (filled by the EPG importer's channel matching).
    @OptionalField(key: "epg_source_id") public var epgSourceID: Int?
    @Field(key: "epg_channel_id") public var epgChannelID: String
    /// Minutes added to the linked guide's times for this channel (on top of the source's shift).
    @Field(key: "epg_shift_minutes") public var epgShiftMinutes: Int
    @Field(key: "enabled") public var enabled: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    public init() {}
}

/// A UI group: a category of channels shown as a tab or row in the apps. Presentation only; it
/// never grants access.
public final class UIGroupModel: Model, @unchecked Sendable {
    public static let schema = "ui_groups"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    @Field(key: "position") public var position: Int
    @Field(key: "visible") public var visible: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

public final class UIGroupChannelModel: Model, @unchecked Sendable {
    public static let schema = "ui_group_channels"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "group_id") public var groupID: Int
    @Field(key: "channel_id") public var channelID: Int
    @Field(key: "position") public var position: Int
    public init() {}
}

/// One published catalogue document: what a product's apps see of one kind of content, frozen
/// at a version. Never changed; a newer version supersedes it.
public final class PublicationModel: Model, @unchecked Sendable {
    public static let schema = "publications"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "product_id") public var productID: Int
    /// "channels" (more kinds come with the VoD catalogue)
    @Field(key: "kind") public var kind: String
    @Field(key: "version") public var version: Int
    /// Of the uncompressed JSON; also the ETag.
    @Field(key: "sha256") public var sha256: String
    @Field(key: "byte_size") public var byteSize: Int
    @Field(key: "gzip_size") public var gzipSize: Int
    @Field(key: "gzip_data") public var gzipData: Data
    @Field(key: "item_count") public var itemCount: Int
    @Field(key: "published_at") public var publishedAt: Date
    @Field(key: "published_by") public var publishedBy: String
    public init() {}
}
