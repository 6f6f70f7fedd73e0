import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The editor's live preview: the home screen of a UI's published version as its template lays
/// it out — menu placement, hero, tile shape — in its colours, logo, language and direction,
/// filled with this deployment's own channels and titles. A standalone page shown in an iframe
/// (framing is allowed for this page only, and only by the console itself).
enum UIPreviewPage {
    static func register(_ r: any RoutesBuilder) {
        r.get(":id", "preview", use: page)
        r.get(":id", "preview.css", use: stylesheet)
    }

    struct Tile: Encodable { var title: String; var image: String?; var initials: String; var progress: Int? }
    struct RailVM: Encodable { var key: String; var title: String; var tiles: [Tile] }
    struct MenuVM: Encodable { var key: String; var label: String; var active: Bool; var app: Bool }
    struct HeroVM: Encodable { var title: String; var summary: String; var image: String?; var watch: String; var info: String }

    struct PreviewVM: Encodable {
        var name: String
        var lang: String
        var dir: String
        var template: String
        var menuPlacement: String
        var card: String
        var cssHref: String
        var logo: String?
        var brand: String
        var clock: String
        var menu: [MenuVM]
        var hero: HeroVM?
        var rails: [RailVM]
        var note: String
        var version: Int
    }

    static func media(_ id: UUID?) -> String? { id.map { "/media/" + $0.uuidString.lowercased() } }

    static func initials(_ s: String) -> String {
        String(s.split(separator: " ").prefix(2).compactMap(\.first)).uppercased()
    }

    static func page(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let id = try req.uiID()
        let doc = try await UserInterfaceService.document(ctx.env, deploymentID: ctx.deploymentID, id: id)
        let languages = try await TranslationService.languages(ctx.env, deploymentID: ctx.deploymentID)
        let asked = (req.query[String.self, at: "lang"] ?? "").lowercased()
        let lang = doc.languages.contains(asked) ? asked : doc.defaultLanguage
        let rtl = doc.rtl || languages.first { $0.code == lang }?.rtl == true
        let texts = try await TranslationService.layers(req.db, deploymentID: ctx.deploymentID, ui: id)
        func t(_ key: String) -> String { texts.text(lang, key) ?? key }
        let template = UITemplate.named(doc.template) ?? .default

        // Real catalogue rows of this deployment; a deployment without any gets labelled samples.
        let channels = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$enabled == true).sort(\.$number).limit(8).all()
        let movies = try await VoDItemModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == VoDKind.movie.rawValue).sort(\.$id, .descending).limit(8).all()
        let series = try await VoDItemModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind == VoDKind.series.rawValue).sort(\.$id, .descending).limit(8).all()
        func sample(_ what: String) -> [Tile] { (1...6).map { Tile(title: "\(what) \($0)", image: nil, initials: "\($0)", progress: nil) } }
        let channelTiles = channels.isEmpty ? sample("Sample channel") : channels.map { Tile(title: "\($0.number) \($0.name)", image: media($0.logoID), initials: initials($0.name), progress: nil) }
        let movieTiles = movies.isEmpty ? sample("Sample movie") : movies.map { Tile(title: $0.title, image: media(template.card == .landscape ? ($0.wideID ?? $0.coverID) : $0.coverID), initials: initials($0.title), progress: nil) }
        let seriesTiles = series.isEmpty ? sample("Sample series") : series.map { Tile(title: $0.title, image: media(template.card == .landscape ? ($0.wideID ?? $0.coverID) : $0.coverID), initials: initials($0.title), progress: nil) }
        let progress = [25, 50, 75, 50, 25, 75]
        let rails = doc.rails.map { rail -> RailVM in
            let title = rail.label[lang] ?? t("rail." + rail.key)
            switch HomeRail(rawValue: rail.key) {
            case .continue_watching:
                return RailVM(key: rail.key, title: title, tiles: movieTiles.reversed().enumerated().map { i, tile in var x = tile; x.progress = progress[i % progress.count]; return x })
            case .favourites: return RailVM(key: rail.key, title: title, tiles: Array(channelTiles.reversed()))
            case .new_movies: return RailVM(key: rail.key, title: title, tiles: movieTiles)
            case .new_series: return RailVM(key: rail.key, title: title, tiles: seriesTiles)
            case .channels_now, nil: return RailVM(key: rail.key, title: title, tiles: channelTiles)
            }
        }
        let featured = movies.first { $0.wideID != nil } ?? movies.first
        let hero = template.hero ? HeroVM(title: featured?.title ?? t("home.featured"), summary: String((featured?.description ?? "").prefix(160)),
                                          image: media(featured?.wideID ?? featured?.coverID), watch: t("home.watch_now"), info: t("home.more_info")) : nil
        let zone = TimeZone(identifier: ctx.deployment.timeZone) ?? TimeZone(identifier: "UTC")!
        let clock = DateFormatter()
        clock.timeZone = zone
        clock.locale = Locale(identifier: "en_US_POSIX")
        clock.dateFormat = doc.behaviour.clockFormat == "12h" ? "h:mm a" : "HH:mm"
        let vm = PreviewVM(name: doc.name, lang: lang, dir: rtl ? "rtl" : "ltr", template: template.id, menuPlacement: template.menu.rawValue, card: template.card.rawValue,
                           cssHref: "\(UserInterfacesController.base)/\(id.uuidString.lowercased())/preview.css?v=\(doc.version)", logo: doc.logo,
                           brand: ctx.deployment.companyName.isEmpty ? ctx.deployment.name : ctx.deployment.companyName, clock: clock.string(from: ctx.env.now),
                           menu: doc.menu.enumerated().map { i, m in MenuVM(key: m.key, label: m.label[lang] ?? m.key, active: i == 0, app: m.type == "app") },
                           hero: hero, rails: rails,
                           note: "Preview of v\(doc.version) · \(template.name) · \(lang)" + (channels.isEmpty && movies.isEmpty ? " · sample tiles: this deployment has no catalogue yet" : " · continue-watching progress is illustrative"),
                           version: doc.version)
        let response = try await req.view.render("uit-preview", vm).encodeResponse(for: req)
        // Framed by the editor: same origin only (the middleware keeps these instead of DENY).
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "SAMEORIGIN")
        return response
    }

    /// The UI's colours and background as CSS variables: the page's CSP allows no inline styles.
    static func stylesheet(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let doc = try await UserInterfaceService.document(ctx.env, deploymentID: ctx.deploymentID, id: try req.uiID())
        // Colours were validated as #RRGGBB and media paths are built from UUIDs: nothing here can break out of the rule.
        var css = ":root { --ui-primary: \(doc.colours.primary); --ui-secondary: \(doc.colours.secondary); --ui-bg: \(doc.colours.background); "
            + "--ui-surface: \(doc.colours.surface); --ui-text: \(doc.colours.text); }\n"
        if let bg = doc.background { css += ".screen { background-image: linear-gradient(rgba(0,0,0,.35), rgba(0,0,0,.35)), url(\"\(bg)\"); }\n" }
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "text/css; charset=utf-8")
        headers.add(name: .cacheControl, value: "no-store")
        return Response(status: .ok, headers: headers, body: .init(string: css))
    }
}
