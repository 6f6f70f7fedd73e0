import Foundation
import Testing
import Vapor
@testable import App
@testable import Domain
@testable import Services

@Suite(.serialized) struct TMDbClientTests {
    /// Runs the body against a fresh fake TMDb through the app's real outgoing HTTP, and always
    /// shuts both applications down.
    func withFake(key: String = FakeTMDb.apiKey, _ body: (FakeTMDb, TMDbClient, any OutboundHTTP) async throws -> Void) async throws {
        let fake = try await FakeTMDb()
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        let http = VaporOutboundHTTP(client: app.client)
        let client = TMDbClient(http: http, apiKey: key, apiBase: fake.apiBase, imageBase: fake.imageBase)
        do {
            try await body(fake, client, http)
        } catch {
            try await app.asyncShutdown()
            try await fake.stop()
            throw error
        }
        try await app.asyncShutdown()
        try await fake.stop()
    }

    func domainError(_ body: () async throws -> Void) async -> DomainError? {
        do {
            try await body()
            return nil
        } catch let e as DomainError {
            return e
        } catch {
            Issue.record("expected a DomainError, got \(error)")
            return nil
        }
    }

    @Test func searchMoviesFindsTitleYearAndPoster() async throws {
        try await withFake { fake, tmdb, _ in
            let both = try await tmdb.searchMovies("night HARBOUR", year: nil)
            #expect(both.map(\.id) == [FakeTMDb.nightHarbour, FakeTMDb.nightHarbourReturns])

            let hits = try await tmdb.searchMovies("Night Harbour", year: 1998)
            let hit = try #require(hits.first)
            #expect(hits.count == 1)
            #expect(hit == TMDbClient.SearchResult(id: FakeTMDb.nightHarbour, title: "Night Harbour", year: 1998,
                                                   overview: "A harbour pilot finds a ship that is not on any manifest.",
                                                   posterURL: fake.imageBase + "/nightharbour-poster.png"))
            #expect(both[1].posterURL == nil, "a null poster_path gives no URL")
            #expect(fake.requests.allSatisfy { $0.contains("language=en-US") && $0.contains("api_key=") })

            let before = fake.requestCount
            #expect(try await tmdb.searchMovies("   ", year: nil).isEmpty)
            #expect(fake.requestCount == before, "an empty query costs no request")
        }
    }

    @Test func movieDetailsCarryCreditsAndArtwork() async throws {
        try await withFake { fake, tmdb, _ in
            let m = try await tmdb.movie(id: FakeTMDb.nightHarbour)
            #expect(m.tmdbID == FakeTMDb.nightHarbour && m.imdbID == "tt0900101" && m.title == "Night Harbour" && m.year == 1998)
            #expect(m.runtimeMinutes == 117)
            #expect(m.genres == ["Drama", "Thriller"])
            #expect(m.directors == ["Mara Quell"])
            #expect(m.producers == ["Dov Arkin", "Sol Benita"])
            #expect(m.cast == Array(FakeTMDb.nightHarbourCast.prefix(10).map(\.name)), "the first ten by billing order, not list order")
            #expect(m.language == "en" && m.rating == "7.4")
            #expect(m.posterURL == fake.imageBase + "/nightharbour-poster.png")
            #expect(m.backdropURL == fake.imageBase + "/nightharbour-backdrop.png")
            #expect(fake.requests.last?.contains("append_to_response=credits") == true)

            let sparse = try await tmdb.movie(id: FakeTMDb.nightHarbourReturns)
            #expect(sparse.runtimeMinutes == 0 && sparse.rating == "" && sparse.imdbID == "" && sparse.cast.isEmpty)
            #expect(sparse.posterURL == nil && sparse.backdropURL == nil)
        }
    }

    @Test func seriesDetailsListSeasonsWithoutSpecials() async throws {
        try await withFake { fake, tmdb, _ in
            let found = try await tmdb.searchSeries("glass valley", year: 2019)
            #expect(found.map(\.id) == [FakeTMDb.glassValley] && found.first?.year == 2019)
            #expect(try await tmdb.searchSeries("Glass Valley", year: 2005).isEmpty)

            let s = try await tmdb.series(id: FakeTMDb.glassValley)
            #expect(s.title == "Glass Valley" && s.imdbID == "tt7000701" && s.year == 2019)
            #expect(s.creators == ["Ines Calder", "Wyn Harlow"])
            #expect(s.genres == ["Drama", "Mystery"] && s.cast == ["Noor Salas", "Eli Brandt", "Yara Quist"])
            #expect(s.rating == "8.1" && s.language == "en")
            #expect(s.backdropURL == fake.imageBase + "/glassvalley-backdrop.png")
            #expect(s.seasons.map(\.number) == [1, 2], "season 0 (Specials) is left out")
            #expect(s.seasons.map(\.episodeCount) == [3, 2])
            #expect(s.seasons[0] == TMDbClient.SeasonSummary(number: 1, name: "Season 1", overview: "The first winter.", year: 2019,
                                                              posterURL: fake.imageBase + "/gv-s1-poster.png", episodeCount: 3))
        }
    }

    @Test func seasonDetailsGiveEpisodes() async throws {
        try await withFake { fake, tmdb, _ in
            let one = try await tmdb.season(seriesID: FakeTMDb.glassValley, number: 1)
            #expect(one.number == 1 && one.name == "Season 1" && one.year == 2019 && one.posterURL == fake.imageBase + "/gv-s1-poster.png")
            #expect(one.episodes.map(\.number) == [1, 2, 3])
            #expect(one.episodes.map(\.runtimeSeconds) == [52 * 60, 48 * 60, 55 * 60])
            let first = one.episodes[0]
            #expect(first.name == "Thaw" && first.airYear == 2019)
            #expect(first.stillURL == fake.imageBase + "/gv-s1e1-still.png")
            #expect(first.crew == ["Kai Morrow (Director)", "Ines Calder (Writer)"], "only directors and writers")
            #expect(first.guestCast == ["Arlo Dane", "Bea Lorne"])

            let two = try await tmdb.season(seriesID: FakeTMDb.glassValley, number: 2)
            let unaired = try #require(two.episodes.last)
            #expect(unaired.runtimeSeconds == 0 && unaired.stillURL == nil && unaired.airYear == nil)
        }
    }

    @Test func wrongKeyIsRefusedWithoutRevealingIt() async throws {
        try await withFake(key: "wrong-key-5f2e9c") { fake, tmdb, http in
            let e = try #require(await domainError { _ = try await tmdb.searchMovies("Night Harbour", year: nil) })
            #expect(e.code == "tmdb_unauthorized")
            #expect(e.message == "TMDb refused the API key; check it under CMS › Settings.")
            #expect(!e.message.contains("wrong-key-5f2e9c") && !e.description.contains("wrong-key-5f2e9c"))

            // A v4 read access token travels as a bearer, never in the query.
            let bearer = TMDbClient(http: http, apiKey: FakeTMDb.readToken, apiBase: fake.apiBase, imageBase: fake.imageBase)
            #expect(try await bearer.movie(id: FakeTMDb.nightHarbour).title == "Night Harbour")
            #expect(fake.requests.last?.contains("api_key") == false)
            let badToken = TMDbClient(http: http, apiKey: "eyJnot.the.token", apiBase: fake.apiBase, imageBase: fake.imageBase)
            #expect(await domainError { _ = try await badToken.movie(id: FakeTMDb.nightHarbour) }?.code == "tmdb_unauthorized")
        }
    }

    @Test func unknownIDsAreNotFound() async throws {
        try await withFake { _, tmdb, _ in
            let movie = try #require(await domainError { _ = try await tmdb.movie(id: 424_242) })
            #expect(movie.code == "tmdb_not_found" && movie.kind == .notFound)
            #expect(await domainError { _ = try await tmdb.series(id: 424_242) }?.code == "tmdb_not_found")
            #expect(await domainError { _ = try await tmdb.season(seriesID: FakeTMDb.glassValley, number: 9) }?.code == "tmdb_not_found")
        }
    }

    @Test func outagesAndGarbageAreUnavailable() async throws {
        try await withFake { _, tmdb, _ in
            #expect(await domainError { _ = try await tmdb.movie(id: FakeTMDb.overloadedID) }?.code == "tmdb_unavailable")
            #expect(await domainError { _ = try await tmdb.movie(id: FakeTMDb.garbledID) }?.code == "tmdb_unavailable")
        }
        // Transport failures, simulated so no test waits for a real connect timeout.
        for failure in [Failing.Kind.timeout, .tooLarge, .refused] {
            let down = TMDbClient(http: Failing(kind: failure), apiKey: "secret-key-77aa")
            let e = try #require(await domainError { _ = try await down.searchMovies("Night Harbour", year: nil) })
            #expect(e.code == "tmdb_unavailable", "\(failure)")
            #expect(!e.message.contains("secret-key-77aa"), "a connection error quoting the URL must not leak the key")
        }
    }

    /// An outgoing HTTP that always fails the way a real client can.
    struct Failing: OutboundHTTP {
        enum Kind { case timeout, tooLarge, refused }
        struct Refused: Error, CustomStringConvertible {
            let url: String
            var description: String { "connection refused: \(url)" }
        }

        let kind: Kind
        func send(method: String, url: String, headers: [(String, String)], body: [UInt8]?, timeout: TimeInterval) async throws -> (status: Int, body: String) {
            throw Refused(url: url)
        }

        func download(url: String, headers: [(String, String)], to file: URL, maxBytes: Int64, timeout: TimeInterval) async throws -> (status: Int, headers: [(String, String)], bytes: Int64) {
            _ = try await fetch(method: "GET", url: url, headers: headers, body: nil, maxBytes: Int(maxBytes), timeout: timeout)
            return (0, [], 0)
        }

        func fetch(method: String, url: String, headers: [(String, String)], body: [UInt8]?, maxBytes: Int, timeout: TimeInterval) async throws -> OutboundResponse {
            switch kind {
            case .timeout: throw OutboundTimeout()
            case .tooLarge: throw OutboundTooLarge()
            case .refused: throw Refused(url: url)
            }
        }
    }

    @Test func queriesAreEncoded() async throws {
        try await withFake { fake, tmdb, _ in
            let hits = try await tmdb.searchMovies("Salt & Pepper Street", year: nil)
            #expect(hits.map(\.id) == [FakeTMDb.saltAndPepper])
            #expect(fake.searches.last == "Salt & Pepper Street")
            #expect(fake.requests.last?.contains("query=Salt%20%26%20Pepper%20Street&") == true)

            let french = try await tmdb.searchMovies("café océan", year: 2015)
            #expect(french.map(\.title) == ["Café Océan"])
            #expect(fake.searches.last == "café océan")
            #expect(try await tmdb.searchMovies("a+b=c", year: nil).isEmpty)
            #expect(fake.searches.last == "a+b=c", "+ and = arrive as themselves")
        }
    }

    @Test func artworkIsRealImageBytes() async throws {
        try await withFake { _, tmdb, http in
            let m = try await tmdb.movie(id: FakeTMDb.nightHarbour)
            let poster = try await http.fetch(method: "GET", url: try #require(m.posterURL), headers: [], body: nil, maxBytes: 2 << 20, timeout: 10)
            #expect(poster.status == 200 && poster.header("content-type") == "image/png")
            #expect(ImageSniffer.sniff(poster.body) == SniffedImage(contentType: "image/png", width: 200, height: 300))

            let backdrop = try await http.fetch(method: "GET", url: try #require(m.backdropURL), headers: [], body: nil, maxBytes: 2 << 20, timeout: 10)
            #expect(ImageSniffer.sniff(backdrop.body).map { [$0.width, $0.height] } == [320, 180])
            let still = try #require(try await tmdb.season(seriesID: FakeTMDb.glassValley, number: 1).episodes.first?.stillURL)
            let stillBytes = try await http.fetch(method: "GET", url: still, headers: [], body: nil, maxBytes: 2 << 20, timeout: 10)
            #expect(ImageSniffer.sniff(stillBytes.body).map { [$0.width, $0.height] } == [320, 180])
        }
    }
}
