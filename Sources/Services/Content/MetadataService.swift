import Domain
import FluentKit
import Foundation
import Storage

/// "Add from the database": TMDb search and details turned into pre-filled movies and series
/// (with seasons and episodes) and their artwork. Imported fields stay editable; stream URLs and
/// monetisation are entered by hand.
public enum MetadataService {
    /// Where TMDb lives; tests point these at a loopback fake.
    public struct Endpoints: Sendable {
        public var apiBase: String
        public var imageBase: String
        public init(apiBase: String = "https://api.themoviedb.org/3", imageBase: String = "https://image.tmdb.org/t/p/original") {
            self.apiBase = apiBase
            self.imageBase = imageBase
        }

        public static func fromEnvironment(_ env: [String: String]) -> Endpoints {
            var e = Endpoints()
            if let a = env["TVMS_TMDB_API_URL"], !a.isEmpty { e.apiBase = a }
            if let i = env["TVMS_TMDB_IMAGE_URL"], !i.isEmpty { e.imageBase = i }
            return e
        }
    }

    // MARK: Settings

    public static func settings(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> ContentSettingsModel? {
        try await ContentSettingsModel.query(on: env.db).filter(\.$deploymentID == deploymentID).first()
    }

    /// Sets the TMDb key (an empty key keeps the current one) and language.
    public static func configure(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, apiKey: String, language: String, removeKey: Bool = false) async throws {
        try actor.require(.cms, in: deploymentID)
        let key = apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        let lang = language.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if !key.isEmpty && (key.count < 16 || key.count > 2000 || key.contains(where: { $0.isWhitespace })) { errors.add("apiKey", "does not look like a TMDb API key or read access token") }
        if !lang.isEmpty && lang.range(of: #"^[a-z]{2}(-[A-Z]{2})?$"#, options: .regularExpression) == nil { errors.add("language", "must look like en-US") }
        try errors.throwIfAny()
        let s = try await settings(env, deploymentID: deploymentID) ?? {
            let m = ContentSettingsModel()
            m.deploymentID = deploymentID
            m.tmdbAPIKey = ""
            m.tmdbKeyHint = ""
            return m
        }()
        if removeKey { s.tmdbAPIKey = ""; s.tmdbKeyHint = "" }
        else if !key.isEmpty { s.tmdbAPIKey = key; s.tmdbKeyHint = Secrets.hint(key) }
        s.tmdbLanguage = lang.isEmpty ? "en-US" : lang
        try await env.write { db in
            try await s.save(on: db)
            // The key itself never goes into the audit log; its hint does.
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "cms_settings", entityID: deploymentID.uuidString,
                                          action: "set_tmdb", after: ["key": s.tmdbKeyHint.isEmpty ? "none" : s.tmdbKeyHint, "language": s.tmdbLanguage])
        }
    }

    public static func client(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, http: any OutboundHTTP, endpoints: Endpoints) async throws -> TMDbClient {
        try actor.require(.cms, in: deploymentID)
        guard let s = try await settings(env, deploymentID: deploymentID), !s.tmdbAPIKey.isEmpty else {
            throw DomainError(.conflict, code: "tmdb_not_configured", "No TMDb API key yet: enter one under CMS › Settings.")
        }
        return TMDbClient(http: http, apiKey: s.tmdbAPIKey, apiBase: endpoints.apiBase, imageBase: endpoints.imageBase, language: s.tmdbLanguage)
    }

    // MARK: Pre-filled items

    /// A pre-filled movie, and the artwork URLs to fetch when it is saved.
    public static func movieDraft(_ client: TMDbClient, id: Int) async throws -> (input: VoDService.Input, coverURL: String?, wideURL: String?) {
        let m = try await client.movie(id: id)
        var i = VoDService.Input(kind: .movie, title: m.title)
        i.description = m.overview
        i.year = m.year ?? 0
        i.durationSeconds = m.runtimeMinutes * 60
        i.genres = m.genres.joined(separator: ", ")
        i.actors = m.cast.joined(separator: ", ")
        i.director = m.directors.joined(separator: ", ")
        i.producer = m.producers.prefix(5).joined(separator: ", ")
        i.language = m.language
        i.rating = m.rating
        i.imdbID = VoDRules.isIMDbID(m.imdbID) ? m.imdbID : ""
        i.tmdbID = m.tmdbID
        i.provider = "TMDb"
        return (i, m.posterURL, m.backdropURL)
    }

    public static func seriesDraft(_ client: TMDbClient, id: Int) async throws -> (input: VoDService.Input, coverURL: String?, wideURL: String?, seasons: Int) {
        let s = try await client.series(id: id)
        var i = VoDService.Input(kind: .series, title: s.title)
        i.description = s.overview
        i.year = s.year ?? 0
        i.genres = s.genres.joined(separator: ", ")
        i.actors = s.cast.joined(separator: ", ")
        i.director = s.creators.joined(separator: ", ")
        i.language = s.language
        i.rating = s.rating
        i.imdbID = VoDRules.isIMDbID(s.imdbID) ? s.imdbID : ""
        i.tmdbID = s.tmdbID
        i.provider = "TMDb"
        return (i, s.posterURL, s.backdropURL, s.seasons.count)
    }

    /// Adds a looked-up series' seasons and episodes under `series`. Episodes arrive disabled and
    /// without URLs (the database has none); seasons and episodes already there (by number) are
    /// left alone, so running it again only fills gaps. Pictures that fail their checks are
    /// skipped, not fatal: the text is what matters here.
    public static func importSeasons(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, client: TMDbClient, http: any OutboundHTTP,
                                     series: VoDItemModel, tmdbID: Int) async throws -> (seasons: Int, episodes: Int, skippedPictures: Int) {
        let details = try await client.series(id: tmdbID)
        var seasonsAdded = 0, episodesAdded = 0, skipped = 0
        var existing = Dictionary(uniqueKeysWithValues: try await VoDService.children(env, parentID: series.id!).map { ($0.number, $0) })
        func picture(_ url: String?) async -> [UInt8]? {
            guard let url else { return nil }
            do { return try await ImageFetcher.fetch(http, url: url, maxBytes: VoDService.artworkLimits.maxBytes, field: "picture") } catch { skipped += 1; return nil }
        }
        for summary in details.seasons {
            let season = try await client.season(seriesID: tmdbID, number: summary.number)
            let seasonItem: VoDItemModel
            if let found = existing[summary.number] {
                seasonItem = found
            } else {
                var i = VoDService.Input(kind: .season, title: season.name.isEmpty ? "Season \(summary.number)" : season.name)
                i.parentID = series.id
                i.number = summary.number
                i.description = season.overview
                i.year = season.year ?? 0
                i.genres = series.genres
                i.actors = series.actors
                i.language = series.language
                i.enabled = true
                i.cover = await picture(season.posterURL ?? summary.posterURL)
                seasonItem = try await saveSkippingBadPicture(env, actor: actor, deploymentID: deploymentID, input: i, skipped: &skipped)
                existing[summary.number] = seasonItem
                seasonsAdded += 1
            }
            let known = Set(try await VoDService.children(env, parentID: seasonItem.id!).map(\.number))
            for e in season.episodes where !known.contains(e.number) {
                var i = VoDService.Input(kind: .episode, title: e.name.isEmpty ? "Episode \(e.number)" : e.name)
                i.parentID = seasonItem.id
                i.number = e.number
                i.description = e.overview
                i.durationSeconds = min(e.runtimeSeconds, VoDRules.maxDurationSeconds)
                i.credits = e.crew.joined(separator: ", ")
                i.guestCast = e.guestCast.joined(separator: ", ")
                i.enabled = false
                i.wide = await picture(e.stillURL)
                _ = try await saveSkippingBadPicture(env, actor: actor, deploymentID: deploymentID, input: i, skipped: &skipped)
                episodesAdded += 1
            }
        }
        return (seasonsAdded, episodesAdded, skipped)
    }

    /// Saves; when only a picture is refused (wrong ratio, too big), saves without it.
    static func saveSkippingBadPicture(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: VoDService.Input, skipped: inout Int) async throws -> VoDItemModel {
        do {
            return try await VoDService.save(env, actor: actor, deploymentID: deploymentID, id: nil, input: input)
        } catch let e as DomainError where e.kind == .invalid && !e.fields.isEmpty && Set(e.fields.keys).isSubset(of: ["cover", "wide"]) {
            var i = input
            i.cover = nil
            i.wide = nil
            skipped += 1
            return try await VoDService.save(env, actor: actor, deploymentID: deploymentID, id: nil, input: i)
        }
    }
}
