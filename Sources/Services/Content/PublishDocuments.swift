import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// The PPV rules and prices of the items in one document, loaded once.
struct PPVOffers {
    var rules: [Int: PPVRuleModel]
    var prices: [ContentRef: [String: Int64]]

    static func load(_ env: ServiceEnvironment, deploymentID: UUID, refs: [ContentRef], rules: [Int]) async throws -> PPVOffers {
        let r = rules.isEmpty ? [] : try await PPVRuleModel.query(on: env.db).filter(\.$id ~~ Array(Set(rules))).all()
        return PPVOffers(rules: Dictionary(uniqueKeysWithValues: r.map { ($0.id!, $0) }), prices: try await PPVService.prices(env, deploymentID: deploymentID, refs: refs))
    }

    /// What the app shows on the PPV button: the rule's name and window, and the prices.
    func json(ref: ContentRef, rule: Int) -> [String: Any] {
        let r = rules[rule]
        let prices = (self.prices[ref] ?? [:]).reduce(into: [String: String]()) { out, p in
            out[p.key] = CurrencyCode(p.key).map { Money(minorUnits: p.value, currency: $0).amountString } ?? String(p.value)
        }
        return ["rule": r?.name ?? "", "unit": r?.unit ?? "hours", "count": r?.count ?? 0, "prices": prices]
    }
}

extension PublishService {
    /// One document of a product by kind name (see `kinds`).
    static func document(_ env: ServiceEnvironment, product: ProductModel, kind: String) async throws -> (json: [String: Any], items: Int) {
        switch kind {
        case "channels": return try await channelsDocument(env, product: product)
        case "movies": return try await vodDocument(env, product: product, root: .movie, name: kind)
        case "series": return try await vodDocument(env, product: product, root: .series, name: kind)
        case "music": return try await vodDocument(env, product: product, root: .album, name: kind)
        case "courses": return try await vodDocument(env, product: product, root: .course, name: kind)
        case "apps": return try await vodDocument(env, product: product, root: .app, name: kind)
        default: throw DomainError.notFound("The document kind \(kind)")
        }
    }

    static func media(_ id: UUID?) -> Any { id.map { "/media/\($0.uuidString.lowercased())" } ?? NSNull() }

    public static func list(_ s: String) -> [String] { s.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    /// The fields every on-demand item shows in the apps. Stream URLs are not in it: apps ask for
    /// a signed URL when they play.
    static func itemJSON(_ m: VoDRow, kind: VoDKind, ppv: PPVOffers) -> [String: Any] {
        var out: [String: Any] = ["id": m.id, "kind": m.kind, "title": m.title, "description": m.description, "ageRating": m.ageRating, "parental": m.parental,
                                  "enabledForPlayback": kind.playable ? !m.streamUrl.isEmpty : true]
        if m.number != 0 { out["number"] = m.number }
        if m.year != 0 { out["year"] = m.year }
        if m.durationSeconds != 0 { out["durationSeconds"] = m.durationSeconds }
        if kind.coverRatio != nil { out["cover"] = media(m.coverId) }
        if kind.hasWideImage { out[kind == .episode || kind == .lesson || kind == .app ? "image" : "background"] = media(m.wideId) }
        for (key, value) in [("genres", m.genres), ("tags", m.tags)] where !value.isEmpty { out[key] = list(value) }
        for (key, value) in [("actors", m.actors), ("director", m.director), ("producer", m.producer), ("credits", m.credits), ("guestCast", m.guestCast),
                             ("language", m.language), ("rating", m.rating), ("imdbId", m.imdbId), ("provider", m.provider)] where !value.isEmpty {
            out[key] = value
        }
        if !m.trailerUrl.isEmpty { out["trailer"] = true }
        if !m.subtitlesUrl.isEmpty { out["subtitles"] = true }
        if m.offlineViewing { out["offline"] = ["allowed": true, "days": m.offlineDays] }
        if m.preroll || m.overlay || m.ticker || !m.vastUrl.isEmpty { out["ads"] = ["preroll": m.preroll, "overlay": m.overlay, "ticker": m.ticker, "vast": !m.vastUrl.isEmpty] }
        if m.pinned { out["pinned"] = true }
        if let rule = m.ppvRuleId { out["ppv"] = ppv.json(ref: .vod(kind, m.id), rule: rule) }
        if kind == .app {
            var launch: [String: String] = [:]
            for (platform, target) in [("android", m.launchAndroid), ("apple", m.launchApple), ("smarttv", m.launchSmarttv), ("web", m.launchWeb)] where !target.isEmpty {
                launch[platform] = target
            }
            out["launch"] = launch
        }
        return out
    }

    /// A product's movies, series (with seasons and episodes), albums (with songs), courses (with
    /// lessons and levels) or apps: what its packages grant, each marked with what grants it,
    /// and everything sold by pay-per-view (marked `access: "ppv"` with its rule and prices).
    /// Disabled items are left out.
    static func vodDocument(_ env: ServiceEnvironment, product: ProductModel, root: VoDKind, name: String) async throws -> (json: [String: Any], items: Int) {
        let productID = try product.requireID()
        let grantedBy = try await granted(env, product: product, kind: root.packageKind!)
        let deploymentID = product.deploymentID
        // Roots: granted ones, PPV ones, and (series) those with a season sold by PPV.
        var rootIDs = Set(grantedBy.keys)
        let ppvRoots = try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$kind == root.rawValue).filter(\.$ppvRuleID != nil).all()
        rootIDs.formUnion(ppvRoots.compactMap(\.id))
        if root == .series {
            let ppvSeasons = try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$kind == VoDKind.season.rawValue).filter(\.$ppvRuleID != nil).all()
            rootIDs.formUnion(ppvSeasons.compactMap(\.parentID))
        }
        // Plain rows, not Fluent models: a catalogue of 100,000 items decodes several times faster.
        func rows(_ build: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [VoDRow] {
            try await build(env.db.sql.select().columns(VoDRow.columns.map { SQLColumn($0) }).from(VoDItemModel.schema)
                .where("deployment_id", .equal, deploymentID).where("enabled", .equal, true))
                .all(decoding: VoDRow.self, with: SQLRowDecoder(keyDecodingStrategy: .convertFromSnakeCase))
        }
        var roots: [VoDRow] = []
        if rootIDs.count > 5000 {
            // Most of the catalogue: one scan beats hundreds of IN lists.
            roots = try await rows { $0.where("kind", .equal, root.rawValue) }.filter { rootIDs.contains($0.id) }
        } else {
            for chunk in Array(rootIDs).chunked(500) {
                roots += try await rows { $0.where("kind", .equal, root.rawValue).where("id", .in, chunk) }
            }
        }
        roots.sort { ($0.searchTitle, $0.id) < ($1.searchTitle, $1.id) }
        // Children (and grandchildren for series), enabled, in order.
        var children: [Int: [VoDRow]] = [:]
        var level = root.child == nil ? [] : roots.map(\.id)
        var all = roots
        while !level.isEmpty {
            var next: [Int] = []
            for chunk in level.chunked(500) {
                for c in try await rows({ $0.where("parent_id", .in, chunk) }).sorted(by: { ($0.position, $0.number, $0.id) < ($1.position, $1.number, $1.id) }) {
                    children[c.parentId!, default: []].append(c)
                    next.append(c.id)
                    all.append(c)
                }
            }
            level = next
        }
        let sold = all.filter { $0.ppvRuleId != nil }
        let ppv = try await PPVOffers.load(env, deploymentID: deploymentID, refs: sold.map { ContentRef(kind: $0.kind, id: $0.id) }, rules: sold.compactMap(\.ppvRuleId))
        func node(_ m: VoDRow) -> [String: Any] {
            let kind = VoDKind(rawValue: m.kind)!
            var out = itemJSON(m, kind: kind, ppv: ppv)
            if let child = kind.child {
                let key = child == .season ? "seasons" : child == .episode ? "episodes" : child == .song ? "songs" : "lessons"
                out[key] = (children[m.id] ?? []).map(node)
            }
            return out
        }
        var levels: [[String: Any]] = []
        if root == .course {
            levels = try await CourseLevelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$position).all().map { ["id": $0.id!, "name": $0.name] }
        }
        var json: [String: Any] = [
            "productId": productID,
            "kind": name,
            "items": roots.map { m -> [String: Any] in
                var out = node(m)
                out["grantedBy"] = (grantedBy[m.id] ?? []).sorted()
                out["access"] = grantedBy[m.id] != nil ? "subscription" : "ppv"
                if let l = m.levelId { out["levelId"] = l }
                return out
            },
        ]
        if root == .course { json["levels"] = levels }
        return (json, roots.count)
    }
}

/// The columns of an on-demand item that catalogue documents show, read without Fluent.
struct VoDRow: Decodable {
    static let columns = ["id", "kind", "parent_id", "number", "position", "title", "search_title", "description", "year", "duration_seconds", "genres", "tags",
                          "actors", "director", "producer", "credits", "guest_cast", "language", "rating", "age_rating", "parental", "imdb_id", "provider",
                          "stream_url", "trailer_url", "subtitles_url", "cover_id", "wide_id", "offline_viewing", "offline_days", "ppv_rule_id", "vast_url",
                          "preroll", "overlay", "ticker", "pinned", "level_id", "launch_android", "launch_apple", "launch_smarttv", "launch_web"]
    var id: Int, kind: String, parentId: Int?, number: Int, position: Int, title: String, searchTitle: String, description: String, year: Int
    var durationSeconds: Int, genres: String, tags: String, actors: String, director: String, producer: String, credits: String, guestCast: String
    var language: String, rating: String, ageRating: Int, parental: Bool, imdbId: String, provider: String, streamUrl: String, trailerUrl: String
    var subtitlesUrl: String, coverId: UUID?, wideId: UUID?, offlineViewing: Bool, offlineDays: Int, ppvRuleId: Int?, vastUrl: String
    var preroll: Bool, overlay: Bool, ticker: Bool, pinned: Bool, levelId: Int?, launchAndroid: String, launchApple: String, launchSmarttv: String, launchWeb: String
}
