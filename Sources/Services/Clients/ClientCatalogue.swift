import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// What a customer's subscription grants, as a key: the product and the extra packages running
/// now. Every customer with the same set sees the same catalogue, so the lists of the client
/// dialects (Xtream, M3U, XMLTV) are built once per set and shared.
public struct EntitlementSet: Hashable, Sendable, CustomStringConvertible {
    public var deploymentID: UUID
    public var productID: Int
    /// Live extra packages, sorted.
    public var extras: [Int]
    public init(deploymentID: UUID, productID: Int, extras: [Int]) {
        self.deploymentID = deploymentID; self.productID = productID; self.extras = extras.sorted()
    }
    public var description: String { "product \(productID)" + (extras.isEmpty ? "" : " + extras \(extras.map(String.init).joined(separator: ","))") }
}

/// The catalogue an entitlement set sees through a client dialect: channels with their
/// categories (UI groups), movies and series with theirs (genres). Only what such players can
/// play is in it: enabled items granted by subscription, with a stream they can open (HLS or a
/// fallback for channels), without DRM (a plain IPTV player cannot get a licence) and without
/// the parental PIN (they cannot send one). Pay-per-view titles are not listed; a bought one
/// still plays by its stream path, since playback asks `Entitlements.decide`.
public final class ClientCatalogue: Sendable {
    public struct Category: Sendable, Equatable { public let id: Int; public let name: String }

    public struct Channel: Sendable {
        public let id: Int
        public let number: Int
        public let name: String
        public let logoID: UUID?
        /// The XMLTV channel id (`ch12.democrm.tvms`), the same in the lists, the playlist and the
        /// guide. Always given: a channel whose guide is linked later (or has no programmes now)
        /// simply is not in the guide, and ids never disagree while a catalogue is cached.
        public let xmltvID: String
        /// UI groups holding the channel, in group order; empty = the "Other" category (0).
        public let categoryIDs: [Int]
        public let catchupDays: Int
        public let added: Int
    }

    public struct Title: Sendable {
        public let id: Int
        public let title: String
        public let year: Int
        public let description: String
        public let genres: [String]
        public let actors: String
        public let director: String
        public let rating: Double
        public let durationSeconds: Int
        public let coverID: UUID?
        public let wideID: UUID?
        public let tmdbID: Int?
        public let ageRating: Int
        public let language: String
        public let added: Int
        public let modified: Int
        /// Movies: the extension clients put on `/movie/U/P/ID.ext`.
        public let containerExtension: String
        public let categoryIDs: [Int]
    }

    public let set: EntitlementSet
    /// The publication the catalogue was built at (see `ClientCatalogueCache.revision`).
    public let revision: Int
    public let builtAt: Date
    public let service: String
    public let liveCategories: [Category]
    public let channels: [Channel]
    public let vodCategories: [Category]
    public let movies: [Title]
    public let seriesCategories: [Category]
    public let series: [Title]
    let channelIndex: [Int: Int]
    let movieIndex: [Int: Int]
    let seriesIndex: [Int: Int]

    init(set: EntitlementSet, revision: Int, builtAt: Date, service: String, liveCategories: [Category], channels: [Channel],
         vodCategories: [Category], movies: [Title], seriesCategories: [Category], series: [Title]) {
        self.set = set; self.revision = revision; self.builtAt = builtAt; self.service = service
        self.liveCategories = liveCategories; self.channels = channels
        self.vodCategories = vodCategories; self.movies = movies
        self.seriesCategories = seriesCategories; self.series = series
        channelIndex = Dictionary(uniqueKeysWithValues: channels.enumerated().map { ($1.id, $0) })
        movieIndex = Dictionary(uniqueKeysWithValues: movies.enumerated().map { ($1.id, $0) })
        seriesIndex = Dictionary(uniqueKeysWithValues: series.enumerated().map { ($1.id, $0) })
    }

    public func channel(_ id: Int) -> Channel? { channelIndex[id].map { channels[$0] } }
    public func movie(_ id: Int) -> Title? { movieIndex[id].map { movies[$0] } }
    public func series(_ id: Int) -> Title? { seriesIndex[id].map { series[$0] } }

    /// The category id shown for a list entry: its first category, 0 ("Other") when it has none.
    public static func primary(_ ids: [Int]) -> Int { ids.first ?? 0 }
    public static let otherName = "Other"

    // MARK: Building

    /// The items of one package kind the set grants (product packages and live extras').
    static func grantedIDs(_ db: any Database, set: EntitlementSet, kind: ContentKind) async throws -> Set<Int> {
        let extras = set.extras.isEmpty ? "" : " OR g.extra_package_id IN (" + set.extras.map(String.init).joined(separator: ",") + ")"
        let rows = try await db.sql.raw("""
            SELECT DISTINCT i.item_id AS id FROM package_items i
            JOIN content_packages p ON p.id = i.package_id AND p.kind = \(bind: kind.rawValue) AND p.deployment_id = \(bind: set.deploymentID)
            JOIN package_grants g ON g.package_id = p.id
            WHERE (g.product_id = \(bind: set.productID)\(unsafeRaw: extras))
            """).all()
        return Set(try rows.map { try $0.decode(column: "id", as: Int.self) })
    }

    struct ChannelRow: Decodable {
        var id: Int, number: Int, name: String, logoId: UUID?, hlsUrl: String, fallbackUrl: String, drm: String, ageRating: Int, parental: Bool
        var catchupDays: Int, createdAt: Date?
    }

    struct TitleRow: Decodable {
        var id: Int, title: String, year: Int, description: String, genres: String, actors: String, director: String, rating: String
        var durationSeconds: Int, coverId: UUID?, wideId: UUID?, tmdbId: Int?, ageRating: Int, parental: Bool, drm: String, language: String
        var streamUrl: String, createdAt: Date?, updatedAt: Date?
    }

    /// Needs the parental PIN (the rule playback applies): flagged, or rated 18.
    static func needsPIN(parental: Bool, ageRating: Int) -> Bool { parental || ageRating >= 18 }

    static func build(_ env: ServiceEnvironment, set: EntitlementSet, revision: Int) async throws -> ClientCatalogue {
        let db = env.db
        guard let deployment = try await DeploymentModel.find(set.deploymentID, on: db) else { throw DomainError.notFound("The deployment") }
        let decoder = SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase)

        // Channels by number, with their UI groups as categories.
        let grantedChannels = try await grantedIDs(db, set: set, kind: .channel)
        let channelRows = try await db.sql.select()
            .columns(["id", "number", "name", "logo_id", "hls_url", "fallback_url", "drm", "age_rating", "parental", "catchup_days", "created_at"].map { SQLColumn($0) })
            .from(ChannelModel.schema).where("deployment_id", .equal, set.deploymentID).where("enabled", .equal, true).orderBy("number")
            .all(decoding: ChannelRow.self, with: decoder)
            .filter { grantedChannels.contains($0.id) && $0.drm == "none" && !needsPIN(parental: $0.parental, ageRating: $0.ageRating)
                && !($0.hlsUrl.isEmpty && $0.fallbackUrl.isEmpty) }
        let groups = try await UIGroupModel.query(on: db).filter(\.$deploymentID == set.deploymentID).filter(\.$visible == true).sort(\.$position).all()
        let groupOrder = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($1.id!, $0) })
        var groupsOf: [Int: [Int]] = [:]
        for chunk in groups.compactMap(\.id).chunked(500) {
            for m in try await UIGroupChannelModel.query(on: db).filter(\.$groupID ~~ chunk).all() { groupsOf[m.channelID, default: []].append(m.groupID) }
        }
        let channels = channelRows.map { r in
            Channel(id: r.id, number: r.number, name: r.name, logoID: r.logoId,
                    xmltvID: EPGOutput.xmltvID(number: r.number, service: deployment.crmService),
                    categoryIDs: (groupsOf[r.id] ?? []).sorted { groupOrder[$0, default: .max] < groupOrder[$1, default: .max] },
                    catchupDays: r.catchupDays, added: max(0, Int((r.createdAt ?? env.now).timeIntervalSince1970)))
        }
        let usedGroups = Set(channels.flatMap(\.categoryIDs))
        var liveCategories = groups.filter { usedGroups.contains($0.id!) }.map { Category(id: $0.id!, name: $0.name) }
        if channels.contains(where: { $0.categoryIDs.isEmpty }) { liveCategories.append(Category(id: 0, name: otherName)) }

        // Movies and series by title, with their genres as categories.
        func titles(_ kind: VoDKind, packageKind: ContentKind) async throws -> ([Title], [Category]) {
            let granted = try await grantedIDs(db, set: set, kind: packageKind)
            let rows = try await db.sql.select()
                .columns(["id", "title", "year", "description", "genres", "actors", "director", "rating", "duration_seconds", "cover_id", "wide_id", "tmdb_id",
                          "age_rating", "parental", "drm", "language", "stream_url", "created_at", "updated_at", "search_title"].map { SQLColumn($0) })
                .from(VoDItemModel.schema).where("deployment_id", .equal, set.deploymentID).where("kind", .equal, kind.rawValue).where("enabled", .equal, true)
                .orderBy("search_title").orderBy("id")
                .all(decoding: TitleRow.self, with: decoder)
                .filter { granted.contains($0.id) && $0.drm == "none" && !needsPIN(parental: $0.parental, ageRating: $0.ageRating) && (kind != .movie || !$0.streamUrl.isEmpty) }
            var names: [Int: String] = [:]
            var order: [Int] = []
            let list = rows.map { r -> Title in
                let genres = PublishService.list(r.genres)
                let ids = genres.map { g -> Int in
                    let id = XtreamFormat.genreCategoryID(g)
                    if names[id] == nil { names[id] = XtreamFormat.displayName(genre: g); order.append(id) }
                    return id
                }
                func epoch(_ d: Date?) -> Int { max(0, Int((d ?? env.now).timeIntervalSince1970)) }
                return Title(id: r.id, title: r.title, year: r.year, description: r.description, genres: genres, actors: r.actors, director: r.director,
                             rating: Double(r.rating.replacingOccurrences(of: ",", with: ".")).map { min(max($0, 0), 10) } ?? 0,
                             durationSeconds: r.durationSeconds, coverID: r.coverId, wideID: r.wideId, tmdbID: r.tmdbId, ageRating: r.ageRating, language: r.language,
                             added: epoch(r.createdAt), modified: epoch(r.updatedAt ?? r.createdAt),
                             containerExtension: XtreamFormat.containerExtension(streamURL: r.streamUrl), categoryIDs: ids)
            }
            var categories = order.map { Category(id: $0, name: names[$0]!) }.sorted { $0.name < $1.name }
            if list.contains(where: { $0.categoryIDs.isEmpty }) { categories.append(Category(id: 0, name: otherName)) }
            return (list, categories)
        }
        let (movies, vodCategories) = try await titles(.movie, packageKind: .movie)
        let (series, seriesCategories) = try await titles(.series, packageKind: .series)
        return ClientCatalogue(set: set, revision: revision, builtAt: env.now, service: deployment.crmService, liveCategories: liveCategories, channels: channels,
                               vodCategories: vodCategories, movies: movies, seriesCategories: seriesCategories, series: series)
    }
}

/// The built catalogues, one per entitlement set, shared by every request of a process.
///
/// Invalidation: a catalogue is kept while its product's newest publication is the one it was
/// built at ("invalidate on publish": a publish that changes the product's documents makes the
/// next request build again, on every node, within the few seconds the revision is remembered)
/// and for at most `maxAge`, so edits that are never published still show eventually. A set
/// is built by one request at a time; the others wait for it rather than build it again.
public final class ClientCatalogueCache: @unchecked Sendable {
    public static let maxAge: TimeInterval = 15 * 60
    static let maxEntries = 512

    private let lock = NSLock()
    private var entries: [EntitlementSet: ClientCatalogue] = [:]
    private var building: [EntitlementSet: Task<ClientCatalogue, any Error>] = [:]
    /// Counts builds (tests and the benchmark check that sets are shared).
    public private(set) var builds = 0

    public init() {}

    /// The product's publication revision: the id of its newest published document (0 when it
    /// was never published). Remembered for `HotCache.ttl`.
    public static func revision(_ env: ServiceEnvironment, productID: Int) async throws -> Int {
        try await env.hot.get("client-revision:\(productID)", now: env.now) {
            let row = try await env.db.sql.raw("SELECT MAX(id) AS rev FROM publications WHERE product_id = \(bind: productID)").first()
            return try row?.decodeNil(column: "rev") == false ? try row!.decode(column: "rev", as: Int.self) : 0
        }
    }

    public func catalogue(_ env: ServiceEnvironment, set: EntitlementSet) async throws -> ClientCatalogue {
        let revision = try await Self.revision(env, productID: set.productID)
        let now = env.now
        enum Lookup { case hit(ClientCatalogue), wait(Task<ClientCatalogue, any Error>) }
        let lookup: Lookup = lock.withLock {
            if let c = entries[set], c.revision == revision, now.timeIntervalSince(c.builtAt) < Self.maxAge, c.builtAt <= now { return .hit(c) }
            if let t = building[set] { return .wait(t) }
            let t = Task { try await ClientCatalogue.build(env, set: set, revision: revision) }
            building[set] = t
            builds += 1
            return .wait(t)
        }
        let task: Task<ClientCatalogue, any Error>
        switch lookup {
        case .hit(let c): return c
        case .wait(let t): task = t
        }
        do {
            let c = try await task.value
            lock.withLock {
                if building[set] == task { building[set] = nil }
                if entries.count >= Self.maxEntries, entries[set] == nil { entries.removeAll(keepingCapacity: true) }
                if entries[set].map({ $0.builtAt <= c.builtAt }) ?? true { entries[set] = c }
            }
            return c
        } catch {
            lock.withLock { if building[set] == task { building[set] = nil } }
            throw error
        }
    }

    /// Forgets every catalogue (tests; an operator tool could call it after a bulk change).
    public func removeAll() { lock.withLock { entries.removeAll() } }
}
