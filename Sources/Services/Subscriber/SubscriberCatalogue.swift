import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// The catalogue as one signed-in customer sees it: what the product and the customer's live
/// extra packages grant, plus pay-per-view items (offered) and purchases (open). The published
/// product documents (`/catalogue/…`) stay the CDN-friendly copy; this view adds what differs per
/// customer and is answered as JSON values (`[String: Any]`, written canonically).
public enum SubscriberCatalogue {
    public static let pageSize = 60
    public static let maxPageSize = 200

    /// Who is watching: a profile's age limit (kids profiles never see items marked parental).
    /// `.everyone` for requests without a profile.
    public struct Viewer: Sendable {
        public var kids: Bool
        public var maxRating: Int?
        public static let everyone = Viewer(kids: false, maxRating: nil)
        public init(kids: Bool, maxRating: Int?) { self.kids = kids; self.maxRating = maxRating }
        func allows(ageRating: Int, parental: Bool) -> Bool { ProfileRules.allows(kids: kids, maxRating: maxRating, ageRating: ageRating, parental: parental) }
        var limit: Int? { ProfileRules.ratingLimit(kids: kids, maxRating: maxRating) }
    }

    /// The viewer of a profile of the signed-in customer (404 for anyone else's).
    public static func viewer(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, profileID: Int?) async throws -> Viewer {
        guard let profileID else { return .everyone }
        let p = try await ProfileService.find(env, context: ctx, id: profileID)
        return Viewer(kids: p.kids, maxRating: p.maxRating)
    }

    static func customer(_ env: ServiceEnvironment, _ ctx: DeviceSessionService.Context) async throws -> CustomerModel {
        guard let c = try await CustomerModel.find(ctx.customerID, on: env.db), c.deletedAt == nil else { throw DomainError.notFound("The account") }
        return c
    }

    static func media(_ id: UUID?) -> Any { PublishService.media(id) }
    static func list(_ s: String) -> [String] { PublishService.list(s) }

    /// Open pay-per-view purchases of the customer (content refs as text).
    static func purchases(_ env: ServiceEnvironment, customerID: Int) async throws -> Set<String> {
        Set(try await PPVPurchaseModel.query(on: env.db).filter(\.$customerID == customerID).filter(\.$accessUntil > env.now).all().map(\.contentRef))
    }

    // MARK: Channels

    public struct ChannelView: Sendable {
        public var channels: [ChannelModel]
        /// channel id → "subscription", "purchased" or "ppv" (offered, not bought).
        public var access: [Int: String]
    }

    /// The customer's channels by number: granted ones, and those sold by pay-per-view.
    public static func channels(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, viewer: Viewer = .everyone) async throws -> ChannelView {
        let c = try await customer(env, ctx)
        let granted = Set(try await Entitlements.grantedIDs(env, customer: c, kind: .channel))
        let bought = try await purchases(env, customerID: c.id!)
        let all = try await ChannelModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$enabled == true).sort(\.$number).all()
        var access: [Int: String] = [:]
        var out: [ChannelModel] = []
        for ch in all where viewer.allows(ageRating: ch.ageRating, parental: ch.parental) {
            let id = ch.id!
            if granted.contains(id) { access[id] = "subscription" }
            else if bought.contains(ContentRef.channel(id).description) { access[id] = "purchased" }
            else if ch.ppvRuleID != nil { access[id] = "ppv" }
            else { continue }
            out.append(ch)
        }
        return ChannelView(channels: out, access: access)
    }

    static func channelJSON(_ ch: ChannelModel, access: String, status: String?) -> [String: Any] {
        var out: [String: Any] = ["id": ch.id!, "number": ch.number, "name": ch.name, "logo": media(ch.logoID), "ageRating": ch.ageRating,
                                  "parental": ch.parental || ch.ageRating >= 18, "catchupDays": ch.catchupDays, "recording": ch.recordingAllowed,
                                  "pinned": ch.pinned, "access": access, "genres": list(ch.genres), "tags": list(ch.tags),
                                  "ads": ["preroll": ch.preroll, "overlay": ch.overlay, "ticker": ch.ticker]]
        // A channel whose stream is down is flagged, never silently served (FLS Health).
        if let status { out["status"] = status }
        return out
    }

    public static func channelsJSON(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, viewer: Viewer = .everyone) async throws -> [String: Any] {
        let view = try await channels(env, context: ctx, viewer: viewer)
        let ids = Set(view.channels.compactMap(\.id))
        let mappings = try await StreamMappingModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID).all()
        let status = Dictionary(mappings.map { ($0.channelID, $0.status) }, uniquingKeysWith: { a, _ in a })
        let groups = try await UIGroupModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$visible == true).sort(\.$position).all()
        let members = try await UIGroupChannelModel.query(on: env.db).filter(\.$groupID ~~ groups.compactMap(\.id)).sort(\.$position).all()
        return [
            "channels": view.channels.map { channelJSON($0, access: view.access[$0.id!]!, status: status[$0.id!]) },
            "groups": groups.map { g -> [String: Any] in
                ["id": g.id!, "name": g.name, "channels": members.filter { $0.groupID == g.id && ids.contains($0.channelID) }.map(\.channelID)]
            },
        ]
    }

    // MARK: Guide

    static func selected(_ view: ChannelView, ids: [Int]) throws -> [ChannelModel] {
        let chosen = ids.isEmpty ? view.channels : view.channels.filter { ids.contains($0.id!) }
        guard chosen.count <= EPGOutput.maxChannels else { throw DomainError.validation(["channels": "at most \(EPGOutput.maxChannels) channels per request"]) }
        return chosen
    }

    /// The guide of the customer's channels (or some of them) in [from, to), with catch-up flags.
    public static func guide(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, ids: [Int], from: Date, to: Date,
                             viewer: Viewer = .everyone) async throws -> [String: Any] {
        guard to > from, to.timeIntervalSince(from) <= EPGOutput.maxWindow else { throw DomainError.validation(["to": "the window must be positive and at most 15 days"]) }
        let channels = try selected(try await channels(env, context: ctx, viewer: viewer), ids: ids)
        let window = try await EPGOutput.window(env, channels: channels, from: from, to: to)
        let now = env.now
        return ["from": from, "to": to, "channels": channels.map { c -> [String: Any] in
            ["id": c.id!, "number": c.number, "programmes": (window[c.id!] ?? []).map { EPGOutput.json($0, catchupDays: c.catchupDays, now: now) }]
        }]
    }

    public static func nowNext(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, ids: [Int], viewer: Viewer = .everyone) async throws -> [String: Any] {
        let channels = try selected(try await channels(env, context: ctx, viewer: viewer), ids: ids)
        let now = env.now
        let window = try await EPGOutput.window(env, channels: channels, from: now, to: now.addingTimeInterval(12 * 3600))
        return ["at": now, "channels": channels.map { c -> [String: Any] in
            let list = window[c.id!] ?? []
            return ["id": c.id!, "number": c.number,
                    "now": list.first { $0.start <= now && $0.stop > now }.map { EPGOutput.json($0, catchupDays: 0, now: now) } ?? NSNull(),
                    "next": list.first { $0.start > now }.map { EPGOutput.json($0, catchupDays: 0, now: now) } ?? NSNull()]
        }]
    }

    // MARK: On demand

    /// The top-level kinds the apps list, by the path name they use.
    public static let sections: [String: VoDKind] = ["movies": .movie, "series": .series, "music": .album, "courses": .course, "apps": .app]

    static func itemJSON(_ m: VoDItemModel, access: String?) -> [String: Any] {
        var out: [String: Any] = ["id": m.id!, "kind": m.kind, "title": m.title, "ageRating": m.ageRating, "parental": m.parental || m.ageRating >= 18]
        if let access { out["access"] = access }
        if !m.description.isEmpty { out["description"] = m.description }
        if m.number != 0 { out["number"] = m.number }
        if m.year != 0 { out["year"] = m.year }
        if m.durationSeconds != 0 { out["durationSeconds"] = m.durationSeconds }
        if m.coverID != nil { out["cover"] = media(m.coverID) }
        if m.wideID != nil { out["image"] = media(m.wideID) }
        for (key, value) in [("genres", m.genres), ("tags", m.tags)] where !value.isEmpty { out[key] = list(value) }
        for (key, value) in [("actors", m.actors), ("director", m.director), ("language", m.language), ("rating", m.rating), ("imdbId", m.imdbID)]
        where !value.isEmpty { out[key] = value }
        if let kind = VoDKind(rawValue: m.kind), kind.playable { out["playable"] = !m.streamURL.isEmpty }
        if !m.trailerURL.isEmpty { out["trailer"] = m.trailerURL }
        if m.kind == VoDKind.app.rawValue {
            out["launch"] = ["android": m.launchAndroid, "apple": m.launchApple, "smarttv": m.launchSmartTV, "web": m.launchWeb]
        }
        return out
    }

    /// Access to top-level items of one kind: granted ids, open purchases, PPV offers.
    static func access(_ env: ServiceEnvironment, customer c: CustomerModel, kind: VoDKind) async throws -> (granted: Set<Int>, bought: Set<String>) {
        guard let packageKind = kind.packageKind else { return ([], []) }
        return (Set(try await Entitlements.grantedIDs(env, customer: c, kind: packageKind)), try await purchases(env, customerID: c.id!))
    }

    static func accessOf(_ m: VoDItemModel, granted: Set<Int>, bought: Set<String>) -> String? {
        if granted.contains(m.id!) { return "subscription" }
        if bought.contains(ContentRef(kind: m.kind, id: m.id!).description) { return "purchased" }
        return m.ppvRuleID != nil ? "ppv" : nil
    }

    /// One page of a section (movies, series, music, courses, apps) by title, optionally one
    /// genre; `after` is the last id of the previous page (keyset paging, stable under inserts).
    public static func section(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, name: String, genre: String?, after: Int?,
                               limit: Int, viewer: Viewer = .everyone) async throws -> [String: Any] {
        guard let kind = sections[name] else { throw DomainError.notFound("The section \(name)") }
        let c = try await customer(env, ctx)
        let (granted, bought) = try await access(env, customer: c, kind: kind)
        let boughtIDs = bought.compactMap { ContentRef($0) }.filter { $0.kind == kind.rawValue }.map(\.id)
        let size = min(max(limit, 1), maxPageSize)
        // Candidates are the granted, bought and PPV-sold items of the kind, newest id last.
        var q = VoDItemModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == kind.rawValue).filter(\.$enabled == true)
            .group(.or) { g in
                if !granted.isEmpty { g.filter(\.$id ~~ Array(granted)) }
                if !boughtIDs.isEmpty { g.filter(\.$id ~~ boughtIDs) }
                g.filter(\.$ppvRuleID != nil)
            }
        if let after { q = q.filter(\.$id > after) }
        if let cap = viewer.limit { q = q.filter(\.$ageRating <= cap) }
        if viewer.kids { q = q.filter(\.$parental == false) }
        if let genre, !genre.isEmpty { q = q.filter(\.$genres, .custom("LIKE"), "%\(genre.replacingOccurrences(of: "%", with: ""))%") }
        let rows = try await q.sort(\.$id).limit(size + 1).all()
        let page = rows.prefix(size)
        return ["section": name, "items": page.map { itemJSON($0, access: accessOf($0, granted: granted, bought: bought)) },
                "next": rows.count > size ? page.last!.id! as Any : NSNull()]
    }

    /// One item with its children (a series' seasons and their episodes, an album's songs, a
    /// course's lessons) and, when it is not open to the customer, its pay-per-view offer.
    /// With a profile's viewer, an item the profile may not see (the strictest rating along its
    /// chain, as playback applies it) is refused as `profile_restricted` rather than described:
    /// a deep link must not open it in a kids profile.
    public static func item(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, id: Int, viewer: Viewer = .everyone) async throws -> [String: Any] {
        guard let m = try await VoDItemModel.find(id, on: env.db), m.deploymentID == ctx.deploymentID, m.enabled else { throw DomainError.notFound("The item") }
        let c = try await customer(env, ctx)
        let decision = try await Entitlements.decide(env, customer: c, ref: ContentRef(kind: m.kind, id: id))
        let chain = try await VoDService.chain(env, item: m)
        let age = chain.map(\.ageRating).max() ?? m.ageRating
        if !viewer.allows(ageRating: age, parental: chain.contains { $0.parental || $0.ageRating >= 18 }) {
            throw DomainError.refused("profile_restricted", "This item is rated \(age)+ and this profile may not open it.")
        }
        var out = itemJSON(m, access: decision == .allowed ? "open" : (chain.contains { $0.ppvRuleID != nil } ? "ppv" : "locked"))
        if m.parentID != nil { out["parents"] = chain.dropFirst().map { ["id": $0.id!, "kind": $0.kind, "title": $0.title] } }
        let children = try await VoDService.children(env, parentID: id).filter(\.enabled)
        if !children.isEmpty {
            var list: [[String: Any]] = []
            for child in children {
                var j = itemJSON(child, access: nil)
                if child.kind == VoDKind.season.rawValue {
                    j["episodes"] = try await VoDService.children(env, parentID: child.id!).filter(\.enabled).map { itemJSON($0, access: nil) }
                }
                list.append(j)
            }
            out["children"] = list
        }
        if decision != .allowed, let offer = try? await PPVService.offer(env, customer: c, ref: ContentRef(kind: m.kind, id: id)) {
            let price = CurrencyCode(offer.currency).map { Money(minorUnits: offer.amount, currency: $0).amountString } ?? String(offer.amount)
            out["ppv"] = ["item": offer.ref.description, "price": price, "currency": offer.currency, "rule": offer.rule.name,
                          "window": PPVService.describe(offer.rule)]
        }
        return out
    }

    // MARK: Search and home

    /// Channels by name and on-demand items by title, actor or director, among what the customer
    /// may see (open, bought or offered), at most `limit` of each.
    public static func search(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, query raw: String, limit: Int = 30,
                              viewer: Viewer = .everyone) async throws -> [String: Any] {
        let q = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard q.count >= 2, q.count <= 100 else { throw DomainError.validation(["q": "search for 2 to 100 characters"]) }
        let needle = q.lowercased()
        let view = try await channels(env, context: ctx, viewer: viewer)
        let channels = view.channels.filter { $0.name.lowercased().contains(needle) }.prefix(limit)
        let c = try await customer(env, ctx)
        var items: [[String: Any]] = []
        for (_, kind) in sections.sorted(by: { $0.key < $1.key }) {
            let (granted, bought) = try await access(env, customer: c, kind: kind)
            let pattern = "%\(needle.replacingOccurrences(of: "%", with: ""))%"
            let rows = try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == kind.rawValue).filter(\.$enabled == true)
                .group(.or) { g in
                    g.filter(\.$searchTitle, .custom("LIKE"), pattern)
                    g.filter(\.$actors, .custom("LIKE"), "%\(q.replacingOccurrences(of: "%", with: ""))%")
                    g.filter(\.$director, .custom("LIKE"), "%\(q.replacingOccurrences(of: "%", with: ""))%")
                }
                .sort(\.$title).limit(limit * 4).all()
            for m in rows {
                guard viewer.allows(ageRating: m.ageRating, parental: m.parental), let a = accessOf(m, granted: granted, bought: bought) else { continue }
                items.append(itemJSON(m, access: a))
                if items.count >= limit * sections.count { break }
            }
        }
        return ["query": q, "channels": channels.map { channelJSON($0, access: view.access[$0.id!]!, status: nil) }, "items": items]
    }

    /// The home screen's rails: pinned channels, what is on now, the newest movies and series.
    public static func home(_ env: ServiceEnvironment, context ctx: DeviceSessionService.Context, viewer: Viewer = .everyone) async throws -> [String: Any] {
        let view = try await channels(env, context: ctx, viewer: viewer)
        let pinned = view.channels.filter(\.pinned)
        let live = try await nowNext(env, context: ctx, ids: Array((pinned.isEmpty ? view.channels : pinned).prefix(12).compactMap(\.id)), viewer: viewer)
        var rails: [[String: Any]] = [["id": "live", "title": "On now", "kind": "channels", "items": live["channels"] ?? []]]
        let c = try await customer(env, ctx)
        for (id, title, kind) in [("new-movies", "New movies", VoDKind.movie), ("new-series", "New series", VoDKind.series)] {
            let (granted, bought) = try await access(env, customer: c, kind: kind)
            guard !granted.isEmpty else { continue }
            var q = VoDItemModel.query(on: env.db).filter(\.$id ~~ Array(granted)).filter(\.$enabled == true)
            if let cap = viewer.limit { q = q.filter(\.$ageRating <= cap) }
            if viewer.kids { q = q.filter(\.$parental == false) }
            let rows = try await q.sort(\.$createdAt, .descending).sort(\.$id, .descending).limit(20).all()
            if !rows.isEmpty { rails.append(["id": id, "title": title, "kind": kind.rawValue, "items": rows.map { itemJSON($0, access: accessOf($0, granted: granted, bought: bought)) }]) }
        }
        return ["rails": rails]
    }
}
