import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Movies, Series (seasons and episodes), Music (albums and songs), Education (courses,
/// lessons and levels) and Apps: one set of pages, worded per kind.
enum VoDController {
    static func register(_ console: any RoutesBuilder) {
        for s in CMSSection.vod {
            PackagePages.register(console, s)
            PPVRulePages.register(console, s)
            let root = rootKind(s)
            let c = console.grouped(s.base.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }).grouped(RequirePermission(permission: .cms))
            c.get { try await list($0, s, root) }
            c.get("new") { try await newForm($0, s) }
            c.on(.POST, body: .collect(maxSize: "6mb")) { try await create($0, s) }
            c.get(":id") { try await edit($0, s) }
            c.on(.POST, ":id", body: .collect(maxSize: "6mb")) { try await update($0, s) }
            c.get(":id", "delete") { try await confirmDelete($0, s) }
            c.post(":id", "delete") { try await delete($0, s) }
        }
        let levels = console.grouped("cms", "education", "levels").grouped(RequirePermission(permission: .cms))
        levels.get(use: levelsPage)
        levels.post(use: createLevel)
        levels.post(":id", "delete", use: deleteLevel)
    }

    static func rootKind(_ s: CMSSection) -> VoDKind { VoDKind.allCases.first { $0.isRoot && $0.packageKind == s.kind }! }

    // MARK: List

    static func list(_ req: Request, _ s: CMSSection, _ root: VoDKind) async throws -> Response {
        let ctx = try await req.cms()
        var q = VoDService.Query(kind: root)
        q.search = req.query[String.self, at: "q"] ?? ""
        q.genre = req.query[String.self, at: "genre"] ?? ""
        q.ppv = ["ppv": true, "subscription": false][req.query[String.self, at: "sold"] ?? ""]
        q.levelID = req.query[Int.self, at: "level"]
        if let t = req.query[String.self, at: "afterTitle"], let id = req.query[Int.self, at: "afterID"] { q.after = (t, id) }
        let (items, more) = try await VoDService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, query: q)
        let ids = items.compactMap(\.id)
        var childCounts: [Int: Int] = [:]
        if !ids.isEmpty {
            for r in try await req.db.sql.raw("SELECT parent_id, COUNT(*) AS n FROM vod_items WHERE parent_id IN (\(unsafeRaw: ids.map(String.init).joined(separator: ","))) GROUP BY parent_id").all() {
                childCounts[try r.decode(column: "parent_id", as: Int.self)] = try r.decode(column: "n", as: Int.self)
            }
        }
        let rules = Dictionary(uniqueKeysWithValues: try await PPVService.rules(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, section: s.kind).map { ($0.id!, $0.name) })
        let levels = root == .course ? try await CourseLevelService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID) : []
        let levelNames = Dictionary(uniqueKeysWithValues: levels.map { ($0.id!, $0.name) })
        let tq = TableQuery(req, path: s.base, filterNames: ["q", "genre", "sold", "level"])
        let childWord = root.child.map { $0 == .series ? "series" : $0.label.lowercased() + "s" }
        let rows = items.map { m in
            Row(cells: [Cell(m.title, href: "\(s.base)/\(m.id!)"), Cell(m.year == 0 ? "—" : String(m.year), mono: true),
                        Cell(childWord.map { "\(childCounts[m.id!] ?? 0) \($0)" } ?? (m.durationSeconds > 0 ? VoDRules.formatDuration(m.durationSeconds) : "—")),
                        Cell(root == .course ? (m.levelID.flatMap { levelNames[$0] } ?? "No level") : m.genres.replacingOccurrences(of: ",", with: ", ")),
                        Cell(m.ppvRuleID.map { "PPV: \(rules[$0] ?? "?")" } ?? "Subscription"),
                        Cell(m.enabled ? "Enabled" : "Disabled", badge: m.enabled ? "ok" : "muted")],
                actions: [RowAction(label: "Edit", href: "\(s.base)/\(m.id!)", postTo: nil, danger: false)])
        }
        var filters = [Filter(name: "q", label: "Title starts with, or IMDb id", type: "text", value: q.search, options: []),
                       Filter(name: "genre", label: "Genre", type: "text", value: q.genre, options: []),
                       Filter(name: "sold", label: "Sold by", type: "select", value: "", options: [
                           FilterOption(value: "", label: "Any", selected: q.ppv == nil), FilterOption(value: "subscription", label: "Subscription", selected: q.ppv == false),
                           FilterOption(value: "ppv", label: "Pay-per-view", selected: q.ppv == true)])]
        if root == .course {
            filters.append(Filter(name: "level", label: "Level", type: "select", value: "", options: [FilterOption(value: "", label: "Any", selected: q.levelID == nil)]
                                  + levels.map { FilterOption(value: String($0.id!), label: $0.name, selected: $0.id == q.levelID) }))
        }
        var buttons = [Button(label: "Add \(root.label)", href: "\(s.base)/new", primary: true)]
        if root == .movie || root == .series { buttons.append(Button(label: "Add from the database", href: "\(s.base)/lookup", primary: false)) }
        if root == .movie || root == .series {
            buttons += [Button(label: "Import", href: "\(s.base)/import", primary: false), Button(label: "Export (CSV)", href: "\(s.base)/export.csv", primary: false),
                        Button(label: "Export (Excel)", href: "\(s.base)/export.xlsx", primary: false)]
        }
        if root == .course { buttons.append(Button(label: "Levels", href: "/cms/education/levels", primary: false)) }
        buttons += [Button(label: "Packages", href: s.packagesPath, primary: false), Button(label: "PPV Rules", href: "\(s.base)/ppv-rules", primary: false)]
        let table = TableVM(heading: s.label, intro: "Who sees an item follows from packages (and the products that hold them), or from a pay-per-view purchase.",
                            buttons: buttons, filters: filters, filterAction: s.base,
                            columns: ["Title", "Year", childWord == nil ? "Duration" : "Contents", root == .course ? "Level" : "Genres", "Sold by", "Status"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: q.search.isEmpty && q.genre.isEmpty ? "No \(s.itemNoun) yet." : "No \(s.itemNoun) matches.",
                            pager: Pager(summary: "\(rows.count) shown, by title",
                                         prevHref: q.after == nil ? nil : tq.href(["afterTitle": nil, "afterID": nil]),
                                         nextHref: more ? tq.href(["afterTitle": items.last?.searchTitle, "afterID": items.last.map { String($0.id!) }]) : nil))
        return try await Layout.render(req, "table", title: s.label, table)
    }

    // MARK: Forms

    struct VoDForm: Content {
        var kind: String?; var parentID: String?; var number: String?; var title: String?; var description: String?; var genres: String?; var tags: String?
        var actors: String?; var director: String?; var producer: String?; var credits: String?; var guestCast: String?; var year: String?; var duration: String?
        var language: String?; var rating: String?; var ageRating: String?; var parental: String?; var imdbID: String?; var tmdbID: String?; var externalID: String?
        var provider: String?; var streamURL: String?; var trailerURL: String?; var subtitlesURL: String?; var tokenType: String?; var drm: String?
        var offlineViewing: String?; var offlineDays: String?; var vastURL: String?; var preroll: String?; var overlay: String?; var ticker: String?; var pinned: String?
        var levelID: String?; var launchAndroid: String?; var launchApple: String?; var launchSmartTV: String?; var launchWeb: String?; var enabled: String?
        var cover: File?; var wide: File?; var removeCover: String?; var removeWide: String?; var addToTop: String?
        /// Artwork found by the metadata lookup, fetched when the form is saved.
        var coverURL: String?; var wideURL: String?
        /// Series from the lookup: also add its seasons and episodes.
        var importSeasons: String?
        var ppvRuleID: String?
    }

    /// Minutes for feature-length kinds (as the manual's movie and season pages), seconds for
    /// episodes, songs and lessons (as its episode pop-up).
    static func durationUnit(_ k: VoDKind) -> Int { [.episode, .song, .lesson].contains(k) ? 1 : 60 }

    static func durationText(_ seconds: Int, _ k: VoDKind) -> String {
        guard seconds > 0 else { return "" }
        let unit = durationUnit(k)
        return seconds % unit == 0 ? String(seconds / unit) : VoDRules.formatDuration(seconds)
    }

    /// Which fields a kind shows (the rest stay empty).
    static func shows(_ field: String, _ k: VoDKind) -> Bool {
        switch field {
        case "year": return [.movie, .series, .season, .album, .course, .app].contains(k)
        case "duration": return [.movie, .season, .episode, .song, .lesson, .course].contains(k)
        case "genres", "tags", "provider", "externalID", "pinned": return k.isRoot || k == .season
        case "actors", "director", "producer", "language", "rating": return [.movie, .series, .season].contains(k)
        case "credits": return [.episode, .song, .course, .album, .lesson].contains(k)
        case "guestCast": return k == .episode
        case "imdbID": return [.movie, .series, .season, .episode].contains(k)
        case "trailerURL": return [.movie, .series, .season, .course].contains(k)
        case "subtitlesURL": return [.movie, .episode, .lesson].contains(k)
        case "protection": return k != .app
        case "offline": return [.movie, .season, .episode].contains(k)
        case "ads": return [.movie, .series, .season, .course, .album].contains(k)
        case "ageRating": return k != .song
        default: return true
        }
    }

    static func creditsLabel(_ k: VoDKind) -> String {
        switch k {
        case .episode: "Episode crew"
        case .song: "Writer"
        case .album: "Band / artist"
        case .course, .lesson: "Teachers"
        default: "Credits"
        }
    }

    struct FormContext {
        var kind: VoDKind
        var ppv: PPVFields?
        var ppvValues: [String: String] = [:]
        var levels: [CourseLevelModel] = []
        /// Series a season can be attached to ("Serie Package").
        var seriesChoices: [VoDItemModel] = []
        var hasCover = false, hasWide = false
        var isNew = true
    }

    static func form(_ f: VoDForm, _ fc: FormContext, action: String, submit: String, cancel: String, s: CMSSection) -> FormVM {
        let k = fc.kind
        func opts(_ values: [String], _ selected: String?, _ label: (String) -> String = { $0 }) -> [FieldOption] {
            values.map { FieldOption(value: $0, label: label($0), selected: $0 == selected) }
        }
        var fields: [Field] = [Field("kind", "", type: "hidden", value: k.rawValue)]
        if k == .season {
            fields.append(Field("parentID", "Serie Package", type: "select", options: [FieldOption(value: "", label: "Choose the series", selected: (f.parentID ?? "").isEmpty)]
                                + fc.seriesChoices.map { FieldOption(value: String($0.id!), label: $0.title, selected: String($0.id!) == f.parentID) },
                                help: "The series this season belongs to.", required: true))
        } else if k.parent != nil {
            fields.append(Field("parentID", "", type: "hidden", value: f.parentID ?? ""))
        }
        if k.parent != nil {
            fields.append(Field("number", k.numberLabel, type: "number", value: f.number ?? "", required: true))
            if fc.isNew && k == .episode { fields.append(Field("addToTop", "Add to Top (show this episode first)", type: "checkbox", value: f.addToTop ?? "")) }
        }
        fields.append(Field("title", k == .episode ? "Episode Name" : k == .app || k == .song || k == .lesson ? "Name" : "Title", value: f.title ?? "", required: true))
        if let ratio = k.coverRatio {
            fields.append(Field("cover", k == .album ? "Album image" : "Cover picture", type: "file", help: "\(ratio.w):\(ratio.h) PNG, JPEG or WebP, at most 2 MiB and 4096 px."))
            if fc.hasCover { fields.append(Field("removeCover", "Remove the cover picture", type: "checkbox", value: f.removeCover ?? "")) }
            if let u = f.coverURL, !u.isEmpty { fields.append(Field("coverURL", "", type: "hidden", value: u)) }
        }
        if k.hasWideImage {
            let label = [.episode: "Episode image", .lesson: "Lesson image", .app: "App image"][k] ?? "Background picture"
            fields.append(Field("wide", label, type: "file", help: "16:9 PNG, JPEG or WebP, at most 2 MiB and 4096 px."))
            if fc.hasWide { fields.append(Field("removeWide", "Remove the 16:9 picture", type: "checkbox", value: f.removeWide ?? "")) }
            if let u = f.wideURL, !u.isEmpty { fields.append(Field("wideURL", "", type: "hidden", value: u)) }
        }
        if k.playable { fields.append(Field("streamURL", k == .episode ? "Episode URL" : k == .lesson ? "Lesson URL" : "Stream URL", value: f.streamURL ?? "", help: "MP4, HLS (.m3u8) or DASH (.mpd).", required: true)) }
        if shows("trailerURL", k) { fields.append(Field("trailerURL", "Trailer URL", value: f.trailerURL ?? "")) }
        if shows("subtitlesURL", k) { fields.append(Field("subtitlesURL", "Subtitles URL (WebVTT)", value: f.subtitlesURL ?? "")) }
        fields.append(Field("description", k == .episode ? "Episode Description" : "Description", type: "textarea", value: f.description ?? ""))
        if shows("year", k) { fields.append(Field("year", k == .movie ? "Released (year)" : "Year", type: "number", value: f.year ?? "")) }
        if shows("duration", k) {
            fields.append(Field("duration", durationUnit(k) == 1 ? "Duration (seconds)" : "Duration (minutes)", value: f.duration ?? "", help: "A number, or h:mm:ss."))
        }
        if shows("genres", k) { fields.append(Field("genres", k == .season ? "Serietags" : "Genres", value: f.genres ?? "", help: "Comma-separated.")) }
        if shows("tags", k) { fields.append(Field("tags", "Tags", value: f.tags ?? "")) }
        if shows("actors", k) { fields.append(Field("actors", "Actors", value: f.actors ?? "")) }
        if shows("director", k) { fields.append(Field("director", k == .series ? "Created by" : "Director", value: f.director ?? "")) }
        if shows("producer", k) { fields.append(Field("producer", "Producer", value: f.producer ?? "")) }
        if shows("credits", k) { fields.append(Field("credits", creditsLabel(k), value: f.credits ?? "")) }
        if shows("guestCast", k) { fields.append(Field("guestCast", "Episode Guest Cast", value: f.guestCast ?? "")) }
        if shows("language", k) { fields.append(Field("language", "Language", value: f.language ?? "")) }
        if shows("rating", k) { fields.append(Field("rating", "Rating", value: f.rating ?? "", help: "e.g. 7.8")) }
        if shows("imdbID", k) { fields.append(Field("imdbID", k == .episode ? "Episode IMDB ID" : "IMDB ID", value: f.imdbID ?? "")) }
        if shows("ageRating", k) {
            fields.append(Field("ageRating", "Age rating", type: "select", options: opts(ChannelRules.ageRatings.map(String.init), f.ageRating ?? "0") { $0 == "0" ? "For everyone" : "\($0)+" }))
            fields.append(Field("parental", "Parental control (behind the PIN)", type: "checkbox", value: f.parental ?? "", help: "Always on from 16+."))
        }
        if k == .course {
            fields.append(Field("levelID", "Level", type: "select", options: [FieldOption(value: "", label: "No level", selected: (f.levelID ?? "").isEmpty)]
                                + fc.levels.map { FieldOption(value: String($0.id!), label: $0.name, selected: String($0.id!) == f.levelID) }))
        }
        if k == .app {
            fields += [
                Field("launchAndroid", "Android / Android TV: package id or URL", value: f.launchAndroid ?? "", help: "e.g. com.example.player"),
                Field("launchApple", "iOS / tvOS: App Store URL or app scheme", value: f.launchApple ?? ""),
                Field("launchSmartTV", "Smart TV (Tizen, webOS): app URL", value: f.launchSmartTV ?? ""),
                Field("launchWeb", "Web: URL", value: f.launchWeb ?? ""),
            ]
        }
        if shows("protection", k) {
            fields.append(Field("tokenType", "Token", type: "select", options: opts(ChannelRules.tokenTypes, f.tokenType ?? "none") { ChannelsController.tokenLabels[$0] ?? $0 }))
            fields.append(Field("drm", "DRM", type: "select", options: opts(ChannelRules.drms, f.drm ?? "none") { ["none": "None", "buydrm": "BuyDRM", "irdeto": "Irdeto"][$0] ?? $0 }))
        }
        if shows("offline", k) {
            fields.append(Field("offlineViewing", "Offline Viewing (allow download)", type: "checkbox", value: f.offlineViewing ?? ""))
            fields.append(Field("offlineDays", "Downloads expire after (days)", type: "number", value: f.offlineDays ?? "0"))
        }
        if k.sellsPPV, let ppv = fc.ppv { fields += ppv.fields(ruleID: f.ppvRuleID, values: fc.ppvValues, rulesHref: "\(s.base)/ppv-rules") }
        if shows("ads", k) {
            fields += [Field("vastURL", "VAST URL", value: f.vastURL ?? ""), Field("preroll", "Enable Preroll Ads", type: "checkbox", value: f.preroll ?? ""),
                       Field("ticker", "Enable Ticker Ads", type: "checkbox", value: f.ticker ?? ""), Field("overlay", "Enable Overlay Ads", type: "checkbox", value: f.overlay ?? "")]
        }
        if shows("pinned", k) { fields.append(Field("pinned", "Pin to UI home screen", type: "checkbox", value: f.pinned ?? "")) }
        if shows("provider", k) { fields.append(Field("provider", "Provider", value: f.provider ?? "")) }
        if shows("externalID", k) { fields.append(Field("externalID", "Your id (for imports)", value: f.externalID ?? "")) }
        if let t = f.tmdbID, !t.isEmpty { fields.append(Field("tmdbID", "", type: "hidden", value: t)) }
        if k == .series && fc.isNew && f.tmdbID?.isEmpty == false {
            fields.append(Field("importSeasons", "Also add its seasons and episodes from the database", type: "checkbox", value: f.importSeasons ?? "on"))
        }
        fields.append(Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""))
        let intro: String? = (f.coverURL ?? f.wideURL).map { _ in "The artwork found in the database is fetched and checked when you save; a picture you choose here replaces it." }
        return FormVM(heading: "", intro: intro, action: action, fields: fields, submitLabel: submit, cancelHref: cancel, formError: nil, multipart: true)
    }

    static func input(_ f: VoDForm, kind: VoDKind, ppv: (ruleID: Int?, prices: [String: Int64])) throws -> VoDService.Input {
        var errors = FieldErrors()
        func int(_ text: String?, _ field: String) -> Int {
            let t = (text ?? "").trimmingCharacters(in: .whitespaces)
            if t.isEmpty { return 0 }
            guard let n = Int(t) else { errors.add(field, "must be a whole number"); return 0 }
            return n
        }
        var i = VoDService.Input(kind: kind, title: f.title ?? "")
        i.parentID = Int(f.parentID ?? "")
        i.number = int(f.number, "number")
        i.year = int(f.year, "year")
        if let d = VoDRules.parseDuration(f.duration ?? "", defaultUnitSeconds: durationUnit(kind)) { i.durationSeconds = d } else { errors.add("duration", "must be a number or h:mm:ss") }
        i.description = f.description ?? ""; i.genres = f.genres ?? ""; i.tags = f.tags ?? ""; i.actors = f.actors ?? ""; i.director = f.director ?? ""
        i.producer = f.producer ?? ""; i.credits = f.credits ?? ""; i.guestCast = f.guestCast ?? ""; i.language = f.language ?? ""; i.rating = f.rating ?? ""
        i.ageRating = Int(f.ageRating ?? "0") ?? -1; i.parental = Bool(checkbox: f.parental)
        i.imdbID = f.imdbID ?? ""; i.tmdbID = Int(f.tmdbID ?? ""); i.externalID = f.externalID ?? ""; i.provider = f.provider ?? ""
        i.streamURL = f.streamURL ?? ""; i.trailerURL = f.trailerURL ?? ""; i.subtitlesURL = f.subtitlesURL ?? ""
        i.tokenType = f.tokenType ?? "none"; i.drm = f.drm ?? "none"
        i.offlineViewing = Bool(checkbox: f.offlineViewing); i.offlineDays = int(f.offlineDays, "offlineDays")
        i.ppvRuleID = ppv.ruleID; i.prices = ppv.prices
        i.vastURL = f.vastURL ?? ""; i.preroll = Bool(checkbox: f.preroll); i.overlay = Bool(checkbox: f.overlay); i.ticker = Bool(checkbox: f.ticker); i.pinned = Bool(checkbox: f.pinned)
        i.levelID = Int(f.levelID ?? "")
        i.launchAndroid = f.launchAndroid ?? ""; i.launchApple = f.launchApple ?? ""; i.launchSmartTV = f.launchSmartTV ?? ""; i.launchWeb = f.launchWeb ?? ""
        i.enabled = Bool(checkbox: f.enabled)
        i.cover = f.cover.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        i.wide = f.wide.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        i.removeCover = Bool(checkbox: f.removeCover); i.removeWide = Bool(checkbox: f.removeWide)
        i.addToTop = Bool(checkbox: f.addToTop)
        try errors.throwIfAny()
        return i
    }

    /// The form showing an item's values (stored, or pre-filled by the metadata lookup).
    static func formOf(_ i: VoDService.Input) -> VoDForm {
        func on(_ b: Bool) -> String? { b ? "on" : nil }
        func n(_ v: Int) -> String { v == 0 ? "" : String(v) }
        return VoDForm(kind: i.kind.rawValue, parentID: i.parentID.map(String.init), number: n(i.number), title: i.title, description: i.description, genres: i.genres,
                       tags: i.tags, actors: i.actors, director: i.director, producer: i.producer, credits: i.credits, guestCast: i.guestCast, year: n(i.year),
                       duration: durationText(i.durationSeconds, i.kind), language: i.language, rating: i.rating, ageRating: String(i.ageRating), parental: on(i.parental),
                       imdbID: i.imdbID, tmdbID: i.tmdbID.map(String.init), externalID: i.externalID, provider: i.provider, streamURL: i.streamURL, trailerURL: i.trailerURL,
                       subtitlesURL: i.subtitlesURL, tokenType: i.tokenType, drm: i.drm, offlineViewing: on(i.offlineViewing), offlineDays: String(i.offlineDays),
                       vastURL: i.vastURL, preroll: on(i.preroll), overlay: on(i.overlay), ticker: on(i.ticker), pinned: on(i.pinned), levelID: i.levelID.map(String.init),
                       launchAndroid: i.launchAndroid, launchApple: i.launchApple, launchSmartTV: i.launchSmartTV, launchWeb: i.launchWeb, enabled: on(i.enabled),
                       ppvRuleID: i.ppvRuleID.map(String.init))
    }

    static func formContext(_ req: Request, _ ctx: CRMContext, kind: VoDKind, s: CMSSection, isNew: Bool) async throws -> FormContext {
        var fc = FormContext(kind: kind, isNew: isNew)
        if kind.sellsPPV, let section = kind.ppvSection { fc.ppv = try await PPVFields.load(req, ctx, section: section) }
        if kind == .course { fc.levels = try await CourseLevelService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID) }
        if kind == .season {
            fc.seriesChoices = try await VoDItemModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == VoDKind.series.rawValue).sort(\.$searchTitle).limit(2000).all()
        }
        return fc
    }

    /// The kind a "new" form makes: the section's root, or the child kind of `parent`.
    static func kindFor(_ req: Request, _ ctx: CRMContext, _ s: CMSSection, parentID: Int?) async throws -> (VoDKind, VoDItemModel?) {
        guard let parentID else { return (rootKind(s), nil) }
        let parent = try await VoDService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: parentID)
        guard let pk = VoDKind(rawValue: parent.kind), let child = pk.child, CMSSection.of(pk).base == s.base else { throw DomainError.notFound("The item") }
        return (child, parent)
    }

    static func heading(_ kind: VoDKind, parent: VoDItemModel?) -> String {
        "Add \(kind == .episode ? "Episodes" : kind.label)" + (parent.map { " — \($0.title)" } ?? "")
    }

    static func newForm(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let (kind, parent) = try await kindFor(req, ctx, s, parentID: req.query[Int.self, at: "parent"])
        var f = VoDForm(kind: kind.rawValue, parentID: parent?.id.map(String.init), enabled: "on")
        if let parent {
            let siblings = try await VoDService.children(ctx.env, parentID: parent.id!)
            f.number = String((siblings.map(\.number).max() ?? 0) + 1)
        }
        let fc = try await formContext(req, ctx, kind: kind, s: s, isNew: true)
        let vm = form(f, fc, action: s.base, submit: "Add \(kind.label)", cancel: parent.map { "\(s.base)/\($0.id!)" } ?? s.base, s: s)
        return try await renderNew(req, title: heading(kind, parent: parent), vm)
    }

    static func renderNew(_ req: Request, title: String, _ vm: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        var vm = vm
        vm.heading = title
        return try await Layout.render(req, "form", title: title, vm, status: status)
    }

    static func create(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(VoDForm.self)
        let (kind, parent) = try await kindFor(req, ctx, s, parentID: VoDKind(rawValue: f.kind ?? "")?.parent == nil ? nil : Int(f.parentID ?? ""))
        var fc = try await formContext(req, ctx, kind: kind, s: s, isNew: true)
        do {
            let ppv = try fc.ppv.map { try $0.read(req) }
            fc.ppvValues = ppv?.texts ?? [:]
            var i = try input(f, kind: kind, ppv: (ppv?.ruleID, ppv?.prices ?? [:]))
            try await MetadataPages.fetchArtwork(req, ctx, form: f, into: &i)
            let m = try await VoDService.save(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: i)
            var note = ""
            if kind == .series, Bool(checkbox: f.importSeasons), let tmdb = m.tmdbID {
                note = try await MetadataPages.importSeasons(req, ctx, series: m, tmdbID: tmdb)
            }
            req.flash(.success, "\(kind.label) \(m.title) added.\(note)" + (kind.isRoot && m.ppvRuleID == nil ? " Put it in a package so customers can watch it." : ""))
            return req.redirect(to: "\(s.base)/\(kind.playable && parent != nil ? parent!.id! : m.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = form(f, fc, action: s.base, submit: "Add \(kind.label)", cancel: parent.map { "\(s.base)/\($0.id!)" } ?? s.base, s: s)
            vm.apply(e)
            return try await renderNew(req, title: heading(kind, parent: parent), vm, status: .unprocessableEntity)
        }
    }

    // MARK: Edit

    static func editPage(_ req: Request, _ ctx: CRMContext, _ s: CMSSection, _ m: VoDItemModel, _ vm: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        let kind = VoDKind(rawValue: m.kind) ?? .movie
        var images: [ImagePreview] = []
        for (label, id) in [(kind == .album ? "Album image" : "Cover", m.coverID), (kind == .episode || kind == .lesson ? "Image" : kind == .app ? "App image" : "Background", m.wideID)] {
            if let id, let a = try await MediaAssetModel.find(id, on: req.db) {
                images.append(ImagePreview(label: label, src: "/media/\(id.uuidString.lowercased())", caption: "\(a.width)×\(a.height)"))
            }
        }
        let chain = try await VoDService.chain(ctx.env, item: m)
        let root = chain.last!
        var intro: String
        if let rule = m.ppvRuleID, let r = try await PPVRuleModel.find(rule, on: req.db) {
            intro = "Sold by pay-per-view: \(r.name) (\(PPVService.describe(r)))."
        } else if let sold = chain.dropFirst().first(where: { $0.ppvRuleID != nil }) {
            intro = "Sold by pay-per-view with \(sold.title)."
        } else {
            let packages = try await req.db.sql.raw("""
                SELECT p.name AS name FROM package_items i JOIN content_packages p ON p.id = i.package_id
                WHERE i.item_id = \(bind: root.id!) AND p.kind = \(bind: s.kind.rawValue) AND p.deployment_id = \(bind: ctx.deploymentID) ORDER BY p.name
                """).all().map { try $0.decode(column: "name", as: String.self) }
            intro = packages.isEmpty ? "Not in any package\(root.id == m.id ? "" : " (through \(root.title))") yet: nobody can watch it." : "In packages\(root.id == m.id ? "" : " (through \(root.title))"): " + packages.joined(separator: ", ")
        }
        var sections = [Section(title: nil, images: images), Section(title: nil, form: vm)]
        if let child = kind.child {
            let kids = try await VoDService.children(ctx.env, parentID: m.id!)
            let plural = child == .series ? "Series" : child.label + "s"
            let rows = kids.map { c in
                Row(cells: [Cell(c.number == 0 ? "—" : String(c.number), mono: true), Cell(c.title, href: "\(s.base)/\(c.id!)"),
                            Cell(c.durationSeconds > 0 ? VoDRules.formatDuration(c.durationSeconds) : "—"), Cell(c.enabled ? "Enabled" : "Disabled", badge: c.enabled ? "ok" : "muted")],
                    actions: [RowAction(label: "Edit", href: "\(s.base)/\(c.id!)", postTo: nil, danger: false)])
            }
            var t = TableVM.simple(["No.", child.label, "Duration", "Status"], rows, empty: "No \(child.label.lowercased()) yet.")
            t.buttons = [Button(label: child == .episode ? "Add Episodes" : "Add \(child.label)", href: "\(s.base)/new?parent=\(m.id!)", primary: true)]
            sections.append(Section(title: plural, table: t))
        }
        sections.append(Section(title: "Delete", actions: [RowAction(label: "Delete \(kind.label.lowercased())…", href: "\(s.base)/\(m.id!)/delete", postTo: nil, danger: true)]))
        var buttons = [Button(label: s.label, href: s.base, primary: false)]
        for ancestor in chain.dropFirst().reversed() { buttons.append(Button(label: ancestor.title, href: "\(s.base)/\(ancestor.id!)", primary: false)) }
        // "Season 2 — The Dam", but not "Season 1 — Season 1".
        let numbered = "\(kind.label) \(m.number)"
        let title = kind.parent == nil || m.number == 0 || m.title == numbered ? m.title : "\(numbered) — \(m.title)"
        let page = SectionsVM(heading: title, intro: intro, buttons: buttons, tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: m.title, page, status: status)
    }

    static func edit(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let m = try await find(req, ctx, s)
        let kind = VoDKind(rawValue: m.kind)!
        var fc = try await formContext(req, ctx, kind: kind, s: s, isNew: false)
        fc.hasCover = m.coverID != nil
        fc.hasWide = m.wideID != nil
        if let ppv = fc.ppv { fc.ppvValues = ppv.values(try await PPVService.prices(ctx.env, deploymentID: ctx.deploymentID, ref: .vod(kind, m.id!))) }
        let vm = form(formOf(VoDService.input(of: m, prices: [:])), fc, action: "\(s.base)/\(m.id!)", submit: "Save \(kind.label.lowercased())", cancel: s.base, s: s)
        return try await editPage(req, ctx, s, m, vm)
    }

    /// An item of this section (any depth), or 404.
    static func find(_ req: Request, _ ctx: CRMContext, _ s: CMSSection) async throws -> VoDItemModel {
        let m = try await VoDService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        guard let k = VoDKind(rawValue: m.kind), CMSSection.of(k).base == s.base else { throw DomainError.notFound("The item") }
        return m
    }

    static func update(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let m = try await find(req, ctx, s)
        let kind = VoDKind(rawValue: m.kind)!
        let f = try req.content.decode(VoDForm.self)
        var fc = try await formContext(req, ctx, kind: kind, s: s, isNew: false)
        fc.hasCover = m.coverID != nil
        fc.hasWide = m.wideID != nil
        do {
            let ppv = try fc.ppv.map { try $0.read(req) }
            fc.ppvValues = ppv?.texts ?? [:]
            var i = try input(f, kind: kind, ppv: (ppv?.ruleID, ppv?.prices ?? [:]))
            if kind.parent != nil && kind != .season { i.parentID = m.parentID }
            _ = try await VoDService.save(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: m.id!, input: i)
            req.flash(.success, "\(kind.label) saved.")
            return req.redirect(to: "\(s.base)/\(m.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = form(f, fc, action: "\(s.base)/\(m.id!)", submit: "Save \(kind.label.lowercased())", cancel: s.base, s: s)
            vm.apply(e)
            return try await editPage(req, ctx, s, m, vm, status: .unprocessableEntity)
        }
    }

    static func confirmDelete(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let m = try await find(req, ctx, s)
        let kind = VoDKind(rawValue: m.kind)!
        let children = try await VoDService.children(ctx.env, parentID: m.id!).count
        let what = kind.child.map { children > 0 ? " with its \(children) \($0.label.lowercased())(s)" + ($0.child.map { " and their \($0.label.lowercased())s" } ?? "") : "" } ?? ""
        return try await Layout.render(req, "confirm", title: "Delete \(kind.label.lowercased())", ConfirmVM(
            heading: "Delete \(kind.label.lowercased()) \(m.title)\(what)?",
            message: "It leaves every package, customers stop seeing it at the next publish, and its prices go. Past pay-per-view purchases stay in the customers' history.",
            action: "\(s.base)/\(m.id!)/delete", buttonLabel: "Delete \(kind.label.lowercased())", cancelHref: "\(s.base)/\(m.id!)"))
    }

    static func delete(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let m = try await find(req, ctx, s)
        try await VoDService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: m.id!)
        req.flash(.success, "\(VoDKind(rawValue: m.kind)!.label) \(m.title) deleted.")
        return req.redirect(to: m.parentID.map { "\(s.base)/\($0)" } ?? s.base, redirectType: .normal)
    }

    // MARK: Levels

    struct NameForm: Content { var name: String? }

    static func levelsPage(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let levels = try await CourseLevelService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var rows: [Row] = []
        for l in levels {
            let n = try await VoDItemModel.query(on: req.db).filter(\.$levelID == l.id!).count()
            rows.append(Row(cells: [Cell(String(l.position), mono: true), Cell(l.name, href: "/cms/education?level=\(l.id!)"), Cell("\(n) course(s)")],
                            actions: [RowAction(label: "Delete", href: nil, postTo: "/cms/education/levels/\(l.id!)/delete", danger: true)]))
        }
        let vm = SectionsVM(heading: "Education — Levels", intro: "The order the apps group courses by (e.g. Beginner, Intermediate, Advanced). Deleting a level leaves its courses without one.",
                            buttons: [Button(label: "Education", href: "/cms/education", primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["Order", "Level", "Courses"], rows, empty: "No level yet.")),
                                       Section(title: "Add a level", form: FormVM(heading: "", intro: nil, action: "/cms/education/levels", fields: [Field("name", "Name", required: true)],
                                                                                  submitLabel: "Add level", cancelHref: nil, formError: nil))])
        return try await Layout.render(req, "sections", title: "Levels", vm)
    }

    static func createLevel(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(NameForm.self)
        return try await req.flashing(redirectTo: "/cms/education/levels") {
            "\(try await CourseLevelService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, name: f.name ?? "").name) added."
        }
    }

    static func deleteLevel(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "/cms/education/levels") {
            try await CourseLevelService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
            return "Level deleted."
        }
    }
}
