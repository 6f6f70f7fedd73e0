import Domain
import Foundation

/// The Movie Database (TMDb) API v3: search and details for movies and series, used to fill in
/// CMS metadata. Calls go through `OutboundHTTP`, so tests run it against a fake on loopback.
public struct TMDbClient: Sendable {
    public let http: any OutboundHTTP
    let apiKey: String
    public let apiBase: String
    public let imageBase: String
    public let language: String

    static let maxBytes = 2 * 1024 * 1024
    static let timeout: TimeInterval = 10

    public init(http: any OutboundHTTP, apiKey: String, apiBase: String = "https://api.themoviedb.org/3",
                imageBase: String = "https://image.tmdb.org/t/p/original", language: String = "en-US") {
        self.http = http
        self.apiKey = apiKey.trimmingCharacters(in: .whitespacesAndNewlines)
        self.apiBase = Self.trimSlash(apiBase)
        self.imageBase = Self.trimSlash(imageBase)
        self.language = language
    }

    // MARK: Public results

    public struct SearchResult: Sendable, Equatable {
        public var id: Int
        public var title: String
        public var year: Int?
        public var overview: String
        public var posterURL: String?
    }

    public struct Movie: Sendable, Equatable {
        public var tmdbID: Int
        public var imdbID: String
        public var title: String
        public var overview: String
        public var year: Int?
        public var runtimeMinutes: Int
        public var genres: [String]
        public var cast: [String]
        public var directors: [String]
        public var producers: [String]
        public var language: String
        public var rating: String
        public var posterURL: String?
        public var backdropURL: String?
    }

    public struct SeasonSummary: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var overview: String
        public var year: Int?
        public var posterURL: String?
        public var episodeCount: Int
    }

    public struct Series: Sendable, Equatable {
        public var tmdbID: Int
        public var imdbID: String
        public var title: String
        public var overview: String
        public var year: Int?
        public var genres: [String]
        public var cast: [String]
        public var creators: [String]
        public var language: String
        public var rating: String
        public var posterURL: String?
        public var backdropURL: String?
        public var seasons: [SeasonSummary]
    }

    public struct Episode: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var overview: String
        public var runtimeSeconds: Int
        public var stillURL: String?
        public var crew: [String]
        public var guestCast: [String]
        public var airYear: Int?
    }

    public struct Season: Sendable, Equatable {
        public var number: Int
        public var name: String
        public var overview: String
        public var year: Int?
        public var posterURL: String?
        public var episodes: [Episode]
    }

    // MARK: Calls

    public func searchMovies(_ query: String, year: Int?) async throws -> [SearchResult] {
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { return [] }
        var params = [("query", q), ("include_adult", "false")]
        if let year { params.append(("year", String(year))) }
        let page: Wire.Page<Wire.MovieHit> = try await get("/search/movie", params)
        return page.results.map {
            SearchResult(id: $0.id, title: $0.title ?? $0.original_title ?? "", year: Self.year($0.release_date),
                         overview: $0.overview ?? "", posterURL: image($0.poster_path))
        }
    }

    public func searchSeries(_ query: String, year: Int?) async throws -> [SearchResult] {
        let q = query.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !q.isEmpty else { return [] }
        var params = [("query", q), ("include_adult", "false")]
        if let year { params.append(("first_air_date_year", String(year))) }
        let page: Wire.Page<Wire.SeriesHit> = try await get("/search/tv", params)
        return page.results.map {
            SearchResult(id: $0.id, title: $0.name ?? $0.original_name ?? "", year: Self.year($0.first_air_date),
                         overview: $0.overview ?? "", posterURL: image($0.poster_path))
        }
    }

    public func movie(id: Int) async throws -> Movie {
        let m: Wire.MovieDetails = try await get("/movie/\(id)", [("append_to_response", "credits")], what: "movie \(id)")
        let crew = m.credits?.crew ?? []
        return Movie(tmdbID: m.id, imdbID: m.imdb_id ?? "", title: m.title ?? m.original_title ?? "", overview: m.overview ?? "",
                     year: Self.year(m.release_date), runtimeMinutes: m.runtime ?? 0, genres: (m.genres ?? []).compactMap(\.name),
                     cast: Self.topCast(m.credits?.cast), directors: Self.names(crew, job: "Director"),
                     producers: Self.names(crew, job: "Producer"), language: m.original_language ?? "",
                     rating: Self.rating(m.vote_average), posterURL: image(m.poster_path), backdropURL: image(m.backdrop_path))
    }

    public func series(id: Int) async throws -> Series {
        let s: Wire.SeriesDetails = try await get("/tv/\(id)", [("append_to_response", "external_ids,credits")], what: "series \(id)")
        let seasons = (s.seasons ?? []).filter { $0.season_number > 0 }.sorted { $0.season_number < $1.season_number }.map {
            SeasonSummary(number: $0.season_number, name: $0.name ?? "Season \($0.season_number)", overview: $0.overview ?? "",
                          year: Self.year($0.air_date), posterURL: image($0.poster_path), episodeCount: $0.episode_count ?? 0)
        }
        return Series(tmdbID: s.id, imdbID: s.external_ids?.imdb_id ?? "", title: s.name ?? s.original_name ?? "", overview: s.overview ?? "",
                      year: Self.year(s.first_air_date), genres: (s.genres ?? []).compactMap(\.name), cast: Self.topCast(s.credits?.cast),
                      creators: Self.unique((s.created_by ?? []).compactMap(\.name)), language: s.original_language ?? "",
                      rating: Self.rating(s.vote_average), posterURL: image(s.poster_path), backdropURL: image(s.backdrop_path), seasons: seasons)
    }

    public func season(seriesID: Int, number: Int) async throws -> Season {
        let s: Wire.SeasonDetails = try await get("/tv/\(seriesID)/season/\(number)", [], what: "season \(number) of series \(seriesID)")
        let episodes = (s.episodes ?? []).sorted { $0.episode_number < $1.episode_number }.map { e in
            // Directors and writers are the credits a TV app shows per episode; other crew is noise.
            let crew = (e.crew ?? []).filter { $0.job == "Director" || $0.department == "Writing" }
                .compactMap { c in c.name.map { "\($0) (\(c.job ?? c.department ?? "Crew"))" } }
            let guests = (e.guest_stars ?? []).sorted { ($0.order ?? .max) < ($1.order ?? .max) }.compactMap(\.name)
            return Episode(number: e.episode_number, name: e.name ?? "Episode \(e.episode_number)", overview: e.overview ?? "",
                           runtimeSeconds: (e.runtime ?? 0) * 60, stillURL: image(e.still_path), crew: Self.unique(crew),
                           guestCast: Self.unique(guests), airYear: Self.year(e.air_date))
        }
        return Season(number: s.season_number ?? number, name: s.name ?? "Season \(number)", overview: s.overview ?? "",
                      year: Self.year(s.air_date), posterURL: image(s.poster_path), episodes: episodes)
    }

    // MARK: Transport

    /// A v4 read access token is a JWT; anything else is a v3 key that travels in the query.
    var usesBearer: Bool { apiKey.hasPrefix("eyJ") }

    func get<T: Decodable>(_ path: String, _ params: [(String, String)], what: String = "title") async throws -> T {
        var query = params + [("language", language)]
        var headers = [("Accept", "application/json")]
        if usesBearer { headers.append(("Authorization", "Bearer \(apiKey)")) } else { query.append(("api_key", apiKey)) }
        let url = apiBase + path + "?" + query.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")

        let response: OutboundResponse
        do {
            response = try await http.fetch(method: "GET", url: url, headers: headers, body: nil, maxBytes: Self.maxBytes, timeout: Self.timeout)
        } catch is OutboundTimeout {
            throw Self.unavailable("did not answer within \(Int(Self.timeout)) seconds")
        } catch is OutboundTooLarge {
            throw Self.unavailable("sent an answer larger than 2 MB")
        } catch {
            // Connection errors can quote the URL, which carries a v3 key: never pass them on.
            throw Self.unavailable("could not be reached")
        }
        switch response.status {
        case 200..<300:
            do { return try JSONDecoder().decode(T.self, from: Data(response.body)) } catch { throw Self.unavailable("sent an answer TVMS could not read") }
        case 401:
            // Deliberately not `.unauthorized`: that would tell our own caller *its* credentials failed.
            throw DomainError(.conflict, code: "tmdb_unauthorized", "TMDb refused the API key; check it under CMS › Settings.")
        case 404:
            throw DomainError(.notFound, code: "tmdb_not_found", "TMDb has no \(what).")
        case 429:
            throw Self.unavailable("is rate-limiting requests")
        default:
            throw Self.unavailable("answered HTTP \(response.status)")
        }
    }

    static func unavailable(_ why: String) -> DomainError {
        DomainError(.conflict, code: "tmdb_unavailable", "TMDb \(why); try again in a moment.")
    }

    /// RFC 3986 unreserved characters only, so `&`, `=`, `+`, spaces and non-ASCII never change the query's meaning.
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    static func encode(_ s: String) -> String { s.addingPercentEncoding(withAllowedCharacters: unreserved) ?? "" }

    static func trimSlash(_ s: String) -> String {
        var s = s.trimmingCharacters(in: .whitespaces)
        while s.hasSuffix("/") { s.removeLast() }
        return s
    }

    // MARK: Mapping helpers

    func image(_ path: String?) -> String? {
        guard let path, !path.isEmpty else { return nil }
        return imageBase + (path.hasPrefix("/") ? path : "/" + path)
    }

    /// TMDb dates are "YYYY-MM-DD", or "" when unknown.
    static func year(_ date: String?) -> Int? {
        guard let date, date.count >= 4, let y = Int(date.prefix(4)), y > 0 else { return nil }
        return y
    }

    static func rating(_ vote: Double?) -> String {
        guard let vote, vote > 0 else { return "" }
        return String(format: "%.1f", vote)
    }

    static func topCast(_ cast: [Wire.Cast]?) -> [String] {
        unique((cast ?? []).sorted { ($0.order ?? .max) < ($1.order ?? .max) }.compactMap(\.name)).prefix(10).map { $0 }
    }

    static func names(_ crew: [Wire.Crew], job: String) -> [String] {
        unique(crew.filter { $0.job == job }.compactMap(\.name))
    }

    static func unique(_ names: [String]) -> [String] {
        var seen = Set<String>()
        return names.filter { !$0.isEmpty && seen.insert($0).inserted }
    }
}

extension TMDbClient {
    /// TMDb's response shapes, only the fields TVMS reads. Nearly everything is optional because
    /// TMDb sends `null` for unknown values on older or sparsely edited titles.
    enum Wire {
        struct Page<Hit: Decodable>: Decodable {
            var results: [Hit]
        }

        struct MovieHit: Decodable {
            var id: Int
            var title: String?
            var original_title: String?
            var release_date: String?
            var overview: String?
            var poster_path: String?
        }

        struct SeriesHit: Decodable {
            var id: Int
            var name: String?
            var original_name: String?
            var first_air_date: String?
            var overview: String?
            var poster_path: String?
        }

        struct Genre: Decodable {
            var id: Int?
            var name: String?
        }

        struct Cast: Decodable {
            var name: String?
            var character: String?
            var order: Int?
        }

        struct Crew: Decodable {
            var name: String?
            var job: String?
            var department: String?
        }

        struct Credits: Decodable {
            var cast: [Cast]?
            var crew: [Crew]?
        }

        struct MovieDetails: Decodable {
            var id: Int
            var imdb_id: String?
            var title: String?
            var original_title: String?
            var overview: String?
            var release_date: String?
            var runtime: Int?
            var genres: [Genre]?
            var original_language: String?
            var vote_average: Double?
            var poster_path: String?
            var backdrop_path: String?
            var credits: Credits?
        }

        struct Person: Decodable {
            var name: String?
        }

        struct ExternalIDs: Decodable {
            var imdb_id: String?
        }

        struct SeasonStub: Decodable {
            var season_number: Int
            var name: String?
            var overview: String?
            var air_date: String?
            var poster_path: String?
            var episode_count: Int?
        }

        struct SeriesDetails: Decodable {
            var id: Int
            var name: String?
            var original_name: String?
            var overview: String?
            var first_air_date: String?
            var genres: [Genre]?
            var created_by: [Person]?
            var original_language: String?
            var vote_average: Double?
            var poster_path: String?
            var backdrop_path: String?
            var seasons: [SeasonStub]?
            var external_ids: ExternalIDs?
            var credits: Credits?
        }

        struct EpisodeDetails: Decodable {
            var episode_number: Int
            var name: String?
            var overview: String?
            var air_date: String?
            var runtime: Int?
            var still_path: String?
            var crew: [Crew]?
            var guest_stars: [Cast]?
        }

        struct SeasonDetails: Decodable {
            var season_number: Int?
            var name: String?
            var overview: String?
            var air_date: String?
            var poster_path: String?
            var episodes: [EpisodeDetails]?
        }
    }
}
