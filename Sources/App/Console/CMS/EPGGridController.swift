import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › EPG Overview's other tabs: the guide grid (channels × a six-hour window, drawn as
/// inline SVG on the server) and the XMLTV export of all channels or of one TV package.
enum EPGGridController {
    static func register(_ console: any RoutesBuilder) {
        let e = console.grouped("cms", "epg").grouped(RequirePermission(permission: .cms))
        e.get("overview", "grid", use: grid)
        e.get("export", use: exportPage)
        e.get("export.xml") { try await export($0, gzip: ["1", "true", "on"].contains($0.query[String.self, at: "gzip"] ?? "")) }
        e.get("export.xml.gz") { try await export($0, gzip: true) }
    }

    /// The tabs of EPG Overview.
    static func tabs(active: String) -> [Tab] {
        [Tab(label: "Coverage", href: "/cms/epg/overview", active: active == "coverage"),
         Tab(label: "Guide grid", href: "/cms/epg/overview/grid", active: active == "grid"),
         Tab(label: "XMLTV export", href: "/cms/epg/export", active: active == "export")]
    }

    static let overviewButtons = [Button(label: "EPG Urls", href: "/cms/epg", primary: false), Button(label: "EPG matching", href: "/cms/epg/matching", primary: false),
                                  Button(label: "EPG Builder", href: "/cms/epg/builder", primary: false)]

    // MARK: Guide grid

    static let windowHours = 6
    static let channelsPerPage = 25

    /// The shown window: a day (deployment time) and the hour it starts at. Today starts an hour
    /// before now (so "now" is in view); another day at 18:00.
    struct Window {
        var day: Date
        var hour: Int
        var start: Date
        var end: Date
    }

    static func window(_ req: Request, zone: TimeZone, now: Date) -> Window {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        let today = cal.startOfDay(for: now)
        var day = today
        if let raw = req.query[String.self, at: "date"] {
            let p = raw.split(separator: "-").compactMap { Int($0) }
            if p.count == 3, let d = cal.date(from: DateComponents(year: p[0], month: p[1], day: p[2])) { day = d }
        }
        let nowHour = cal.component(.hour, from: now)
        var hour = day == today ? min(max(nowHour - 1, 0), 24 - windowHours) : 18
        if let h = req.query[Int.self, at: "hour"], (0...23).contains(h) { hour = h }
        let start = cal.date(bySettingHour: hour, minute: 0, second: 0, of: day) ?? day
        return Window(day: day, hour: hour, start: start, end: start.addingTimeInterval(TimeInterval(windowHours * 3600)))
    }

    static func grid(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let zone = ctx.zone
        let w = window(req, zone: zone, now: ctx.env.now)
        let search = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let packageID = req.query[Int.self, at: "package"]
        let after = req.query[Int.self, at: "after"] ?? 0
        let packages = try await ContentPackageModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == ContentKind.channel.rawValue).sort(\.$name).all()

        // The channels shown: by number, filtered by name/number and package, a page at a time.
        let q = ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$number > after)
        let s = search.lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
        if let n = Int(s) { q.filter(\.$number == n) } else if !s.isEmpty { q.filter(\.$searchName, .custom("LIKE"), "%" + s + "%") }
        if let packageID, packages.contains(where: { $0.id == packageID }) {
            let items = try await PackageItemModel.query(on: req.db).filter(\.$packageID == packageID).all().map(\.itemID)
            q.filter(\.$id ~~ items)
        }
        let page = try await q.sort(\.$number).limit(channelsPerPage + 1).all()
        let channels = Array(page.prefix(channelsPerPage))
        let programmes = try await EPGOutput.window(ctx.env, channels: channels, from: w.start, to: w.end)
        let vm = GuideGridVM(channels: channels, programmes: programmes, from: w.start, to: w.end, now: ctx.env.now, zone: zone)

        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = zone
        func param(_ v: String) -> String { v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "" }
        func href(start: Date?, after: Int? = nil) -> String {
            var p: [String] = []
            if let start {
                let c = cal.dateComponents([.year, .month, .day, .hour], from: start)
                p += [String(format: "date=%04d-%02d-%02d", c.year!, c.month!, c.day!), "hour=\(c.hour!)"]
            }
            if !search.isEmpty { p.append("q=\(param(search))") }
            if let packageID { p.append("package=\(packageID)") }
            if let after { p.append("after=\(after)") }
            return "/cms/epg/overview/grid" + (p.isEmpty ? "" : "?" + p.joined(separator: "&"))
        }
        let step = TimeInterval(windowHours / 2 * 3600)
        var nav = [RowAction(label: "← Earlier", href: href(start: w.start - step, after: after > 0 ? after : nil), postTo: nil, danger: false),
                   RowAction(label: "Now", href: href(start: nil, after: after > 0 ? after : nil), postTo: nil, danger: false),
                   RowAction(label: "Later →", href: href(start: w.start + step, after: after > 0 ? after : nil), postTo: nil, danger: false),
                   RowAction(label: "Previous day", href: href(start: w.start - 86_400, after: after > 0 ? after : nil), postTo: nil, danger: false),
                   RowAction(label: "Next day", href: href(start: w.start + 86_400, after: after > 0 ? after : nil), postTo: nil, danger: false)]
        if after > 0 { nav.append(RowAction(label: "First channels", href: href(start: w.start), postTo: nil, danger: false)) }
        if page.count > channelsPerPage { nav.append(RowAction(label: "Next channels →", href: href(start: w.start, after: channels.last!.number), postTo: nil, danger: false)) }

        let dayFormat = DateFormatter()
        dayFormat.locale = Locale(identifier: "en_GB")
        dayFormat.timeZone = zone
        dayFormat.dateFormat = "EEE d MMM yyyy, HH:mm"
        let endFormat = DateFormatter()
        endFormat.locale = Locale(identifier: "en_GB")
        endFormat.timeZone = zone
        endFormat.dateFormat = "HH:mm zzz"
        let filters = TableVM(heading: "", intro: nil, buttons: [], filters: [
            Filter(name: "date", label: "Day", type: "date", value: ctx.dates.dateString(w.day), options: []),
            Filter(name: "hour", label: "From", type: "select", value: "",
                   options: (0...23).map { FilterOption(value: String($0), label: String(format: "%02d:00", $0), selected: $0 == w.hour) }),
            Filter(name: "q", label: "Channel (name or number)", type: "text", value: search, options: []),
            Filter(name: "package", label: "TV package", type: "select", value: "",
                   options: [FilterOption(value: "", label: "All channels", selected: packageID == nil)]
                       + packages.map { FilterOption(value: String($0.id!), label: $0.name, selected: $0.id == packageID) }),
        ], filterAction: "/cms/epg/overview/grid", columns: [], rows: [], emptyText: "", pager: Pager(summary: "", prevHref: nil, nextHref: nil))
        let shown = channels.isEmpty ? "no channel" : channels.count == 1 ? "channel \(channels[0].number)"
            : "channels \(channels.first!.number)–\(channels.last!.number)"
        let sections = [
            Section(title: nil, table: filters),
            Section(title: "\(dayFormat.string(from: w.start))–\(endFormat.string(from: w.end)) · \(shown)", actions: nav, grid: channels.isEmpty ? nil : vm),
        ]
        let out = SectionsVM(heading: "EPG Overview",
                             intro: "What each channel shows, \(windowHours) hours at a time in the deployment's time zone: every programme is a box as long as it lasts, the red line is now, and empty space is a gap in the guide. \(channelsPerPage) channels per page, by number.",
                             buttons: overviewButtons, tabs: tabs(active: "grid"), sections: channels.isEmpty
                                 ? sections + [Section(title: nil, intro: "No channel matches.")] : sections)
        return try await Layout.render(req, "sections", title: "EPG Overview — guide grid", out)
    }

    // MARK: XMLTV export

    static func exportPage(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let packages = try await ContentPackageModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == ContentKind.channel.rawValue).sort(\.$name).all()
        let counts = Dictionary(grouping: try await PackageItemModel.query(on: req.db).filter(\.$packageID ~~ packages.compactMap(\.id)).all(), by: \.packageID).mapValues(\.count)
        let all = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$enabled == true).count()
        func actions(_ query: String) -> [RowAction] {
            [RowAction(label: "Download .xml", href: "/cms/epg/export.xml" + query, postTo: nil, danger: false),
             RowAction(label: "Download .xml.gz", href: "/cms/epg/export.xml.gz" + query, postTo: nil, danger: false)]
        }
        let rows = [Row(cells: [Cell("All channels"), Cell("\(all)")], actions: actions(""))]
            + packages.map { p in Row(cells: [Cell(p.name), Cell("\(counts[p.id!] ?? 0)")], actions: actions("?package=\(p.id!)")) }
        let vm = SectionsVM(heading: "EPG Overview",
                            intro: "The guide as XMLTV, from a week back (catch-up) to two weeks ahead: every enabled channel of the deployment, or those of one TV package. Each channel's own link and time shift apply; channels without programmes in that time are left out. Channel ids are ch{number}.\(ctx.deployment.crmService).tvms, as in the products' public epg.xml.",
                            buttons: overviewButtons, tabs: tabs(active: "export"),
                            sections: [Section(title: nil, table: .simple(["Channels of", "Enabled channels"], rows, empty: "No channel yet."))])
        return try await Layout.render(req, "sections", title: "EPG Overview — XMLTV export", vm)
    }

    /// `/cms/epg/export.xml[.gz]?package=ID`: written to a temporary file a channel at a time
    /// (the same writer as the products' epg.xml) and streamed as a download.
    static func export(_ req: Request, gzip: Bool) async throws -> Response {
        let ctx = try await req.cms()
        let raw = req.query[String.self, at: "package"] ?? ""
        guard raw.isEmpty || Int(raw) != nil else { throw DomainError.validation(["package": "must be a TV package id"]) }
        let (channels, package) = try await EPGOutput.exportChannels(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, packageID: Int(raw))
        let env = ctx.env
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tvms-xmltv-\(UUID().uuidString).xml\(gzip ? ".gz" : "")")
        do {
            try await EPGOutput.writeXMLTV(env, channels: channels, service: ctx.deployment.crmService, baseURL: SettingsController.baseURL(req),
                                           from: env.now.addingTimeInterval(-7 * 86_400), to: env.now.addingTimeInterval(14 * 86_400), to: file, gzip: gzip)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let response = try await req.fileio.asyncStreamFile(at: file.path, mediaType: gzip ? HTTPMediaType(type: "application", subType: "gzip") : .xml) { _ in
            try? FileManager.default.removeItem(at: file)
        }
        let slug = package.map { "package-\($0.id!)" } ?? "all"
        response.headers.replaceOrAdd(name: .contentDisposition, value: "attachment; filename=\"epg-\(ctx.deployment.cmsService)-\(slug).xml\(gzip ? ".gz" : "")\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "private, no-store")
        return response
    }
}

/// The guide grid as one inline SVG (the console's CSP allows no inline styles, and SVG needs
/// none): a column of channel names, an hour axis, a box per programme whose x and width are
/// its start and length on the axis, and a line at "now". Coordinates are in a 1000-unit-wide
/// viewBox, about one unit per pixel in the console at 1280 px.
struct GuideGridVM: Encodable {
    struct Tick: Encodable { var x: String; var label: String; var major: Bool }
    struct Channel: Encodable { var y: Int; var height: Int; var textY: Int; var number: String; var name: String; var full: String; var href: String; var note: String?; var stripe: Bool }
    /// A programme: a nested `<svg>` at (x, y), which clips its text to the box.
    struct Box: Encodable {
        var x: String; var y: Int; var width: String; var height: Int
        var time: String; var title: String; var tooltip: String; var state: String
    }

    static let width = 1000.0, labelWidth = 190.0, rightPad = 10.0, headerHeight = 30, rowHeight = 46

    var width = Int(GuideGridVM.width)
    var height: Int
    var trackX: String
    var trackWidth: String
    var headerHeight = GuideGridVM.headerHeight
    var title: String
    var ticks: [Tick] = []
    var channels: [Channel] = []
    var boxes: [Box] = []
    var nowX: String?
    var nowLabel = ""

    static func fmt(_ v: Double) -> String { String(format: "%.1f", v) }

    /// Width of a character in units, on the generous side (13 px, semi-bold, a wide fallback
    /// font such as DejaVu Sans), so that what `fit` keeps fits; the box clips anyway.
    static func charWidth(_ c: Character) -> Double { c == " " ? 4 : c.isUppercase ? 9.5 : 8 }

    /// `s` cut (with "…") to what fits `width` units after 6 units of padding on each side.
    static func fit(_ s: String, width: Double) -> String {
        let room = width - 12
        if s.reduce(0, { $0 + charWidth($1) }) <= room { return s }
        var out = "", used = 8.0 // the ellipsis
        for c in s {
            used += charWidth(c)
            if used > room { break }
            out.append(c)
        }
        out = out.trimmingCharacters(in: .whitespaces)
        return out.isEmpty ? "" : out + "…"
    }

    init(channels list: [ChannelModel], programmes: [Int: [EPGOutput.Programme]], from: Date, to: Date, now: Date, zone: TimeZone) {
        let track = Self.width - Self.labelWidth - Self.rightPad
        let span = to.timeIntervalSince(from)
        func x(_ d: Date) -> Double { Self.labelWidth + max(0, min(span, d.timeIntervalSince(from))) / span * track }
        height = Self.headerHeight + list.count * Self.rowHeight + 1
        trackX = Self.fmt(Self.labelWidth)
        trackWidth = Self.fmt(track)
        let time = DateFormatter()
        time.locale = Locale(identifier: "en_GB")
        time.timeZone = zone
        time.dateFormat = "HH:mm"
        title = "Guide from \(time.string(from: from)) to \(time.string(from: to))"
        var t = from
        while t < to {
            ticks.append(Tick(x: Self.fmt(x(t)), label: time.string(from: t), major: true))
            let half = t.addingTimeInterval(1800)
            if half < to { ticks.append(Tick(x: Self.fmt(x(half)), label: "", major: false)) }
            t = t.addingTimeInterval(3600)
        }
        if now >= from && now < to {
            nowX = Self.fmt(x(now))
            nowLabel = "Now " + time.string(from: now)
        }
        for (i, c) in list.enumerated() {
            let y = Self.headerHeight + i * Self.rowHeight
            let linked = c.epgSourceID != nil
            let shows = programmes[c.id!] ?? []
            channels.append(Channel(y: y, height: Self.rowHeight, textY: y + Self.rowHeight / 2 + 5, number: String(c.number),
                                    name: Self.fit(c.name, width: Self.labelWidth - 38), full: "\(c.number) \(c.name)",
                                    href: "/cms/channels/\(c.id!)", note: !linked ? "No guide linked" : shows.isEmpty ? "No programmes in this window" : nil,
                                    stripe: i % 2 == 1))
            for p in shows {
                let x0 = x(p.start), x1 = x(p.stop)
                guard x1 - x0 > 0.05 else { continue }
                let w = x1 - x0
                let state = p.stop <= now ? "past" : p.start <= now ? "current" : "next"
                boxes.append(Box(x: Self.fmt(x0), y: y + 4, width: Self.fmt(w), height: Self.rowHeight - 8,
                                 time: w >= 40 ? time.string(from: p.start) : "", title: Self.fit(p.source.title, width: w),
                                 tooltip: "\(time.string(from: p.start))–\(time.string(from: p.stop)) \(p.source.title)", state: state))
            }
        }
    }
}
