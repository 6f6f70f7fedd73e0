import FluentKit
import Foundation

/// One on-demand item of any kind (movie, series, season, episode, album, song, course, lesson,
/// app). Kinds share one table: they differ in a few fields, and packages, prices, PPV, lookups
/// and publishing treat them alike. Fields a kind does not use stay empty.
public final class VoDItemModel: Model, @unchecked Sendable {
    public static let schema = "vod_items"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// `VoDKind` raw value.
    @Field(key: "kind") public var kind: String
    /// The series of a season, the season of an episode, the album of a song, the course of a lesson.
    @OptionalField(key: "parent_id") public var parentID: Int?
    /// Season, episode, track or lesson number.
    @Field(key: "number") public var number: Int
    /// Order among siblings ("Add to Top" puts an episode first); ties go by number.
    @Field(key: "position") public var position: Int
    @Field(key: "title") public var title: String
    /// Lower-cased title for prefix search and keyset paging.
    @Field(key: "search_title") public var searchTitle: String
    @Field(key: "description") public var description: String
    @Field(key: "year") public var year: Int
    @Field(key: "duration_seconds") public var durationSeconds: Int
    @Field(key: "genres") public var genres: String
    @Field(key: "tags") public var tags: String
    @Field(key: "actors") public var actors: String
    @Field(key: "director") public var director: String
    @Field(key: "producer") public var producer: String
    /// Episode crew / song writer / course teachers / album band, by kind.
    @Field(key: "credits") public var credits: String
    @Field(key: "guest_cast") public var guestCast: String
    @Field(key: "language") public var language: String
    @Field(key: "rating") public var rating: String
    @Field(key: "age_rating") public var ageRating: Int
    @Field(key: "parental") public var parental: Bool
    @Field(key: "imdb_id") public var imdbID: String
    @OptionalField(key: "tmdb_id") public var tmdbID: Int?
    /// The operator's own id, the first match key of imports.
    @Field(key: "external_id") public var externalID: String
    @Field(key: "provider") public var provider: String
    @Field(key: "stream_url") public var streamURL: String
    @Field(key: "trailer_url") public var trailerURL: String
    @Field(key: "subtitles_url") public var subtitlesURL: String
    /// 2:3 cover (1:1 for albums).
    @OptionalField(key: "cover_id") public var coverID: UUID?
    /// 16:9 background / still / app image.
    @OptionalField(key: "wide_id") public var wideID: UUID?
    @Field(key: "token_type") public var tokenType: String
    @Field(key: "drm") public var drm: String
    @Field(key: "offline_viewing") public var offlineViewing: Bool
    @Field(key: "offline_days") public var offlineDays: Int
    /// Set when the item is sold by pay-per-view (then it may be in no package).
    @OptionalField(key: "ppv_rule_id") public var ppvRuleID: Int?
    @Field(key: "vast_url") public var vastURL: String
    @Field(key: "preroll") public var preroll: Bool
    @Field(key: "overlay") public var overlay: Bool
    @Field(key: "ticker") public var ticker: Bool
    @Field(key: "pinned") public var pinned: Bool
    @OptionalField(key: "level_id") public var levelID: Int?
    /// Apps: how each platform opens it (Android package id, App Store URL or scheme, smart-TV URL, web URL).
    @Field(key: "launch_android") public var launchAndroid: String
    @Field(key: "launch_apple") public var launchApple: String
    @Field(key: "launch_smarttv") public var launchSmartTV: String
    @Field(key: "launch_web") public var launchWeb: String
    @Field(key: "enabled") public var enabled: Bool
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) public var updatedAt: Date?
    public init() {}
}

/// A pay-per-view rule of one content section: the commercial name the app shows and how long a
/// purchase lasts (count × unit).
public final class PPVRuleModel: Model, @unchecked Sendable {
    public static let schema = "ppv_rules"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// `ContentKind` raw value: the CMS section the rule belongs to.
    @Field(key: "section") public var section: String
    @Field(key: "name") public var name: String
    /// hours, days, months, years
    @Field(key: "unit") public var unit: String
    @Field(key: "count") public var count: Int
    @Timestamp(key: "created_at", on: .create) public var createdAt: Date?
    public init() {}
}

/// The PPV price of one item in one currency (minor units).
public final class ContentPriceModel: Model, @unchecked Sendable {
    public static let schema = "content_prices"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    /// `ContentRef` text, e.g. "movie:12".
    @Field(key: "content_ref") public var contentRef: String
    @Field(key: "currency") public var currency: String
    @Field(key: "amount") public var amount: Int64
    public init() {}
}

/// CMS › Education › Levels: the ordered grouping axis of courses (Beginner, Intermediate, …).
public final class CourseLevelModel: Model, @unchecked Sendable {
    public static let schema = "course_levels"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "name") public var name: String
    @Field(key: "position") public var position: Int
    public init() {}
}

/// Per-deployment CMS settings. The TMDb key must be sent to TMDb, so it is kept as entered (like
/// webhook secrets) and never shown again; the hint is.
public final class ContentSettingsModel: Model, @unchecked Sendable {
    public static let schema = "content_settings"
    @ID(custom: "id", generatedBy: .database) public var id: Int?
    @Field(key: "deployment_id") public var deploymentID: UUID
    @Field(key: "tmdb_api_key") public var tmdbAPIKey: String
    @Field(key: "tmdb_key_hint") public var tmdbKeyHint: String
    /// TMDb's language parameter, e.g. "en-US".
    @Field(key: "tmdb_language") public var tmdbLanguage: String
    public init() {}
}
