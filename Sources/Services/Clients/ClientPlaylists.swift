import Domain
import Foundation

/// A playlist with holes where the customer's credentials go. Every customer of an entitlement
/// set gets the same playlist except for the login id and password in its URLs, so the
/// playlist is built once per set and each request only fills the holes while streaming it.
public struct PlaylistTemplate: Sendable {
    public enum Hole: Sendable {
        /// `U/P` as two URL path segments (stream addresses).
        case path
        /// `username=U&password=P` as a query (the guide address).
        case query
    }
    /// The text between the holes: `parts.count == holes.count + 1`.
    public private(set) var parts: [[UInt8]] = [[]]
    public private(set) var holes: [Hole] = []

    public init() {}

    mutating func text(_ s: String) { parts[parts.count - 1].append(contentsOf: s.utf8) }
    mutating func hole(_ h: Hole) { holes.append(h); parts.append([]) }

    public mutating func append(_ other: PlaylistTemplate) {
        parts[parts.count - 1].append(contentsOf: other.parts[0])
        holes += other.holes
        parts += other.parts.dropFirst()
    }

    /// The filled playlist's length in bytes for credentials of these encoded lengths.
    public func length(path: Int, query: Int) -> Int {
        parts.reduce(0) { $0 + $1.count } + holes.reduce(0) { $0 + ($1 == .path ? path : query) }
    }

    /// The credentials as they go into the holes, percent-encoded.
    public struct Credentials: Sendable {
        public let path: [UInt8]
        public let query: [UInt8]
        public init(login: String, password: String) {
            path = Array("\(XtreamFormat.urlComponent(login))/\(XtreamFormat.urlComponent(password))".utf8)
            query = Array("username=\(XtreamFormat.urlComponent(login))&password=\(XtreamFormat.urlComponent(password))".utf8)
        }
    }

    /// Consecutive chunks of about `chunk` bytes of the filled playlist, so a response streams
    /// it without holding the whole text for each request.
    public struct Chunks: Sendable {
        let template: PlaylistTemplate
        let credentials: Credentials
        let chunk: Int
        var index = 0
        public mutating func next() -> [UInt8]? {
            guard index < template.parts.count else { return nil }
            var out: [UInt8] = []
            out.reserveCapacity(chunk + 1024)
            while index < template.parts.count, out.count < chunk {
                out.append(contentsOf: template.parts[index])
                if index < template.holes.count { out.append(contentsOf: template.holes[index] == .path ? credentials.path : credentials.query) }
                index += 1
            }
            return out
        }
    }

    public func chunks(_ c: Credentials, chunk: Int = 64 * 1024) -> Chunks { Chunks(template: self, credentials: c, chunk: chunk) }

    /// The whole filled playlist (tests, small playlists).
    public func filled(_ c: Credentials) -> [UInt8] {
        var all: [UInt8] = []
        var it = chunks(c)
        while let next = it.next() { all += next }
        return all
    }
}

/// Per-customer M3U playlists (`get.php`): `m3u` (names and URLs) and `m3u_plus` (extended:
/// `tvg-id`, `tvg-name`, `tvg-logo`, `group-title`, catch-up attributes, `x-tvg-url`).
public enum ClientPlaylists {
    public struct Sections: Sendable {
        public var header = PlaylistTemplate()
        public var live = PlaylistTemplate()
        public var movies = PlaylistTemplate()
        public var series = PlaylistTemplate()

        /// The playlist with the chosen sections (XC_VM's `key=live,movie,series`).
        public func playlist(live l: Bool = true, movies m: Bool = true, series s: Bool = true) -> PlaylistTemplate {
            var out = header
            if l { out.append(live) }
            if m { out.append(movies) }
            if s { out.append(series) }
            return out
        }
    }

    /// Builds both sections sets of one catalogue. `ext` is the live extension (`ts`/`m3u8`);
    /// on-demand items keep their own container extension. Series episodes need their seasons,
    /// given in `episodes` (series id → season detail), written `Title SxxEyy`.
    public static func build(_ c: ClientCatalogue, server: XtreamViews.Server, plus: Bool, ext: String,
                             episodes: [Int: ClientCatalogueDetail.Series]) -> Sections {
        var s = Sections()
        let base = server.base
        let liveNames = Dictionary(uniqueKeysWithValues: c.liveCategories.map { ($0.id, $0.name) })
        let vodNames = Dictionary(uniqueKeysWithValues: c.vodCategories.map { ($0.id, $0.name) })
        let seriesNames = Dictionary(uniqueKeysWithValues: c.seriesCategories.map { ($0.id, $0.name) })
        let attr = XtreamFormat.m3uAttribute
        if plus {
            s.header.text("#EXTM3U x-tvg-url=\"\(base)/xmltv.php?")
            s.header.hole(.query)
            s.header.text("\" url-tvg=\"\(base)/xmltv.php?")
            s.header.hole(.query)
            s.header.text("\"\n")
        } else {
            s.header.text("#EXTM3U\n")
        }
        for ch in c.channels {
            if plus {
                let group = liveNames[ClientCatalogue.primary(ch.categoryIDs)] ?? ClientCatalogue.otherName
                s.live.text("#EXTINF:-1 tvg-id=\"\(attr(ch.xmltvID))\" tvg-name=\"\(attr(ch.name))\" tvg-logo=\"\(attr(server.media(ch.logoID)))\" tvg-chno=\"\(ch.number)\" group-title=\"\(attr(group))\"")
                if ch.catchupDays > 0 {
                    // {utc} and {duration:60} are zone-free (Unix seconds, minutes): the player's
                    // clock zone cannot shift the programme it asks for.
                    s.live.text(" catchup=\"default\" catchup-days=\"\(ch.catchupDays)\" catchup-source=\"\(base)/timeshift/")
                    s.live.hole(.path)
                    s.live.text("/{duration:60}/{utc}/\(ch.id).\(ext)\" timeshift=\"\(ch.catchupDays)\"")
                }
                s.live.text(",\(XtreamFormat.m3uTitle(ch.name))\n\(base)/live/")
            } else {
                s.live.text("#EXTINF:-1,\(XtreamFormat.m3uTitle(ch.name))\n\(base)/live/")
            }
            s.live.hole(.path)
            s.live.text("/\(ch.id).\(ext)\n")
        }
        for m in c.movies {
            if plus {
                let group = vodNames[ClientCatalogue.primary(m.categoryIDs)] ?? ClientCatalogue.otherName
                s.movies.text("#EXTINF:-1 tvg-name=\"\(attr(m.title))\" tvg-logo=\"\(attr(server.media(m.coverID)))\" group-title=\"\(attr(group))\",\(XtreamFormat.m3uTitle(m.title))\n\(base)/movie/")
            } else {
                s.movies.text("#EXTINF:-1,\(XtreamFormat.m3uTitle(m.title))\n\(base)/movie/")
            }
            s.movies.hole(.path)
            s.movies.text("/\(m.id).\(m.containerExtension)\n")
        }
        for show in c.series {
            guard let detail = episodes[show.id] else { continue }
            let group = seriesNames[ClientCatalogue.primary(show.categoryIDs)] ?? ClientCatalogue.otherName
            for season in detail.seasons {
                for e in season.episodes {
                    let name = XtreamFormat.m3uTitle("\(show.title) S\(pad2(season.number))E\(pad2(e.number))")
                    if plus {
                        s.series.text("#EXTINF:-1 tvg-name=\"\(attr(name))\" tvg-logo=\"\(attr(server.media(show.coverID)))\" group-title=\"\(attr(group))\",\(name)\n\(base)/series/")
                    } else {
                        s.series.text("#EXTINF:-1,\(name)\n\(base)/series/")
                    }
                    s.series.hole(.path)
                    s.series.text("/\(e.id).\(e.containerExtension)\n")
                }
            }
        }
        return s
    }

    static func pad2(_ n: Int) -> String { n < 10 && n >= 0 ? "0\(n)" : String(n) }
}
