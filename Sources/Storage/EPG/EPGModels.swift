import FluentKit
import Foundation

/// An XMLTV guide the deployment imports (CMS › Channels › EPG Urls): from a URL on a schedule,
/// or from uploaded files. Readers see the programmes of its active import only, so a new import
/// becomes visible at once, whole, or not at all.
public final class EPGSourceModel: Model, @unchecked Sendable {
    public static let schema = "epg_sources"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    /// Empty for upload-only sources.
    @Field(key: "url") public var url: String
    /// Minutes added to every programme time (feeds known to be offset).
    @Field(key: "time_shift_minutes") public var timeShiftMinutes: Int
    /// The zone of times written without an offset (XMLTV says UTC; some feeds mean local time).
    @Field(key: "zone") public var zone: String
    /// Hour of the day (deployment time zone) of the daily refresh; nil = by hand only.
    @OptionalField(key: "refresh_hour") public var refreshHour: Int?
    /// Days of past programmes kept (at least the longest catch-up of its channels).
    @Field(key: "retention_days") public var retentionDays: Int
    @Field(key: "enabled") public var enabled: Bool
    /// Conditional GET validators of the last download.
    @Field(key: "etag") public var etag: String
    @Field(key: "last_modified") public var lastModified: String
    @OptionalField(key: "active_import_id") public var activeImportID: Int?
    /// Automatic matching prefers the source with the highest priority when several sources
    /// have a channel of the same name (0 unless the operator says otherwise).
    @Field(key: "priority") public var priority: Int
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() { priority = 0 }
}

/// One run of an import: status, counts, duration and what went wrong (the source's history).
public final class EPGImportModel: Model, @unchecked Sendable {
    public static let schema = "epg_imports"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "source_id") public var sourceID: Int
    /// running, ok, unchanged, failed
    @Field(key: "status") public var status: String
    @Field(key: "message") public var message: String
    @Field(key: "warnings") public var warnings: String
    @Field(key: "started_at") public var startedAt: Date
    @OptionalField(key: "finished_at") public var finishedAt: Date?
    @Field(key: "bytes") public var bytes: Int64
    @Field(key: "channels") public var channels: Int
    @Field(key: "programmes") public var programmes: Int
    @Field(key: "skipped") public var skipped: Int
    public init() {}
}

/// A channel of a source, as its guide names it.
public final class EPGChannelModel: Model, @unchecked Sendable {
    public static let schema = "epg_channels"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "source_id") public var sourceID: Int
    /// The XMLTV `<channel id>`.
    @Field(key: "external_id") public var externalID: String
    @Field(key: "display_name") public var displayName: String
    @Field(key: "icon") public var icon: String
    @Field(key: "programme_count") public var programmeCount: Int
    @OptionalField(key: "first_start") public var firstStart: Date?
    @OptionalField(key: "last_stop") public var lastStop: Date?
    public init() {}
}

/// One programme, times in UTC with the source's shift applied.
public final class EPGProgrammeModel: Model, @unchecked Sendable {
    public static let schema = "epg_programmes"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "epg_channel_id") public var epgChannelID: Int
    /// The import that wrote it; visible while that import is its source's active one.
    @Field(key: "import_id") public var importID: Int
    @Field(key: "start") public var start: Date
    @Field(key: "stop") public var stop: Date
    @Field(key: "title") public var title: String
    @Field(key: "title_lang") public var titleLang: String
    @Field(key: "sub_title") public var subTitle: String
    @Field(key: "description") public var description: String
    /// Comma-separated.
    @Field(key: "categories") public var categories: String
    @Field(key: "episode_ns") public var episodeNS: String
    @Field(key: "episode_onscreen") public var episodeOnscreen: String
    @Field(key: "rating") public var rating: String
    @Field(key: "icon") public var icon: String
    @Field(key: "previously_shown") public var previouslyShown: Bool
    @Field(key: "is_new") public var isNew: Bool
    @Field(key: "premiere") public var premiere: Bool
    public init() {}
}

/// An operator's "this name means that guide channel" (learnt when a suggestion is accepted).
public final class EPGAliasModel: Model, @unchecked Sendable {
    public static let schema = "epg_aliases"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// The normalised channel name.
    @Field(key: "alias") public var alias: String
    @Field(key: "external_id") public var externalID: String
    public init() {}
}

/// A fuzzy match waiting for a person: never applied on its own.
public final class EPGSuggestionModel: Model, @unchecked Sendable {
    public static let schema = "epg_suggestions"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "channel_id") public var channelID: Int
    @Field(key: "epg_channel_id") public var epgChannelID: Int
    @Field(key: "confidence") public var confidence: Double
    /// pending, rejected
    @Field(key: "status") public var status: String
    public init() {}
}
