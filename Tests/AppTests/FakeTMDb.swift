import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A loopback stand-in for api.themoviedb.org (under `/3`) and image.tmdb.org (under
/// `/t/p/original`), answering with TMDb's real response shapes for a small invented catalogue,
/// so metadata imports are tested end to end without the internet.
final class FakeTMDb: @unchecked Sendable {
    static let apiKey = "fake-tmdb-v3-key-0123456789"
    /// A v4 read access token is a JWT, so it starts like one.
    static let readToken = "eyJhbGciOiJIUzI1NiJ9.fake-read-access-token.signature"

    static let nightHarbour = 9001
    static let nightHarbourReturns = 9002
    static let saltAndPepper = 9003
    static let cafeOcean = 9004
    static let glassValley = 7001
    /// Ids that make the fake misbehave the way TMDb occasionally does.
    static let overloadedID = 503
    static let garbledID = 999

    let app: Application
    private(set) var port = 0
    private let seen = NIOLockedValueBox<[String]>([])
    private let searched = NIOLockedValueBox<[String]>([])

    let poster = FakeTMDb.png(width: 200, height: 300, rgb: (0x2A, 0x4D, 0x7A))
    let backdrop = FakeTMDb.png(width: 320, height: 180, rgb: (0x7A, 0x4D, 0x2A))
    let still = FakeTMDb.png(width: 320, height: 180, rgb: (0x3C, 0x7A, 0x4D))
    /// TMDb serves network and company logos too; square here, as channel logos must be.
    let logo = FakeTMDb.png(width: 256, height: 256, rgb: (0x10, 0x20, 0x30))

    var apiBase: String { "http://127.0.0.1:\(port)/3" }
    var imageBase: String { "http://127.0.0.1:\(port)/t/p/original" }
    /// Every request the fake received (API and images), as raw request URIs, oldest first.
    var requests: [String] { seen.withLockedValue { $0 } }
    var requestCount: Int { seen.withLockedValue { $0.count } }
    /// The `query` values of search requests as the server decoded them.
    var searches: [String] { searched.withLockedValue { $0 } }

    init() async throws {
        app = try await Application.make(.testing)
        app.logger.logLevel = .error
        app.middleware.use(Recorder(seen: seen))

        app.get("t", "p", "original", ":name") { [poster, backdrop, still, logo] req -> Response in
            let name = req.parameters.get("name") ?? ""
            let bytes = name.contains("poster") ? poster : name.contains("backdrop") ? backdrop : name.contains("still") ? still : name.contains("logo") ? logo : nil
            guard let bytes else { return Response(status: .notFound) }
            return Response(status: .ok, headers: ["Content-Type": "image/png"], body: .init(data: Data(bytes)))
        }

        let api = app.grouped("3").grouped(KeyCheck())
        api.get("search", "movie") { [searched] req -> Response in
            let query = req.query[String.self, at: "query"] ?? ""
            searched.withLockedValue { $0.append(query) }
            let year = req.query[Int.self, at: "year"] ?? req.query[Int.self, at: "primary_release_year"]
            let hits = Self.movies.filter { Self.matches($0.title, query) && (year == nil || $0.year == year) }
            return Self.json(Self.page(hits.map(Self.movieHit)))
        }
        api.get("movie", ":id") { req -> Response in
            let id = req.parameters.get("id", as: Int.self) ?? 0
            if let trouble = Self.trouble(id) { return trouble }
            guard let m = Self.movies.first(where: { $0.id == id }) else { return Self.notFound() }
            return Self.json(Self.movieDetails(m, append: Self.appended(req)))
        }
        api.get("search", "tv") { [searched] req -> Response in
            let query = req.query[String.self, at: "query"] ?? ""
            searched.withLockedValue { $0.append(query) }
            let year = req.query[Int.self, at: "first_air_date_year"]
            let hits = Self.allSeries.filter { Self.matches($0.name, query) && (year == nil || $0.year == year) }
            return Self.json(Self.page(hits.map(Self.seriesHit)))
        }
        api.get("tv", ":id") { req -> Response in
            let id = req.parameters.get("id", as: Int.self) ?? 0
            if let trouble = Self.trouble(id) { return trouble }
            guard let s = Self.allSeries.first(where: { $0.id == id }) else { return Self.notFound() }
            return Self.json(Self.seriesDetails(s, append: Self.appended(req)))
        }
        api.get("tv", ":id", "season", ":n") { req -> Response in
            let id = req.parameters.get("id", as: Int.self) ?? 0
            let n = req.parameters.get("n", as: Int.self) ?? -1
            guard let s = Self.allSeries.first(where: { $0.id == id }), let season = s.seasons.first(where: { $0.number == n }) else { return Self.notFound() }
            return Self.json(Self.seasonDetails(s, season))
        }
        api.get("**") { _ in Self.notFound() }

        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        port = app.http.server.shared.localAddress?.port ?? 0
    }

    func stop() async throws {
        await app.server.shutdown()
        try await app.asyncShutdown()
    }

    // MARK: Middleware

    struct Recorder: AsyncMiddleware {
        let seen: NIOLockedValueBox<[String]>
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            seen.withLockedValue { $0.append(request.url.string) }
            return try await next.respond(to: request)
        }
    }

    /// TMDb accepts a v3 key in the query or a v4 token as a bearer, and answers anything else
    /// with its status 7 body.
    struct KeyCheck: AsyncMiddleware {
        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            let ok = request.headers.bearerAuthorization.map { $0.token == FakeTMDb.readToken }
                ?? (request.query[String.self, at: "api_key"] == FakeTMDb.apiKey)
            guard ok else {
                return FakeTMDb.json(["status_code": 7, "status_message": "Invalid API key: You must be granted a valid key.", "success": false],
                                     status: .unauthorized)
            }
            return try await next.respond(to: request)
        }
    }

    // MARK: Catalogue

    struct Person: Sendable {
        var id: Int
        var name: String
        var role: String          // character for cast, job for crew
        var department = "Acting"
        var order = 0
    }

    /// Sets each person's billing order from their position in the list.
    static func billed(_ people: [Person]) -> [Person] {
        people.enumerated().map { var p = $0.element; p.order = $0.offset; return p }
    }

    struct Movie: Sendable {
        var id: Int
        var title: String
        var date: String
        var overview: String
        var imdb: String?
        var runtime: Int?
        var genres: [(Int, String)]
        var language = "en"
        var vote: Double
        var poster: String?
        var backdrop: String?
        var cast: [Person] = []
        var crew: [Person] = []
        var year: Int? { Int(date.prefix(4)) }
    }

    struct Episode: Sendable {
        var number: Int
        var name: String
        var date: String
        var runtime: Int?
        var still: String?
        var crew: [Person] = []
        var guests: [Person] = []
    }

    struct Season: Sendable {
        var number: Int
        var name: String
        var overview: String
        var date: String
        var poster: String?
        var episodes: [Episode]
    }

    struct Series: Sendable {
        var id: Int
        var name: String
        var date: String
        var overview: String
        var imdb: String?
        var creators: [String]
        var genres: [(Int, String)]
        var language = "en"
        var vote: Double
        var poster: String?
        var backdrop: String?
        var cast: [Person]
        var seasons: [Season]
        var year: Int? { Int(date.prefix(4)) }
    }

    /// Twelve actors listed out of billing order, as TMDb may, so "first ten by order" is tested.
    static let nightHarbourCast: [Person] = billed([
        "Ada Brennan", "Tomas Vey", "Lena Okafor", "Rui Matsuda", "Petra Holm", "Jonah Reyes",
        "Mina Castell", "Oskar Lind", "Farah Idris", "Cole Waverly", "Ines Moreau", "Bram Tolle",
    ].enumerated().map { Person(id: 500 + $0.offset, name: $0.element, role: "Role \($0.offset + 1)") })

    static let movies: [Movie] = [
        Movie(id: nightHarbour, title: "Night Harbour", date: "1998-05-14",
              overview: "A harbour pilot finds a ship that is not on any manifest.", imdb: "tt0900101", runtime: 117,
              genres: [(18, "Drama"), (53, "Thriller")], vote: 7.36, poster: "/nightharbour-poster.png", backdrop: "/nightharbour-backdrop.png",
              cast: Array(nightHarbourCast.reversed()),
              crew: [Person(id: 601, name: "Mara Quell", role: "Director", department: "Directing"),
                     Person(id: 602, name: "Dov Arkin", role: "Producer", department: "Production"),
                     Person(id: 603, name: "Sol Benita", role: "Producer", department: "Production"),
                     Person(id: 604, name: "Mara Quell", role: "Screenplay", department: "Writing"),
                     Person(id: 605, name: "Iko Trent", role: "Original Music Composer", department: "Sound")]),
        Movie(id: nightHarbourReturns, title: "Night Harbour Returns", date: "2004-10-01",
              overview: "The pilot goes back out.", imdb: nil, runtime: nil, genres: [(53, "Thriller")], vote: 0, poster: nil, backdrop: nil),
        Movie(id: saltAndPepper, title: "Salt & Pepper Street", date: "2011-02-11", overview: "Two rival diners on one street.",
              imdb: "tt0900103", runtime: 94, genres: [(35, "Comedy")], vote: 6.1, poster: "/saltpepper-poster.png", backdrop: "/saltpepper-backdrop.png",
              cast: billed([Person(id: 700, name: "Jo Pike", role: "Sal")]), crew: [Person(id: 701, name: "Ren Hall", role: "Director", department: "Directing")]),
        Movie(id: cafeOcean, title: "Café Océan", date: "2015-07-08", overview: "Un été au bord de la mer.", imdb: "tt0900104", runtime: 101,
              genres: [(10749, "Romance")], language: "fr", vote: 6.85, poster: "/cafeocean-poster.png", backdrop: nil),
    ]

    static let allSeries: [Series] = [
        Series(id: glassValley, name: "Glass Valley", date: "2019-03-02",
               overview: "A town in a valley where nothing stays hidden for long.", imdb: "tt7000701",
               creators: ["Ines Calder", "Wyn Harlow"], genres: [(18, "Drama"), (9648, "Mystery")], vote: 8.14,
               poster: "/glassvalley-poster.png", backdrop: "/glassvalley-backdrop.png",
               cast: billed([Person(id: 801, name: "Noor Salas", role: "Sheriff Dana Vale"), Person(id: 802, name: "Eli Brandt", role: "Kit Marsh"),
                             Person(id: 803, name: "Yara Quist", role: "Mayor Orla Finch")]),
               seasons: [
                   Season(number: 0, name: "Specials", overview: "", date: "2020-12-20", poster: nil, episodes: [
                       Episode(number: 1, name: "Winter in the Valley", date: "2020-12-20", runtime: 30, still: "/gv-s0e1-still.png"),
                   ]),
                   Season(number: 1, name: "Season 1", overview: "The first winter.", date: "2019-03-02", poster: "/gv-s1-poster.png", episodes: [
                       Episode(number: 1, name: "Thaw", date: "2019-03-02", runtime: 52, still: "/gv-s1e1-still.png",
                               crew: [Person(id: 901, name: "Kai Morrow", role: "Director", department: "Directing"),
                                      Person(id: 902, name: "Ines Calder", role: "Writer", department: "Writing"),
                                      Person(id: 903, name: "Pia Lund", role: "Director of Photography", department: "Camera")],
                               guests: billed([Person(id: 911, name: "Arlo Dane", role: "Drifter"), Person(id: 912, name: "Bea Lorne", role: "Clerk")])),
                       Episode(number: 2, name: "Ice Road", date: "2019-03-09", runtime: 48, still: "/gv-s1e2-still.png",
                               crew: [Person(id: 901, name: "Kai Morrow", role: "Director", department: "Directing")]),
                       Episode(number: 3, name: "Meltwater", date: "2019-03-16", runtime: 55, still: "/gv-s1e3-still.png"),
                   ]),
                   Season(number: 2, name: "Season 2", overview: "The dam opens.", date: "2021-04-10", poster: "/gv-s2-poster.png", episodes: [
                       Episode(number: 1, name: "Spillway", date: "2021-04-10", runtime: 50, still: "/gv-s2e1-still.png"),
                       Episode(number: 2, name: "Undertow", date: "", runtime: nil, still: nil),
                   ]),
               ]),
    ]

    // MARK: Response shapes (as TMDb sends them)

    static func matches(_ title: String, _ query: String) -> Bool {
        let q = query.trimmingCharacters(in: .whitespaces)
        return !q.isEmpty && title.range(of: q, options: [.caseInsensitive, .diacriticInsensitive]) != nil
    }

    static func appended(_ req: Request) -> Set<String> {
        Set((req.query[String.self, at: "append_to_response"] ?? "").split(separator: ",").map { String($0) })
    }

    static func page(_ results: [[String: Any]]) -> [String: Any] {
        ["page": 1, "results": results, "total_pages": results.isEmpty ? 0 : 1, "total_results": results.count]
    }

    static func orNull(_ v: Any?) -> Any { v ?? NSNull() }

    static func genres(_ g: [(Int, String)]) -> [[String: Any]] { g.map { ["id": $0.0, "name": $0.1] } }

    static func credits(id: Int, cast: [Person], crew: [Person]) -> [String: Any] {
        ["id": id,
         "cast": cast.map(castMember),
         "crew": crew.map(crewMember)]
    }

    static func castMember(_ p: Person) -> [String: Any] {
        ["adult": false, "gender": 0, "id": p.id, "known_for_department": "Acting", "name": p.name, "original_name": p.name,
         "popularity": 1.5, "profile_path": NSNull(), "cast_id": p.id, "character": p.role, "credit_id": "c\(p.id)", "order": p.order]
    }

    static func crewMember(_ p: Person) -> [String: Any] {
        ["adult": false, "gender": 0, "id": p.id, "known_for_department": p.department, "name": p.name, "original_name": p.name,
         "popularity": 1.1, "profile_path": NSNull(), "credit_id": "k\(p.id)-\(p.role)", "department": p.department, "job": p.role]
    }

    static func movieHit(_ m: Movie) -> [String: Any] {
        ["adult": false, "backdrop_path": orNull(m.backdrop), "genre_ids": m.genres.map(\.0), "id": m.id, "original_language": m.language,
         "original_title": m.title, "overview": m.overview, "popularity": 12.5, "poster_path": orNull(m.poster), "release_date": m.date,
         "title": m.title, "video": false, "vote_average": m.vote, "vote_count": m.vote > 0 ? 321 : 0]
    }

    static func movieDetails(_ m: Movie, append: Set<String>) -> [String: Any] {
        var d: [String: Any] = [
            "adult": false, "backdrop_path": orNull(m.backdrop), "belongs_to_collection": NSNull(), "budget": 0, "genres": genres(m.genres),
            "homepage": "", "id": m.id, "imdb_id": orNull(m.imdb), "origin_country": ["GB"], "original_language": m.language,
            "original_title": m.title, "overview": m.overview, "popularity": 12.5, "poster_path": orNull(m.poster),
            "production_companies": [Any](), "production_countries": [Any](), "release_date": m.date, "revenue": 0, "runtime": orNull(m.runtime),
            "spoken_languages": [Any](), "status": "Released", "tagline": "", "title": m.title, "video": false, "vote_average": m.vote,
            "vote_count": m.vote > 0 ? 321 : 0,
        ]
        if append.contains("credits") { d["credits"] = credits(id: m.id, cast: m.cast, crew: m.crew) }
        return d
    }

    static func seriesHit(_ s: Series) -> [String: Any] {
        ["adult": false, "backdrop_path": orNull(s.backdrop), "genre_ids": s.genres.map(\.0), "id": s.id, "origin_country": ["US"],
         "original_language": s.language, "original_name": s.name, "overview": s.overview, "popularity": 40.2,
         "poster_path": orNull(s.poster), "first_air_date": s.date, "name": s.name, "vote_average": s.vote, "vote_count": 88]
    }

    static func seriesDetails(_ s: Series, append: Set<String>) -> [String: Any] {
        let episodes = s.seasons.filter { $0.number > 0 }.flatMap(\.episodes)
        var d: [String: Any] = [
            "adult": false, "backdrop_path": orNull(s.backdrop),
            "created_by": s.creators.enumerated().map { ["id": 1000 + $0.offset, "credit_id": "cr\($0.offset)", "name": $0.element,
                                                          "original_name": $0.element, "gender": 0, "profile_path": NSNull()] as [String: Any] },
            "episode_run_time": [Any](), "first_air_date": s.date, "genres": genres(s.genres), "homepage": "", "id": s.id, "in_production": true,
            "languages": [s.language], "last_air_date": s.seasons.last?.episodes.last?.date ?? s.date, "name": s.name,
            "number_of_episodes": episodes.count, "number_of_seasons": s.seasons.filter { $0.number > 0 }.count,
            "origin_country": ["US"], "original_language": s.language, "original_name": s.name, "overview": s.overview,
            "popularity": 40.2, "poster_path": orNull(s.poster),
            "seasons": s.seasons.map { ["air_date": $0.date, "episode_count": $0.episodes.count, "id": s.id * 100 + $0.number, "name": $0.name,
                                        "overview": $0.overview, "poster_path": orNull($0.poster), "season_number": $0.number, "vote_average": 0] as [String: Any] },
            "status": "Returning Series", "tagline": "", "type": "Scripted", "vote_average": s.vote, "vote_count": 88,
        ]
        if append.contains("external_ids") {
            d["external_ids"] = ["imdb_id": orNull(s.imdb), "freebase_mid": NSNull(), "freebase_id": NSNull(), "tvdb_id": 360000 + s.id,
                                 "tvrage_id": NSNull(), "wikidata_id": NSNull(), "facebook_id": NSNull(), "instagram_id": NSNull(), "twitter_id": NSNull()] as [String: Any]
        }
        if append.contains("credits") { d["credits"] = credits(id: s.id, cast: s.cast, crew: []) }
        return d
    }

    static func seasonDetails(_ s: Series, _ season: Season) -> [String: Any] {
        let seasonID = s.id * 100 + season.number
        return [
            "_id": "fake\(seasonID)", "air_date": season.date, "name": season.name, "overview": season.overview, "id": seasonID,
            "poster_path": orNull(season.poster), "season_number": season.number, "vote_average": 0,
            "episodes": season.episodes.map { e in
                ["air_date": e.date, "episode_number": e.number, "episode_type": "standard", "id": seasonID * 100 + e.number, "name": e.name,
                 "overview": "\(s.name) \(season.number)x\(e.number).", "production_code": "", "runtime": orNull(e.runtime),
                 "season_number": season.number, "show_id": s.id, "still_path": orNull(e.still), "vote_average": 0, "vote_count": 0,
                 "crew": e.crew.map(crewMember), "guest_stars": e.guests.map(castMember)] as [String: Any]
            },
        ]
    }

    static func trouble(_ id: Int) -> Response? {
        switch id {
        case overloadedID:
            return json(["status_code": 11, "status_message": "Internal error: Something went wrong, contact TMDB.", "success": false],
                        status: .serviceUnavailable)
        case garbledID:
            return Response(status: .ok, headers: ["Content-Type": "text/html"], body: .init(string: "<html><body>Gateway</body></html>"))
        default:
            return nil
        }
    }

    static func notFound() -> Response {
        json(["status_code": 34, "status_message": "The resource you requested could not be found.", "success": false], status: .notFound)
    }

    static func json(_ object: [String: Any], status: HTTPStatus = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: ["Content-Type": "application/json;charset=utf-8"], body: .init(data: data))
    }

    // MARK: PNG

    /// A valid RGB PNG with a gentle gradient, using zlib stored blocks so no compressor is needed.
    static func png(width: Int, height: Int, rgb: (UInt8, UInt8, UInt8)) -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0) // filter: none
            let shade = UInt8(truncatingIfNeeded: y * 64 / max(height, 1))
            for _ in 0..<width { raw += [rgb.0 &+ shade, rgb.1 &+ shade, rgb.2 &+ shade] }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var at = 0
        repeat {
            let n = min(65_535, raw.count - at)
            zlib.append(at + n == raw.count ? 1 : 0)
            zlib += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[at..<(at + n)]
            at += n
        } while at < raw.count
        zlib += be32(adler32(raw))

        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        out += chunk("IHDR", be32(UInt32(width)) + be32(UInt32(height)) + [8, 2, 0, 0, 0])
        out += chunk("IDAT", zlib)
        out += chunk("IEND", [])
        return out
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typed = Array(type.utf8) + data
        return be32(UInt32(data.count)) + typed + be32(crc32(typed))
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = crcTable[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for x in bytes { a = (a + UInt32(x)) % 65_521; b = (b + a) % 65_521 }
        return b << 16 | a
    }
}
