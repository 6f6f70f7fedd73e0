import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Movies / Series › Add from the database (TMDb), and CMS › Settings where its key lives.
enum MetadataPages {
    static func register(_ console: any RoutesBuilder) {
        for s in [CMSSection.movies, CMSSection.series] {
            let c = console.grouped(s.base.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }).grouped(RequirePermission(permission: .cms))
            c.get("lookup") { try await search($0, s) }
            c.get("lookup", ":tmdb") { try await pick($0, s) }
        }
        let settings = console.grouped("cms", "settings").grouped(RequirePermission(permission: .cms))
        settings.get(use: settingsPage)
        settings.post(use: saveSettings)
    }

    static func client(_ req: Request, _ ctx: CRMContext) async throws -> TMDbClient {
        try await MetadataService.client(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, http: req.outboundHTTP, endpoints: req.application.tvms.config.tmdb)
    }

    static func search(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let q = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let yearText = (req.query[String.self, at: "year"] ?? "").trimmingCharacters(in: .whitespaces)
        let isMovie = s.base == CMSSection.movies.base
        var rows: [Row] = []
        var error: String? = nil
        if !q.isEmpty {
            do {
                let c = try await client(req, ctx)
                let year = Int(yearText)
                let results = isMovie ? try await c.searchMovies(q, year: year) : try await c.searchSeries(q, year: year)
                rows = results.prefix(20).map { r in
                    Row(cells: [Cell(r.title), Cell(r.year.map(String.init) ?? "—", mono: true), Cell(String(r.overview.prefix(160)) + (r.overview.count > 160 ? "…" : ""))],
                        actions: [RowAction(label: "Select", href: "\(s.base)/lookup/\(r.id)", postTo: nil, danger: false)])
                }
            } catch let e as DomainError {
                error = e.message
            }
        }
        var table = TableVM(heading: "", intro: error, buttons: [],
                            filters: [Filter(name: "q", label: isMovie ? "Movie title" : "Series title", type: "text", value: q, options: []),
                                      Filter(name: "year", label: "Year", type: "text", value: yearText, options: [])],
                            filterAction: "\(s.base)/lookup", columns: ["Title", "Year", "Overview"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: q.isEmpty ? "Search by title to see matches." : (error == nil ? "Nothing found for “\(q)”." : "The search failed."),
                            pager: Pager(summary: rows.isEmpty ? "" : "\(rows.count) result(s) from TMDb", prevHref: nil, nextHref: nil))
        table.heading = isMovie ? "Add a movie from the database" : "Add a series from the database"
        table.buttons = [Button(label: s.label, href: s.base, primary: false)]
        return try await Layout.render(req, "table", title: table.heading, table, status: error == nil ? .ok : .badGateway)
    }

    /// The Add form pre-filled from the picked result; nothing is stored until it is submitted.
    static func pick(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("tmdb", as: Int.self)
        let c = try await client(req, ctx)
        let isMovie = s.base == CMSSection.movies.base
        let draft: (input: VoDService.Input, coverURL: String?, wideURL: String?)
        var seasons = 0
        if isMovie { draft = try await MetadataService.movieDraft(c, id: id) } else {
            let d = try await MetadataService.seriesDraft(c, id: id)
            draft = (d.input, d.coverURL, d.wideURL)
            seasons = d.seasons
        }
        var f = VoDController.formOf(draft.input)
        f.enabled = isMovie ? nil : "on"
        f.coverURL = draft.coverURL
        f.wideURL = draft.wideURL
        f.importSeasons = seasons > 0 ? "on" : nil
        let fc = try await VoDController.formContext(req, ctx, kind: draft.input.kind, s: s, isNew: true)
        var vm = VoDController.form(f, fc, action: s.base, submit: "Add \(draft.input.kind.label)", cancel: "\(s.base)/lookup", s: s)
        vm.intro = (isMovie ? "Complete the stream URL, protection and how it is sold, then Add Movie. " : "This series has \(seasons) season(s) in the database; their episodes are added disabled, waiting for their URLs. ")
            + (vm.intro ?? "")
        return try await VoDController.renderNew(req, title: "\(isMovie ? "Add Movie" : "Add Series") — \(draft.input.title)", vm)
    }

    /// Artwork found by the lookup is fetched now, with the upload limits, unless a file was chosen.
    static func fetchArtwork(_ req: Request, _ ctx: CRMContext, form f: VoDController.VoDForm, into i: inout VoDService.Input) async throws {
        var errors = FieldErrors()
        if i.cover == nil, let url = f.coverURL, !url.isEmpty {
            do { i.cover = try await ImageFetcher.fetch(req.outboundHTTP, url: url, maxBytes: VoDService.artworkLimits.maxBytes, field: "cover") } catch let e as DomainError { errors.merge(e) }
        }
        if i.wide == nil, let url = f.wideURL, !url.isEmpty {
            do { i.wide = try await ImageFetcher.fetch(req.outboundHTTP, url: url, maxBytes: VoDService.artworkLimits.maxBytes, field: "wide") } catch let e as DomainError { errors.merge(e) }
        }
        try errors.throwIfAny()
    }

    static func importSeasons(_ req: Request, _ ctx: CRMContext, series: VoDItemModel, tmdbID: Int) async throws -> String {
        do {
            let r = try await MetadataService.importSeasons(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, client: try await client(req, ctx), http: req.outboundHTTP,
                                                            series: series, tmdbID: tmdbID)
            return " From the database: \(r.seasons) season(s) and \(r.episodes) episode(s), the episodes disabled until they have a URL"
                + (r.skippedPictures > 0 ? "; \(r.skippedPictures) picture(s) could not be used." : ".")
        } catch let e as DomainError {
            return " The seasons could not be fetched (\(e.message)); the series itself was added."
        }
    }

    // MARK: Settings

    struct SettingsForm: Content { var apiKey: String?; var language: String?; var removeKey: String? }

    static func settingsPage(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await renderSettings(req, ctx, error: nil)
    }

    static func renderSettings(_ req: Request, _ ctx: CRMContext, error: DomainError?) async throws -> Response {
        let s = try await MetadataService.settings(ctx.env, deploymentID: ctx.deploymentID)
        let hint = s?.tmdbKeyHint ?? ""
        var form = FormVM(heading: "", intro: hint.isEmpty ? "No key yet: “Add from the database” needs one. Get a free key at themoviedb.org (Settings › API)."
                                                         : "A key ending in \(hint) is set. It is never shown again; enter a new one to replace it.",
                          action: "/cms/settings", fields: [
            Field("apiKey", "TMDb API key or read access token", type: "password", help: "Leave empty to keep the current key.", autocomplete: "off"),
            Field("language", "Metadata language", value: s?.tmdbLanguage ?? "en-US", help: "e.g. en-US, de-DE, fr-FR."),
        ] + (hint.isEmpty ? [] : [Field("removeKey", "Remove the key", type: "checkbox")]), submitLabel: "Save settings", cancelHref: nil, formError: nil)
        if let error { form.apply(error) }
        let vm = SectionsVM(heading: "CMS Settings", intro: nil, buttons: [], tabs: [], sections: [Section(title: "Metadata database (TMDb)", form: form)])
        return try await Layout.render(req, "sections", title: "CMS Settings", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func saveSettings(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(SettingsForm.self)
        do {
            try await MetadataService.configure(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, apiKey: f.apiKey ?? "", language: f.language ?? "", removeKey: Bool(checkbox: f.removeKey))
            req.flash(.success, "Settings saved.")
            return req.redirect(to: "/cms/settings", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await renderSettings(req, ctx, error: e)
        }
    }
}
