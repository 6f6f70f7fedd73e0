import Domain
import FluentKit
import FluentSQL
import Foundation
import SQLKit
import Storage

/// CMS › Movies, Series (seasons, episodes), Music (albums, songs), Education (courses, lessons)
/// and Apps: every on-demand item through one set of operations.
public enum VoDService {
    public struct Input: Sendable {
        public var kind: VoDKind
        public var parentID: Int?
        public var number = 0
        public var title: String
        public var description = "", genres = "", tags = "", actors = "", director = "", producer = "", credits = "", guestCast = ""
        public var year = 0
        public var durationSeconds = 0
        public var language = "", rating = ""
        public var ageRating = 0
        public var parental = false
        public var imdbID = "", externalID = "", provider = ""
        public var tmdbID: Int? = nil
        public var streamURL = "", trailerURL = "", subtitlesURL = ""
        public var tokenType = "none", drm = "none"
        public var offlineViewing = false
        public var offlineDays = 0
        /// Pay-per-view: the rule, and the price per currency (minor units).
        public var ppvRuleID: Int? = nil
        public var prices: [String: Int64] = [:]
        public var vastURL = ""
        public var preroll = false, overlay = false, ticker = false, pinned = false
        public var levelID: Int? = nil
        public var launchAndroid = "", launchApple = "", launchSmartTV = "", launchWeb = ""
        public var enabled = true
        /// New artwork (PNG/JPEG/WebP); nil keeps the current one.
        public var cover: [UInt8]? = nil
        public var wide: [UInt8]? = nil
        public var removeCover = false, removeWide = false
        /// "Add to Top": put a new child first among its siblings.
        public var addToTop = false
        public init(kind: VoDKind, title: String) {
            self.kind = kind
            self.title = title
        }
    }

    /// Every stored field of an input (pictures aside), to tell an unchanged import row.
    public static func fingerprint(_ i: Input) -> [String] {
        [i.kind.rawValue, String(i.parentID ?? 0), String(i.number), i.title, i.description, ChannelRules.normaliseList(i.genres), ChannelRules.normaliseList(i.tags), i.actors,
         i.director, i.producer, i.credits, i.guestCast, String(i.year), String(i.durationSeconds), i.language, i.rating, String(i.ageRating), String(i.parental || i.ageRating >= 16),
         i.imdbID, String(i.tmdbID ?? 0), i.externalID, i.provider, i.streamURL, i.trailerURL, i.subtitlesURL, i.tokenType, i.drm, String(i.offlineViewing),
         String(i.offlineViewing ? i.offlineDays : 0), String(i.ppvRuleID ?? 0), i.prices.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
         i.vastURL, String(i.preroll), String(i.overlay), String(i.ticker), String(i.pinned), String(i.levelID ?? 0), i.launchAndroid, i.launchApple, i.launchSmartTV,
         i.launchWeb, String(i.enabled)].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    public static let artworkLimits = MediaService.Limits(maxBytes: 2 * 1024 * 1024, maxSide: 4096)

    /// Checks an image's type, size and ratio (a 1 % tolerance absorbs rounding of real artwork).
    static func artwork(_ bytes: [UInt8]?, deploymentID: UUID, ratio: (w: Int, h: Int), field: String, errors: inout FieldErrors) -> MediaAssetModel? {
        guard let bytes, !bytes.isEmpty else { return nil }
        do {
            let m = try MediaService.image(bytes, deploymentID: deploymentID, limits: artworkLimits, field: field)
            let want = Double(ratio.w) / Double(ratio.h), got = Double(m.width) / Double(m.height)
            guard abs(got - want) / want <= 0.01 else {
                errors.add(field, "must be \(ratio.w):\(ratio.h); this one is \(m.width)×\(m.height)")
                return nil
            }
            return m
        } catch let e as DomainError {
            errors.merge(e)
        } catch {
            errors.add(field, "could not be read")
        }
        return nil
    }

    /// `parentInFile`: the parent is an earlier row of an import, not stored yet.
    static func validate(_ env: ServiceEnvironment, deploymentID: UUID, existing: VoDItemModel?, _ i: Input, parentInFile: Bool = false) async throws -> (FieldErrors, cover: MediaAssetModel?, wide: MediaAssetModel?) {
        var errors = FieldErrors()
        let title = i.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if title.isEmpty { errors.add("title", "is required") } else if title.count > VoDRules.titleMax { errors.add("title", "is longer than \(VoDRules.titleMax) characters") }
        if let parentKind = i.kind.parent, !parentInFile {
            if let pid = i.parentID, let parent = try await VoDItemModel.query(on: env.db).filter(\.$id == pid).filter(\.$deploymentID == deploymentID).first() {
                if parent.kind != parentKind.rawValue { errors.add("parentID", "must be a \(parentKind.label.lowercased())") }
            } else {
                errors.add("parentID", "choose the \(parentKind.label.lowercased()) it belongs to")
            }
            if !(0...9999).contains(i.number) { errors.add("number", "must be between 0 and 9999") }
            else if i.number > 0, let pid = i.parentID {
                let q = VoDItemModel.query(on: env.db).filter(\.$parentID == pid).filter(\.$number == i.number)
                if let id = existing?.id { q.filter(\.$id != id) }
                if let other = try await q.first() { errors.add("number", "\(i.number) is already \(other.title)") }
            }
        }
        if i.year != 0 && !VoDRules.yearRange.contains(i.year) { errors.add("year", "must be between 1888 and 2100") }
        if !(0...VoDRules.maxDurationSeconds).contains(i.durationSeconds) { errors.add("durationSeconds", "must be between 0 and 10 hours") }
        if !ChannelRules.ageRatings.contains(i.ageRating) { errors.add("ageRating", "must be one of \(ChannelRules.ageRatings.map(String.init).joined(separator: ", "))") }
        if !VoDRules.isIMDbID(i.imdbID) { errors.add("imdbID", "must look like tt0123456") }
        for (field, url) in [("streamURL", i.streamURL), ("trailerURL", i.trailerURL), ("subtitlesURL", i.subtitlesURL), ("vastURL", i.vastURL)] where !ChannelRules.isStreamURL(url) || (field == "vastURL" && url.hasPrefix("/")) {
            errors.add(field, field == "vastURL" ? "must be an http(s) URL" : "must be an http(s) URL or a path such as /live/news/index.m3u8 (served from the CDN hostnames)")
        }
        // Looked-up episodes arrive without URLs: they may wait, disabled, until one is entered.
        if i.kind.playable && i.streamURL.isEmpty && i.enabled { errors.add("streamURL", "is required to enable it: this is what the app plays (MP4, HLS or DASH)") }
        if !ChannelRules.tokenTypes.contains(i.tokenType) { errors.add("tokenType", "is not a known token type") }
        if !ChannelRules.drms.contains(i.drm) { errors.add("drm", "must be none, BuyDRM or Irdeto") }
        if !(0...365).contains(i.offlineDays) { errors.add("offlineDays", "must be between 0 and 365") }
        if i.kind == .app {
            for (platform, field, value) in [("android", "launchAndroid", i.launchAndroid), ("apple", "launchApple", i.launchApple), ("smarttv", "launchSmartTV", i.launchSmartTV), ("web", "launchWeb", i.launchWeb)]
            where !VoDRules.isLaunchTarget(value, platform: platform) {
                errors.add(field, platform == "android" ? "must be a package id (com.example.app) or a URL" : "must be a URL or an app scheme")
            }
            if [i.launchAndroid, i.launchApple, i.launchSmartTV, i.launchWeb].allSatisfy(\.isEmpty) { errors.add("launchAndroid", "give at least one platform's launch target") }
        }
        if let level = i.levelID {
            if i.kind != .course { errors.add("levelID", "only courses have a level") }
            else if try await CourseLevelModel.query(on: env.db).filter(\.$id == level).filter(\.$deploymentID == deploymentID).first() == nil { errors.add("levelID", "is not a level of this deployment") }
        }
        try await PPVService.validate(env, deploymentID: deploymentID, kind: i.kind, itemID: existing?.id, ruleID: i.ppvRuleID, prices: i.prices, errors: &errors)
        var cover: MediaAssetModel? = nil, wide: MediaAssetModel? = nil
        if let ratio = i.kind.coverRatio { cover = artwork(i.cover, deploymentID: deploymentID, ratio: ratio, field: "cover", errors: &errors) }
        else if i.cover?.isEmpty == false { errors.add("cover", "a \(i.kind.label.lowercased()) has no cover picture") }
        if i.kind.hasWideImage { wide = artwork(i.wide, deploymentID: deploymentID, ratio: (16, 9), field: "wide", errors: &errors) }
        else if i.wide?.isEmpty == false { errors.add("wide", "a \(i.kind.label.lowercased()) has no 16:9 picture") }
        return (errors, cover, wide)
    }

    static func apply(_ i: Input, to m: VoDItemModel) {
        func t(_ s: String) -> String { s.trimmingCharacters(in: .whitespacesAndNewlines) }
        m.kind = i.kind.rawValue
        m.parentID = i.kind.parent == nil ? nil : i.parentID
        m.number = i.number
        m.title = t(i.title)
        m.searchTitle = m.title.lowercased()
        m.description = t(i.description)
        m.year = i.year
        m.durationSeconds = i.durationSeconds
        m.genres = ChannelRules.normaliseList(i.genres)
        m.tags = ChannelRules.normaliseList(i.tags)
        m.actors = t(i.actors); m.director = t(i.director); m.producer = t(i.producer); m.credits = t(i.credits); m.guestCast = t(i.guestCast)
        m.language = t(i.language); m.rating = t(i.rating)
        m.ageRating = i.ageRating
        m.parental = i.parental || i.ageRating >= 16
        m.imdbID = t(i.imdbID); m.tmdbID = i.tmdbID; m.externalID = t(i.externalID); m.provider = t(i.provider)
        m.streamURL = t(i.streamURL); m.trailerURL = t(i.trailerURL); m.subtitlesURL = t(i.subtitlesURL)
        m.tokenType = i.tokenType; m.drm = i.drm
        m.offlineViewing = i.offlineViewing
        m.offlineDays = i.offlineViewing ? i.offlineDays : 0
        m.ppvRuleID = i.kind.sellsPPV ? i.ppvRuleID : nil
        m.vastURL = t(i.vastURL); m.preroll = i.preroll; m.overlay = i.overlay; m.ticker = i.ticker; m.pinned = i.pinned
        m.levelID = i.kind == .course ? i.levelID : nil
        m.launchAndroid = t(i.launchAndroid); m.launchApple = t(i.launchApple); m.launchSmartTV = t(i.launchSmartTV); m.launchWeb = t(i.launchWeb)
        m.enabled = i.enabled
    }

    static func snapshot(_ m: VoDItemModel) -> [String: String?] {
        ["kind": m.kind, "title": m.title, "parent": m.parentID.map(String.init), "number": String(m.number), "year": String(m.year),
         "streamURL": m.streamURL, "ppvRule": m.ppvRuleID.map(String.init), "ageRating": String(m.ageRating), "enabled": String(m.enabled),
         "cover": m.coverID?.uuidString, "wide": m.wideID?.uuidString]
    }

    /// Creates (`id` nil) or updates an item; a refused field or picture changes nothing.
    public static func save(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input: Input) async throws -> VoDItemModel {
        try actor.require(.cms, in: deploymentID)
        let existing = id == nil ? nil : try await find(env, actor: actor, deploymentID: deploymentID, id: id!)
        if let existing, existing.kind != input.kind.rawValue { throw DomainError.notFound("The \(input.kind.label.lowercased())") }
        let (errors, cover, wide) = try await validate(env, deploymentID: deploymentID, existing: existing, input)
        try errors.throwIfAny()
        let m = existing ?? VoDItemModel()
        let before = existing.map(snapshot)
        m.deploymentID = deploymentID
        apply(input, to: m)
        var dropped: [UUID] = []
        if input.removeCover || cover != nil, let old = m.coverID { dropped.append(old); m.coverID = nil }
        if input.removeWide || wide != nil, let old = m.wideID { dropped.append(old); m.wideID = nil }
        if let cover { m.coverID = cover.id }
        if let wide { m.wideID = wide.id }
        let droppedMedia = dropped
        let storedPrices = input.kind.sellsPPV && m.ppvRuleID != nil ? input.prices : [:]
        try await env.write { db in
            if existing == nil {
                if let parent = m.parentID {
                    let siblings = VoDItemModel.query(on: db).filter(\.$parentID == parent)
                    m.position = input.addToTop ? ((try await siblings.min(\.$position) ?? 1) - 1) : ((try await siblings.max(\.$position) ?? 0) + 1)
                } else {
                    m.position = 0
                }
            }
            if let cover { try await cover.create(on: db) }
            if let wide { try await wide.create(on: db) }
            try await m.save(on: db)
            if !droppedMedia.isEmpty { try await MediaAssetModel.query(on: db).filter(\.$id ~~ droppedMedia).delete() }
            try await PPVService.storePrices(on: db, deploymentID: deploymentID, ref: .vod(input.kind, m.id!), prices: storedPrices)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: m.kind, entityID: String(m.id!),
                                          action: existing == nil ? "create" : "update", before: before,
                                          after: snapshot(m).merging(["prices": storedPrices.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")]) { a, _ in a })
        }
        return m
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, kind: VoDKind? = nil) async throws -> VoDItemModel {
        try actor.require(.cms, in: deploymentID)
        let q = VoDItemModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID)
        if let kind { q.filter(\.$kind == kind.rawValue) }
        guard let m = try await q.first() else { throw DomainError.notFound("The \(kind?.label.lowercased() ?? "item")") }
        return m
    }

    /// The input that reproduces an item (edit forms, exports).
    public static func input(of m: VoDItemModel, prices: [String: Int64]) -> Input {
        var i = Input(kind: VoDKind(rawValue: m.kind) ?? .movie, title: m.title)
        i.parentID = m.parentID; i.number = m.number
        i.description = m.description; i.genres = m.genres; i.tags = m.tags; i.actors = m.actors; i.director = m.director; i.producer = m.producer
        i.credits = m.credits; i.guestCast = m.guestCast; i.year = m.year; i.durationSeconds = m.durationSeconds; i.language = m.language; i.rating = m.rating
        i.ageRating = m.ageRating; i.parental = m.parental; i.imdbID = m.imdbID; i.tmdbID = m.tmdbID; i.externalID = m.externalID; i.provider = m.provider
        i.streamURL = m.streamURL; i.trailerURL = m.trailerURL; i.subtitlesURL = m.subtitlesURL; i.tokenType = m.tokenType; i.drm = m.drm
        i.offlineViewing = m.offlineViewing; i.offlineDays = m.offlineDays; i.ppvRuleID = m.ppvRuleID; i.prices = prices
        i.vastURL = m.vastURL; i.preroll = m.preroll; i.overlay = m.overlay; i.ticker = m.ticker; i.pinned = m.pinned; i.levelID = m.levelID
        i.launchAndroid = m.launchAndroid; i.launchApple = m.launchApple; i.launchSmartTV = m.launchSmartTV; i.launchWeb = m.launchWeb; i.enabled = m.enabled
        return i
    }

    public struct Query: Sendable {
        public var kind: VoDKind
        public var search = ""
        public var genre = ""
        /// nil: all; true: only PPV items; false: only subscription items.
        public var ppv: Bool? = nil
        public var levelID: Int? = nil
        /// Keyset cursor: the (title, id) of the last row of the previous page.
        public var after: (title: String, id: Int)? = nil
        public var limit = 50
        public init(kind: VoDKind) { self.kind = kind }
    }

    /// Top-level items of a kind by title, keyset-paged on (title, id) so deep pages of 100,000
    /// items cost the same as the first.
    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, query: Query) async throws -> (items: [VoDItemModel], hasMore: Bool) {
        try actor.require(.cms, in: deploymentID)
        let q = VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$kind == query.kind.rawValue)
        let s = query.search.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
        if !s.isEmpty {
            if s.hasPrefix("tt") && VoDRules.isIMDbID(s) { q.filter(\.$imdbID == s) }
            else { q.filter(\.$searchTitle, .custom("LIKE"), s + "%") }
        }
        let g = ChannelRules.normaliseList(query.genre)
        if !g.isEmpty { q.filter(\.$genres, .custom("LIKE"), "%" + g.replacingOccurrences(of: "%", with: "") + "%") }
        if let ppv = query.ppv { _ = ppv ? q.filter(\.$ppvRuleID != nil) : q.filter(\.$ppvRuleID == nil) }
        if let level = query.levelID { q.filter(\.$levelID == level) }
        if let after = query.after {
            // A row-value comparison, (title, id) > (…, …), walks the list index from the cursor on
            // both databases; the equivalent OR of two conditions makes PostgreSQL filter instead.
            q.filter(.sql(embed: "(\(ident: "search_title"), \(ident: "id")) > (\(bind: after.title), \(bind: after.id))"))
        }
        let rows = try await q.sort(\.$searchTitle).sort(\.$id).limit(query.limit + 1).all()
        return (Array(rows.prefix(query.limit)), rows.count > query.limit)
    }

    /// The seasons of a series, episodes of a season, songs of an album or lessons of a course, in order.
    public static func children(_ env: ServiceEnvironment, parentID: Int) async throws -> [VoDItemModel] {
        try await VoDItemModel.query(on: env.db).filter(\.$parentID == parentID).sort(\.$position).sort(\.$number).sort(\.$id).all()
    }

    /// The item and its ancestors, nearest first (episode, season, series).
    public static func chain(_ env: ServiceEnvironment, item: VoDItemModel) async throws -> [VoDItemModel] {
        var out = [item]
        var next = item.parentID
        while let id = next, out.count < 4, let p = try await VoDItemModel.find(id, on: env.db), p.deploymentID == item.deploymentID {
            out.append(p)
            next = p.parentID
        }
        return out
    }

    /// Deletes an item with its children, their places in packages, prices and pictures.
    /// Purchases stay (they carry the title) so the customer's history is intact.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let m = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        var ids = [id]
        var frontier = [id]
        while !frontier.isEmpty {
            let kids = try await VoDItemModel.query(on: env.db).filter(\.$parentID ~~ frontier).all()
            frontier = kids.compactMap(\.id)
            ids += frontier
        }
        let all = try await VoDItemModel.query(on: env.db).filter(\.$id ~~ ids).all()
        let media = all.flatMap { [$0.coverID, $0.wideID] }.compactMap { $0 }
        let refs = all.map { ContentRef(kind: $0.kind, id: $0.id!).description }
        let children = ids.count - 1
        try await env.write { db in
            if let pk = VoDKind(rawValue: m.kind)?.packageKind {
                try await db.sql.raw("""
                    DELETE FROM package_items WHERE item_id = \(bind: id)
                      AND package_id IN (SELECT id FROM content_packages WHERE kind = \(bind: pk.rawValue) AND deployment_id = \(bind: deploymentID))
                    """).run()
            }
            try await ContentPriceModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$contentRef ~~ refs).delete()
            // Children first: the parent reference would otherwise refuse or cascade per database.
            for item in all.reversed() { try await item.delete(on: db) }
            if !media.isEmpty { try await MediaAssetModel.query(on: db).filter(\.$id ~~ media).delete() }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: m.kind, entityID: String(id),
                                          action: "delete", before: ["title": m.title, "children": String(children)])
        }
    }
}

/// CMS › Education › Levels.
public enum CourseLevelService {
    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [CourseLevelModel] {
        try actor.require(.cms, in: deploymentID)
        return try await CourseLevelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$position).all()
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, name: String) async throws -> CourseLevelModel {
        try actor.require(.cms, in: deploymentID)
        let n = name.trimmingCharacters(in: .whitespaces)
        if n.isEmpty { throw DomainError.validation(["name": "is required"]) }
        if try await CourseLevelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == n).first() != nil {
            throw DomainError.validation(["name": "\(n) already exists"])
        }
        let l = CourseLevelModel()
        l.deploymentID = deploymentID
        l.name = n
        l.position = (try await CourseLevelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).max(\.$position) ?? 0) + 1
        try await env.write { db in
            try await l.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "course_level", entityID: String(l.id!), action: "create", after: ["name": n])
        }
        return l
    }

    /// Deleting a level leaves its courses without one (they stay listed under "No level").
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        try actor.require(.cms, in: deploymentID)
        guard let l = try await CourseLevelModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else { throw DomainError.notFound("The level") }
        try await env.write { db in
            try await VoDItemModel.query(on: db).filter(\.$levelID == id).set(\.$levelID, to: nil).update()
            try await l.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "course_level", entityID: String(id), action: "delete", before: ["name": l.name])
        }
    }
}
