import Domain
import FluentKit
import Foundation
import Storage

/// The guide as apps and other systems read it: per TVMS channel (its link and its own time
/// shift applied), as XMLTV for a product, as JSON for a channel set and a time window, and as
/// now/next for many channels at once.
public enum EPGOutput {
    /// At most this much guide per JSON request.
    public static let maxWindow: TimeInterval = 15 * 86_400
    public static let maxChannels = 500

    /// The product's channels (granted by its packages or sold by PPV, enabled), by number.
    public static func channels(_ env: ServiceEnvironment, product: ProductModel) async throws -> [ChannelModel] {
        let granted = try await PublishService.granted(env, product: product, kind: .channel)
        return try await ChannelModel.query(on: env.db).filter(\.$deploymentID == product.deploymentID).filter(\.$enabled == true).sort(\.$number).all()
            .filter { granted[$0.id!] != nil || $0.ppvRuleID != nil }
    }

    /// A programme on a TVMS channel: the guide's, shifted by the channel's link.
    public struct Programme: Sendable {
        public var start: Date
        public var stop: Date
        public var source: EPGProgrammeModel
    }

    /// The linked guide channel rows, once per request: (source, external id) → guide channel id
    /// and the source's active import.
    struct Links {
        var guide: [Int: (epgChannelID: Int, importID: Int)] = [:]

        static func load(_ env: ServiceEnvironment, channels: [ChannelModel]) async throws -> Links {
            var out = Links()
            let sourceIDs = Set(channels.compactMap(\.epgSourceID))
            guard !sourceIDs.isEmpty else { return out }
            let sources = Dictionary(uniqueKeysWithValues: try await EPGSourceModel.query(on: env.db).filter(\.$id ~~ Array(sourceIDs)).all().map { ($0.id!, $0) })
            let externals = Array(Set(channels.filter { $0.epgSourceID != nil }.map(\.epgChannelID)))
            let guides = externals.count <= 500
                ? try await EPGChannelModel.query(on: env.db).filter(\.$sourceID ~~ Array(sourceIDs)).filter(\.$externalID ~~ externals).all()
                : try await EPGChannelModel.query(on: env.db).filter(\.$sourceID ~~ Array(sourceIDs)).all()
            let byKey = Dictionary(guides.map { ("\($0.sourceID)|\($0.externalID)", $0.id!) }, uniquingKeysWith: { a, _ in a })
            for c in channels {
                guard let sid = c.epgSourceID, let active = sources[sid]?.activeImportID, let g = byKey["\(sid)|\(c.epgChannelID)"] else { continue }
                out.guide[c.id!] = (g, active)
            }
            return out
        }
    }

    static func programmes(_ env: ServiceEnvironment, channel c: ChannelModel, links: Links, from: Date, to: Date) async throws -> [Programme] {
        guard let link = links.guide[c.id!] else { return [] }
        let shift = TimeInterval(c.epgShiftMinutes * 60)
        // The channel's shift moves the window it reads, then the times it shows.
        let rows = try await EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID == link.epgChannelID).filter(\.$importID == link.importID)
            .filter(\.$stop > from - shift).filter(\.$start < to - shift).sort(\.$start).all()
        return rows.map { Programme(start: $0.start + shift, stop: $0.stop + shift, source: $0) }
    }

    /// The programmes of `channels` overlapping [from, to), each channel's link and shift
    /// applied, in one programme query (the guide grid of the console): channel id → programmes
    /// by start. Channels without a guide are absent.
    public static func window(_ env: ServiceEnvironment, channels: [ChannelModel], from: Date, to: Date) async throws -> [Int: [Programme]] {
        let links = try await Links.load(env, channels: channels)
        let linked = channels.filter { links.guide[$0.id!] != nil }
        guard !linked.isEmpty else { return [:] }
        let shifts = linked.map { TimeInterval($0.epgShiftMinutes * 60) }
        let (low, high) = (shifts.min()!, shifts.max()!)
        let rows = try await EPGProgrammeModel.query(on: env.db)
            .filter(\.$epgChannelID ~~ Array(Set(linked.map { links.guide[$0.id!]!.epgChannelID })))
            .filter(\.$importID ~~ Array(Set(linked.map { links.guide[$0.id!]!.importID })))
            .filter(\.$stop > from - high).filter(\.$start < to - low).sort(\.$start).all()
        let byGuide = Dictionary(grouping: rows) { "\($0.epgChannelID)|\($0.importID)" }
        var out: [Int: [Programme]] = [:]
        for c in linked {
            let link = links.guide[c.id!]!
            let shift = TimeInterval(c.epgShiftMinutes * 60)
            out[c.id!] = (byGuide["\(link.epgChannelID)|\(link.importID)"] ?? [])
                .map { Programme(start: $0.start + shift, stop: $0.stop + shift, source: $0) }
                .filter { $0.stop > from && $0.start < to }
        }
        return out
    }

    // MARK: JSON

    static func iso(_ d: Date) -> String { ISO8601DateFormatter().string(from: d) }

    public static func json(_ p: Programme, catchupDays: Int, now: Date) -> [String: Any] {
        var out: [String: Any] = ["start": iso(p.start), "stop": iso(p.stop), "title": p.source.title]
        for (k, v) in [("subTitle", p.source.subTitle), ("description", p.source.description), ("rating", p.source.rating), ("icon", p.source.icon),
                       ("episode", p.source.episodeOnscreen.isEmpty ? p.source.episodeNS : p.source.episodeOnscreen)] where !v.isEmpty { out[k] = v }
        if !p.source.categories.isEmpty { out["categories"] = p.source.categories.split(separator: ",").map(String.init) }
        if p.source.isNew { out["new"] = true }
        if p.source.premiere { out["premiere"] = true }
        // Catch-up: the programme has ended and is inside the channel's archive window.
        out["catchup"] = catchupDays > 0 && p.stop <= now && p.start >= now.addingTimeInterval(-Double(catchupDays) * 86_400)
        return out
    }

    /// Programmes of some of the product's channels (all when `ids` is empty) in [from, to).
    public static func window(_ env: ServiceEnvironment, product: ProductModel, ids: [Int], from: Date, to: Date) async throws -> [String: Any] {
        guard to > from, to.timeIntervalSince(from) <= maxWindow else { throw DomainError.validation(["to": "the window must be positive and at most 15 days"]) }
        var channels = try await channels(env, product: product)
        if !ids.isEmpty { channels = channels.filter { ids.contains($0.id!) } }
        guard channels.count <= maxChannels else { throw DomainError.validation(["channels": "at most \(maxChannels) channels per request"]) }
        let links = try await Links.load(env, channels: channels)
        var out: [[String: Any]] = []
        for c in channels {
            let list = try await programmes(env, channel: c, links: links, from: from, to: to)
            out.append(["id": c.id!, "number": c.number, "name": c.name, "programmes": list.map { json($0, catchupDays: c.catchupDays, now: env.now) }])
        }
        return ["from": iso(from), "to": iso(to), "channels": out]
    }

    /// What is on now and next on each channel (all of the product's when `ids` is empty).
    public static func nowNext(_ env: ServiceEnvironment, product: ProductModel, ids: [Int]) async throws -> [String: Any] {
        var channels = try await channels(env, product: product)
        if !ids.isEmpty { channels = channels.filter { ids.contains($0.id!) } }
        let links = try await Links.load(env, channels: channels)
        let now = env.now
        var out: [[String: Any]] = []
        for c in channels {
            let list = try await programmes(env, channel: c, links: links, from: now, to: now.addingTimeInterval(12 * 3600)).prefix(2)
            let current = list.first { $0.start <= now && $0.stop > now }
            let next = list.first { $0.start > now }
            out.append(["id": c.id!, "number": c.number, "now": current.map { json($0, catchupDays: 0, now: now) } ?? NSNull(),
                        "next": next.map { json($0, catchupDays: 0, now: now) } ?? NSNull()])
        }
        return ["at": iso(now), "channels": out]
    }

    // MARK: XMLTV

    /// "ch12.democrm.tvms": the form XMLTV validators expect for channel ids.
    public static func xmltvID(_ c: ChannelModel, service: String) -> String { xmltvID(number: c.number, service: service) }

    public static func xmltvID(number: Int, service: String) -> String {
        let clean = service.lowercased().filter { $0.isLetter || $0.isNumber || $0 == "-" }
        return "ch\(number).\(clean.isEmpty ? "tvms" : clean).tvms"
    }

    static func escape(_ s: String) -> String { XMLText.escape(s) }

    /// The channels of an operator's XMLTV export: every enabled channel of the deployment, or
    /// those of one TV package (of this deployment), by number.
    public static func exportChannels(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, packageID: Int?) async throws -> (channels: [ChannelModel], package: ContentPackageModel?) {
        try actor.require(.cms, in: deploymentID)
        let q = ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$enabled == true).sort(\.$number)
        guard let packageID else { return (try await q.all(), nil) }
        guard let package = try await ContentPackageModel.query(on: env.db).filter(\.$id == packageID).filter(\.$deploymentID == deploymentID)
            .filter(\.$kind == ContentKind.channel.rawValue).first() else { throw DomainError.notFound("The TV package") }
        let items = Set(try await PackageItemModel.query(on: env.db).filter(\.$packageID == packageID).all().map(\.itemID))
        return (try await q.all().filter { items.contains($0.id!) }, package)
    }

    /// Writes the guide of `all` (a product's channels, a package's, a deployment's) as XMLTV
    /// into `file`, a channel at a time (memory stays flat), elements in the DTD's order so
    /// `tv_validate_file` accepts it; gzip-compressed when `gzip`.
    public static func writeXMLTV(_ env: ServiceEnvironment, channels all: [ChannelModel], service: String, baseURL: String, from: Date, to: Date, to file: URL, gzip: Bool) async throws {
        let links = try await Links.load(env, channels: all)
        // Only channels with programmes in the window: a channel without any is an error to
        // XMLTV validators ("noprogrammes"), and apps gain nothing from it.
        var channels: [ChannelModel] = []
        for c in all {
            guard let link = links.guide[c.id!] else { continue }
            let shift = TimeInterval(c.epgShiftMinutes * 60)
            let n = try await EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID == link.epgChannelID).filter(\.$importID == link.importID)
                .filter(\.$stop > from - shift).filter(\.$start < to - shift).count()
            if n > 0 { channels.append(c) }
        }
        let plain = gzip ? file.appendingPathExtension("plain") : file
        FileManager.default.createFile(atPath: plain.path, contents: nil)
        let out = try FileHandle(forWritingTo: plain)
        var buffer = ""
        func put(_ s: String) throws {
            buffer += s
            if buffer.utf8.count > 1 << 16 { try out.write(contentsOf: Data(buffer.utf8)); buffer = "" }
        }
        try put("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE tv SYSTEM \"xmltv.dtd\">\n<tv generator-info-name=\"TVMS\">\n")
        for c in channels {
            try put("  <channel id=\"\(xmltvID(c, service: service))\">\n    <display-name>\(escape(c.name))</display-name>\n    <display-name>\(c.number)</display-name>\n")
            if let logo = c.logoID { try put("    <icon src=\"\(escape(baseURL))/media/\(logo.uuidString.lowercased())\"/>\n") }
            try put("  </channel>\n")
        }
        for c in channels {
            let id = xmltvID(c, service: service)
            for p in try await programmes(env, channel: c, links: links, from: from, to: to) {
                let s = p.source
                try put("  <programme start=\"\(XMLTVTime.format(p.start))\" stop=\"\(XMLTVTime.format(p.stop))\" channel=\"\(id)\">\n")
                try put("    <title\(s.titleLang.isEmpty ? "" : " lang=\"\(escape(s.titleLang))\"")>\(escape(s.title))</title>\n")
                if !s.subTitle.isEmpty { try put("    <sub-title>\(escape(s.subTitle))</sub-title>\n") }
                if !s.description.isEmpty { try put("    <desc>\(escape(s.description))</desc>\n") }
                for cat in s.categories.split(separator: ",") where !cat.isEmpty { try put("    <category>\(escape(String(cat)))</category>\n") }
                if !s.icon.isEmpty { try put("    <icon src=\"\(escape(s.icon))\"/>\n") }
                if !s.episodeNS.isEmpty { try put("    <episode-num system=\"xmltv_ns\">\(escape(s.episodeNS))</episode-num>\n") }
                if !s.episodeOnscreen.isEmpty { try put("    <episode-num system=\"onscreen\">\(escape(s.episodeOnscreen))</episode-num>\n") }
                if s.previouslyShown { try put("    <previously-shown/>\n") }
                if s.premiere { try put("    <premiere/>\n") }
                if s.isNew { try put("    <new/>\n") }
                if !s.rating.isEmpty { try put("    <rating>\n      <value>\(escape(s.rating))</value>\n    </rating>\n") }
                try put("  </programme>\n")
            }
        }
        try put("</tv>\n")
        try out.write(contentsOf: Data(buffer.utf8))
        try out.close()
        guard gzip else { return }
        defer { try? FileManager.default.removeItem(at: plain) }
        try Gzip.deflate(plain, to: file)
    }
}

/// Coverage of channels' guides for the EPG Overview.
public enum EPGOverview {
    public struct Summary: Sendable {
        /// Programmes starting on each of the next seven days (deployment time), today first.
        public var perDay: [Int]
        /// Holes of more than five minutes between programmes in those seven days.
        public var gaps: Int
        public var until: Date?
    }

    public static func summarise(_ env: ServiceEnvironment, channels: [ChannelModel], zone: TimeZone) async throws -> [Int: Summary] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let today = cal.startOfDay(for: env.now)
        let end = cal.date(byAdding: .day, value: 7, to: today) ?? today
        let links = try await EPGOutput.Links.load(env, channels: channels)
        var out: [Int: Summary] = [:]
        for c in channels where links.guide[c.id!] != nil {
            let list = try await EPGOutput.programmes(env, channel: c, links: links, from: today, to: end)
            var perDay = Array(repeating: 0, count: 7)
            for p in list {
                let day = cal.dateComponents([.day], from: today, to: cal.startOfDay(for: p.start)).day ?? -1
                if (0..<7).contains(day) { perDay[day] += 1 }
            }
            var gaps = 0
            var cursor = max(today, env.now)
            for p in list where p.stop > cursor {
                if p.start.timeIntervalSince(cursor) > 300 { gaps += 1 }
                cursor = max(cursor, p.stop)
            }
            if end.timeIntervalSince(cursor) > 300 && !list.isEmpty { gaps += 1 }
            let link = links.guide[c.id!]!
            let last = try await EPGProgrammeModel.query(on: env.db).filter(\.$epgChannelID == link.epgChannelID).filter(\.$importID == link.importID).max(\.$stop)
            out[c.id!] = Summary(perDay: perDay, gaps: list.isEmpty ? 0 : gaps, until: last.map { $0 + TimeInterval(c.epgShiftMinutes * 60) })
        }
        return out
    }
}
