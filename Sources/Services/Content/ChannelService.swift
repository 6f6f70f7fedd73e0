import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// CMS › Channels: live channels with their streams, protection, parental and monetising settings.
public enum ChannelService {
    public struct Input: Sendable {
        public var number: Int
        public var name: String
        public var notes = "", provider = ""
        public var hlsURL = "", dashURL = "", fallbackURL = ""
        public var tokenType = "none", drm = "none"
        public var ageRating = 0
        public var parental = false
        public var tags = "", genres = ""
        public var catchupDays = 0
        public var recordingAllowed = false
        public var vastURL = ""
        public var preroll = false, overlay = false, ticker = false, pinned = false
        public var enabled = true
        /// Pay-per-view: the rule (CMS › Channels › PPV Rules) and the price per currency.
        public var ppvRuleID: Int? = nil
        public var prices: [String: Int64] = [:]
        /// A new logo (PNG/JPEG/WebP, square); nil keeps the current one.
        public var logo: [UInt8]? = nil
        public var removeLogo = false
        public init(number: Int, name: String) {
            self.number = number
            self.name = name
        }
    }

    public static let logoLimits = MediaService.Limits(maxBytes: 512 * 1024, maxSide: 1024)

    static func validate(_ env: ServiceEnvironment, deploymentID: UUID, id: Int?, _ i: Input) async throws -> (FieldErrors, MediaAssetModel?) {
        var errors = FieldErrors()
        if !ChannelRules.numberRange.contains(i.number) { errors.add("number", "must be between 1 and 99999") }
        else {
            let q = ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$number == i.number)
            if let id { q.filter(\.$id != id) }
            if let other = try await q.first() { errors.add("number", "\(i.number) is already \(other.name)") }
        }
        if i.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        for (field, url) in [("hlsURL", i.hlsURL), ("dashURL", i.dashURL), ("fallbackURL", i.fallbackURL), ("vastURL", i.vastURL)] where !ChannelRules.isStreamURL(url) || (field == "vastURL" && url.hasPrefix("/")) {
            errors.add(field, field == "vastURL" ? "must be an http(s) URL" : "must be an http(s) URL or a path such as /live/news/index.m3u8 (served from the CDN hostnames)")
        }
        if !ChannelRules.looksLikeHLS(i.hlsURL) { errors.add("hlsURL", "must be an HLS playlist (.m3u8): Apple and KaiOS devices play only HLS") }
        if !ChannelRules.looksLikeDASH(i.dashURL) { errors.add("dashURL", "must be a DASH manifest (.mpd)") }
        if i.hlsURL.isEmpty && i.dashURL.isEmpty && i.fallbackURL.isEmpty { errors.add("hlsURL", "give at least one stream URL") }
        if !ChannelRules.tokenTypes.contains(i.tokenType) { errors.add("tokenType", "is not a known token type") }
        if !ChannelRules.drms.contains(i.drm) { errors.add("drm", "must be none, BuyDRM or Irdeto") }
        if !ChannelRules.ageRatings.contains(i.ageRating) { errors.add("ageRating", "must be one of \(ChannelRules.ageRatings.map(String.init).joined(separator: ", "))") }
        if !(0...365).contains(i.catchupDays) { errors.add("catchupDays", "must be between 0 and 365") }
        try await PPVService.validate(env, deploymentID: deploymentID, kind: nil, itemID: id, ruleID: i.ppvRuleID, prices: i.prices, errors: &errors)
        var logo: MediaAssetModel? = nil
        if let bytes = i.logo, !bytes.isEmpty {
            do {
                let m = try MediaService.image(bytes, deploymentID: deploymentID, limits: logoLimits, field: "logo")
                if m.width != m.height { errors.add("logo", "must be square (1:1); this one is \(m.width)×\(m.height)") } else { logo = m }
            } catch let e as DomainError { errors.merge(e) }
        }
        return (errors, logo)
    }

    static func apply(_ i: Input, to c: ChannelModel) {
        c.number = i.number
        c.name = i.name.trimmingCharacters(in: .whitespaces)
        c.searchName = c.name.lowercased()
        c.notes = i.notes
        c.provider = i.provider.trimmingCharacters(in: .whitespaces)
        c.hlsURL = i.hlsURL.trimmingCharacters(in: .whitespaces)
        c.dashURL = i.dashURL.trimmingCharacters(in: .whitespaces)
        c.fallbackURL = i.fallbackURL.trimmingCharacters(in: .whitespaces)
        c.tokenType = i.tokenType
        c.drm = i.drm
        c.ageRating = i.ageRating
        c.parental = i.parental || i.ageRating >= 16
        c.tags = ChannelRules.normaliseList(i.tags)
        c.genres = ChannelRules.normaliseList(i.genres)
        c.catchupDays = i.catchupDays
        c.recordingAllowed = i.recordingAllowed
        c.vastURL = i.vastURL.trimmingCharacters(in: .whitespaces)
        c.preroll = i.preroll
        c.overlay = i.overlay
        c.ticker = i.ticker
        c.pinned = i.pinned
        c.enabled = i.enabled
        c.ppvRuleID = i.ppvRuleID
    }

    static func snapshot(_ c: ChannelModel) -> [String: String?] {
        ["number": String(c.number), "name": c.name, "hlsURL": c.hlsURL, "dashURL": c.dashURL, "fallbackURL": c.fallbackURL, "tokenType": c.tokenType,
         "drm": c.drm, "ageRating": String(c.ageRating), "catchupDays": String(c.catchupDays), "enabled": String(c.enabled), "logo": c.logoID?.uuidString, "ppvRule": c.ppvRuleID.map(String.init)]
    }

    /// Creates (`id` nil) or updates a channel; a refused logo or field changes nothing.
    public static func save(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int?, input: Input) async throws -> ChannelModel {
        try actor.require(.cms, in: deploymentID)
        let existing = id == nil ? nil : try await find(env, actor: actor, deploymentID: deploymentID, id: id!)
        let (errors, logo) = try await validate(env, deploymentID: deploymentID, id: id, input)
        try errors.throwIfAny()
        let c = existing ?? ChannelModel()
        let before = existing.map(snapshot)
        c.deploymentID = deploymentID
        if existing == nil { c.epgChannelID = ""; c.epgShiftMinutes = 0 }
        apply(input, to: c)
        let oldLogo = (logo != nil || input.removeLogo) ? c.logoID : nil
        if input.removeLogo { c.logoID = nil }
        if let logo { c.logoID = logo.id }
        try await env.write { db in
            if let logo { try await logo.create(on: db) }
            try await c.save(on: db)
            if let oldLogo { try await MediaAssetModel.query(on: db).filter(\.$id == oldLogo).delete() }
            try await PPVService.storePrices(on: db, deploymentID: deploymentID, ref: .channel(c.id!), prices: c.ppvRuleID == nil ? [:] : input.prices)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(c.id!),
                                          action: existing == nil ? "create" : "update", before: before, after: snapshot(c))
        }
        return c
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> ChannelModel {
        try actor.require(.cms, in: deploymentID)
        guard let c = try await ChannelModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The channel")
        }
        return c
    }

    public struct Query: Sendable {
        public var search = ""
        public var afterNumber: Int? = nil
        /// The page before a page starting at this number.
        public var beforeNumber: Int? = nil
        public var limit = 50
        public init() {}
    }

    /// Channels by number, keyset-paged (`afterNumber`), searched by name prefix, number or tag.
    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, query: Query) async throws -> (channels: [ChannelModel], hasMore: Bool) {
        try actor.require(.cms, in: deploymentID)
        let q = ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
        let s = query.search.trimmingCharacters(in: .whitespaces).lowercased()
        if let n = Int(s) { q.filter(\.$number == n) }
        else if !s.isEmpty {
            let escaped = s.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
            q.group(.or) { $0.filter(\.$searchName, .custom("LIKE"), escaped + "%").filter(\.$tags, .custom("LIKE"), "%" + escaped + "%") }
        }
        if let before = query.beforeNumber {
            let rows = try await q.filter(\.$number < before).sort(\.$number, .descending).limit(query.limit).all()
            return (rows.reversed(), true)
        }
        if let after = query.afterNumber { q.filter(\.$number > after) }
        let rows = try await q.sort(\.$number).limit(query.limit + 1).all()
        return (Array(rows.prefix(query.limit)), rows.count > query.limit)
    }

    /// Deletes a channel; it leaves its packages and groups with it.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        try await env.write { db in
            try await db.sql.raw("""
                DELETE FROM package_items WHERE item_id = \(bind: id)
                  AND package_id IN (SELECT id FROM content_packages WHERE kind = 'channel' AND deployment_id = \(bind: deploymentID))
                """).run()
            try await ContentPriceModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$contentRef == ContentRef.channel(id).description).delete()
            try await c.delete(on: db)
            if let logo = c.logoID { try await MediaAssetModel.query(on: db).filter(\.$id == logo).delete() }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "channel", entityID: String(id),
                                          action: "delete", before: ["number": String(c.number), "name": c.name])
        }
    }
}
