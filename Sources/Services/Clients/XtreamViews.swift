import Domain
import FluentKit
import Foundation
import Storage

/// The JSON answers of `player_api.php`, written to the compatibility contract of the spec
/// (clients-and-protocols §1.4): ints where XC sends ints (`num`, `stream_id`, `series_id`,
/// `tv_archive*`, `parent_id`, season `id`), strings where it sends strings (`category_id`,
/// `added`, `exp_date`, `is_adult`, `max_connections`…), `exp_date` always a digit string,
/// `epg_channel_id` the guide's channel id, keys in XC_VM's order.
public enum XtreamViews {
    /// Where the server is, as `server_info` tells players to rebuild URLs.
    public struct Server: Sendable {
        public var host: String
        public var port: Int
        public var scheme: String
        /// `scheme://host[:port]` plus `/xc/{service}` when the player uses the scoped addresses:
        /// the prefix of every URL the server writes (icons, streams, the guide).
        public var base: String
        public init(host: String, port: Int, scheme: String, base: String) { self.host = host; self.port = port; self.scheme = scheme; self.base = base }
        func media(_ id: UUID?) -> String { id.map { "\(origin)/media/\($0.uuidString.lowercased())" } ?? "" }
        /// `scheme://host[:port]` without the dialect prefix (media are served at the root).
        public var origin: String {
            let standard = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
            return "\(scheme)://\(host)\(standard ? "" : ":\(port)")"
        }
    }

    public static func statusName(_ s: CustomerStatus) -> String {
        switch s {
        case .active, .trial: "Active"
        case .expired: "Expired"
        case .disabled, .pending: "Disabled"
        }
    }

    static func epoch(_ d: Date?) -> String { String(max(0, Int((d ?? Date(timeIntervalSince1970: 0)).timeIntervalSince1970))) }

    /// The login answer (no `action`): `user_info` and `server_info`. The password is the one
    /// the player sent (pyxtream builds stream URLs from these two fields); it is never stored
    /// or logged in clear.
    public static func account(_ a: ClientAccess.Account, password: String, activeConnections: Int, server: Server, now: Date, message: String) -> [UInt8] {
        var w = JSONWriter(capacity: 1024)
        w.beginObject()
        w.key("user_info"); w.beginObject()
        w.field("username", a.customer.login)
        w.field("password", password)
        w.field("message", message)
        w.field("auth", 1)
        w.field("status", statusName(a.status))
        w.field("exp_date", a.customer.expiresAt.map { epoch($0) } ?? String(XtreamFormat.unlimitedExpiry))
        w.field("is_trial", a.product.subscriptionType == SubscriptionType.trial.rawValue ? "1" : "0")
        w.field("active_cons", String(activeConnections))
        w.field("created_at", epoch(a.customer.createdAt))
        w.field("max_connections", String(a.product.maxDevices))
        w.field("allowed_output_formats", strings: ["m3u8", "ts"])
        w.endObject()
        w.key("server_info"); w.beginObject()
        w.field("url", server.host)
        w.field("port", String(server.port))
        w.field("https_port", String(server.scheme == "https" ? server.port : 443))
        w.field("server_protocol", server.scheme)
        w.field("rtmp_port", "0")
        // The stored IANA name ("UTC" stays "UTC"; Foundation would call it "GMT").
        w.field("timezone", TimeZone(identifier: a.deployment.timeZone) == nil ? "UTC" : a.deployment.timeZone)
        w.field("timestamp_now", Int(now.timeIntervalSince1970))
        w.field("time_now", XtreamFormat.wallClock(now, zone: a.zone))
        w.key("process"); w.bool(true)
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// A refused login: `user_info.auth = 0`, what classic XC panels answered (HTTP 200, or 401
    /// when the operator chose the strict form).
    public static func refused(message: String, status: String? = nil, unauthorized: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("user_info"); w.beginObject()
        w.field("auth", 0)
        if let status { w.field("status", status) }
        w.field("message", message)
        w.endObject()
        if unauthorized { w.field("error", "Unauthorized") }
        w.endObject()
        return w.bytes
    }

    public static func categories(_ list: [ClientCatalogue.Category]) -> [UInt8] {
        var w = JSONWriter(capacity: 64 * list.count + 2)
        w.beginArray()
        for c in list {
            w.beginObject()
            w.field("category_id", String(c.id))
            w.field("category_name", c.name)
            w.field("parent_id", 0)
            w.endObject()
        }
        w.endArray()
        return w.bytes
    }

    /// Entries of one category (`nil` = all, each entry once under its first category).
    static func select<T>(_ items: [T], categories: KeyPath<T, [Int]>, in category: Int?) -> [(T, Int)] {
        guard let category else { return items.map { ($0, ClientCatalogue.primary($0[keyPath: categories])) } }
        return items.compactMap { item in
            let ids = item[keyPath: categories]
            return (category == 0 ? ids.isEmpty : ids.contains(category)) ? (item, category) : nil
        }
    }

    public static func liveStreams(_ c: ClientCatalogue, server: Server, category: Int?) -> [UInt8] {
        let list = select(c.channels, categories: \.categoryIDs, in: category)
        var w = JSONWriter(capacity: 420 * list.count + 2)
        w.beginArray()
        for (n, (ch, cat)) in list.enumerated() {
            w.beginObject()
            w.field("num", n + 1)
            w.field("name", ch.name)
            w.field("stream_type", "live")
            w.field("stream_id", ch.id)
            w.field("stream_icon", server.media(ch.logoID))
            w.field("epg_channel_id", ch.xmltvID)
            w.field("added", String(ch.added))
            w.field("is_adult", "0")
            w.field("category_id", String(cat))
            w.field("category_ids", ints: ch.categoryIDs.isEmpty ? [0] : ch.categoryIDs)
            w.field("custom_sid", "")
            w.field("tv_archive", ch.catchupDays > 0 ? 1 : 0)
            w.field("direct_source", "")
            w.field("tv_archive_duration", ch.catchupDays)
            w.field("thumbnail", "")
            w.endObject()
        }
        w.endArray()
        return w.bytes
    }

    static func releaseDate(_ t: ClientCatalogue.Title) -> String { t.year > 0 ? "\(t.year)-01-01" : "" }

    public static func vodStreams(_ c: ClientCatalogue, server: Server, category: Int?) -> [UInt8] {
        let list = select(c.movies, categories: \.categoryIDs, in: category)
        var w = JSONWriter(capacity: 700 * list.count + 2)
        w.beginArray()
        for (n, (m, cat)) in list.enumerated() {
            w.beginObject()
            w.field("num", n + 1)
            w.field("name", m.title)
            w.field("title", m.title)
            w.field("year", m.year > 0 ? String(m.year) : "")
            w.field("stream_type", "movie")
            w.field("stream_id", m.id)
            w.field("stream_icon", server.media(m.coverID))
            w.key("rating"); w.decimal1(m.rating)
            w.key("rating_5based"); w.decimal1(m.rating / 2)
            w.field("added", String(m.added))
            w.field("plot", m.description)
            w.field("cast", m.actors)
            w.field("director", m.director)
            w.field("genre", m.genres.map(XtreamFormat.displayName(genre:)).joined(separator: ", "))
            w.field("release_date", releaseDate(m))
            w.field("youtube_trailer", "")
            w.field("episode_run_time", m.durationSeconds > 0 ? String(m.durationSeconds / 60) : "")
            w.field("category_id", String(cat))
            w.field("category_ids", ints: m.categoryIDs.isEmpty ? [0] : m.categoryIDs)
            w.field("container_extension", m.containerExtension)
            w.field("custom_sid", "")
            w.field("direct_source", "")
            w.field("is_adult", "0")
            w.endObject()
        }
        w.endArray()
        return w.bytes
    }

    /// The fields a series has in the list and in `get_series_info.info`.
    static func seriesFields(_ w: inout JSONWriter, _ s: ClientCatalogue.Title, category: Int, server: Server) {
        w.field("name", s.title)
        w.field("title", s.title)
        w.field("year", s.year > 0 ? String(s.year) : "")
        w.field("cover", server.media(s.coverID))
        w.field("plot", s.description)
        w.field("cast", s.actors)
        w.field("director", s.director)
        w.field("genre", s.genres.map(XtreamFormat.displayName(genre:)).joined(separator: ", "))
        w.field("release_date", releaseDate(s))
        w.field("releaseDate", releaseDate(s))
        w.field("last_modified", String(s.modified))
        w.field("rating", String(Int(s.rating.rounded())))
        w.key("rating_5based"); w.decimal1(s.rating / 2)
        w.field("backdrop_path", strings: s.wideID == nil ? [] : [server.media(s.wideID)])
        w.field("youtube_trailer", "")
        w.field("episode_run_time", "")
        w.field("category_id", String(category))
        w.field("category_ids", ints: s.categoryIDs.isEmpty ? [0] : s.categoryIDs)
    }

    public static func series(_ c: ClientCatalogue, server: Server, category: Int?) -> [UInt8] {
        let list = select(c.series, categories: \.categoryIDs, in: category)
        var w = JSONWriter(capacity: 700 * list.count + 2)
        w.beginArray()
        for (n, (s, cat)) in list.enumerated() {
            w.beginObject()
            w.field("num", n + 1)
            w.field("stream_type", "series")
            w.field("series_id", s.id)
            seriesFields(&w, s, category: cat, server: server)
            w.endObject()
        }
        w.endArray()
        return w.bytes
    }

    /// `get_vod_info`: the movie's properties (`info`) and the list fields (`movie_data`).
    public static func vodInfo(_ m: ClientCatalogue.Title, server: Server) -> [UInt8] {
        var w = JSONWriter(capacity: 2048)
        w.beginObject()
        w.key("info"); w.beginObject()
        w.field("kinopoisk_url", m.tmdbID.map { "https://www.themoviedb.org/movie/\($0)" } ?? "")
        w.field("tmdb_id", m.tmdbID ?? 0)
        w.field("name", m.title)
        w.field("o_name", m.title)
        w.field("cover_big", server.media(m.coverID))
        w.field("movie_image", server.media(m.coverID))
        w.field("releasedate", releaseDate(m))
        w.field("episode_run_time", m.durationSeconds / 60)
        w.field("youtube_trailer", "")
        w.field("director", m.director)
        w.field("actors", m.actors)
        w.field("cast", m.actors)
        w.field("description", m.description)
        w.field("plot", m.description)
        w.field("age", m.ageRating > 0 ? "\(m.ageRating)+" : "")
        w.field("mpaa_rating", "")
        w.field("rating_count_kinopoisk", 0)
        w.field("country", "")
        w.field("genre", m.genres.map(XtreamFormat.displayName(genre:)).joined(separator: ", "))
        w.field("backdrop_path", strings: m.wideID == nil ? [] : [server.media(m.wideID)])
        w.field("duration_secs", m.durationSeconds)
        w.field("duration", XtreamFormat.duration(m.durationSeconds))
        w.field("bitrate", 0)
        w.key("rating"); w.decimal1(m.rating)
        w.key("subtitles"); w.beginArray(); w.endArray()
        w.endObject()
        w.key("movie_data"); w.beginObject()
        w.field("stream_id", m.id)
        w.field("name", m.title)
        w.field("title", m.title)
        w.field("year", m.year > 0 ? String(m.year) : "")
        w.field("added", String(m.added))
        w.field("category_id", String(ClientCatalogue.primary(m.categoryIDs)))
        w.field("category_ids", ints: m.categoryIDs.isEmpty ? [0] : m.categoryIDs)
        w.field("container_extension", m.containerExtension)
        w.field("custom_sid", "")
        w.field("direct_source", "")
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// `get_series_info`: seasons, the series' fields, and episodes keyed by season number.
    public static func seriesInfo(_ s: ClientCatalogue.Title, detail: ClientCatalogueDetail.Series, server: Server) -> [UInt8] {
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("seasons"); w.beginArray()
        for season in detail.seasons {
            w.beginObject()
            w.field("air_date", season.year > 0 ? "\(season.year)-01-01" : "")
            w.field("episode_count", season.episodes.count)
            w.field("id", season.id)
            w.field("name", season.title)
            w.field("overview", season.description)
            w.field("season_number", season.number)
            w.field("cover", server.media(season.coverID ?? s.coverID))
            w.field("cover_big", server.media(season.coverID ?? s.coverID))
            w.endObject()
        }
        w.endArray()
        w.key("info"); w.beginObject()
        seriesFields(&w, s, category: ClientCatalogue.primary(s.categoryIDs), server: server)
        w.endObject()
        w.key("episodes"); w.beginObject()
        for season in detail.seasons where !season.episodes.isEmpty {
            w.key(String(season.number)); w.beginArray()
            for e in season.episodes {
                w.beginObject()
                w.field("id", String(e.id))
                w.field("episode_num", e.number)
                w.field("title", e.title)
                w.field("container_extension", e.containerExtension)
                w.key("info"); w.beginObject()
                w.field("movie_image", server.media(e.wideID ?? season.coverID ?? s.coverID))
                w.field("cover_big", server.media(e.wideID ?? season.coverID ?? s.coverID))
                w.field("plot", e.description)
                w.field("releasedate", "")
                w.field("duration_secs", e.durationSeconds)
                w.field("duration", XtreamFormat.duration(e.durationSeconds))
                w.key("rating"); w.decimal1(e.rating)
                w.field("season", season.number)
                w.endObject()
                w.key("subtitles"); w.beginArray(); w.endArray()
                w.field("custom_sid", "")
                w.field("added", String(e.added))
                w.field("season", season.number)
                w.field("direct_source", "")
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// EPG rows (`get_short_epg`, `get_simple_data_table`) in the contract's safe superset:
    /// numeric `id`/`epg_id` as strings, base64 `title`/`description`, `start`, `end` and `stop`
    /// on the wall clock of `server_info.timezone`, both timestamps, and in the full table the
    /// int flags `now_playing` and `has_archive`.
    public static func listings(_ rows: [XtreamGuide.Listing], zone: TimeZone, now: Date, catchupDays: Int, table: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 400 * rows.count + 32)
        w.beginObject()
        w.key("epg_listings"); w.beginArray()
        for r in rows {
            w.beginObject()
            w.field("id", String(r.id))
            w.field("epg_id", String(r.epgID))
            w.field("title", XtreamFormat.base64(r.title))
            w.field("lang", r.lang)
            w.field("start", XtreamFormat.wallClock(r.start, zone: zone))
            w.field("end", XtreamFormat.wallClock(r.stop, zone: zone))
            w.field("stop", XtreamFormat.wallClock(r.stop, zone: zone))
            w.field("description", XtreamFormat.base64(r.description))
            w.field("channel_id", r.channelID)
            w.field("start_timestamp", String(Int(r.start.timeIntervalSince1970)))
            w.field("stop_timestamp", String(Int(r.stop.timeIntervalSince1970)))
            if table {
                w.field("now_playing", r.start <= now && r.stop > now ? 1 : 0)
                w.field("has_archive", catchupDays > 0 && r.stop <= now && r.start >= now.addingTimeInterval(-Double(catchupDays) * 86_400) ? 1 : 0)
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}
