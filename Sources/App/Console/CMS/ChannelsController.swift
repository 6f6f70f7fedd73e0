import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

extension Request {
    /// The CMS side of the console: CMS permission in the current deployment (the context type is
    /// shared with the CRM pages).
    func cms() async throws -> CRMContext {
        let actor = try self.actor
        try actor.require(.cms)
        let d = try await requireCurrentDeployment()
        try actor.require(.cms, in: d.requireID())
        return CRMContext(env: serviceEnvironment, actor: actor, deployment: d, dates: DateDisplay(timeZone: d.timeZone))
    }
}

/// CMS › Channels: the channel list, Add Channel and edit (with logo upload), UI Groups and
/// channel Packages.
enum ChannelsController {
    static func register(_ console: any RoutesBuilder) {
        let c = console.grouped("cms", "channels").grouped(RequirePermission(permission: .cms))
        c.get(use: list)
        c.get("new", use: newForm)
        c.get("export.csv") { req in try await export(req, excel: false) }
        c.get("export.xlsx") { req in try await export(req, excel: true) }
        c.get("import", use: importForm)
        c.on(.POST, "import", body: .collect(maxSize: "20mb"), use: importFile)
        c.on(.POST, body: .collect(maxSize: "2mb"), use: create)
        c.get(":id", use: edit)
        c.on(.POST, ":id", body: .collect(maxSize: "2mb"), use: update)
        c.get(":id", "delete", use: confirmDelete)
        c.post(":id", "delete", use: delete)
        let g = console.grouped("cms", "ui-groups").grouped(RequirePermission(permission: .cms))
        g.get(use: groups)
        g.post(use: createGroup)
        g.get(":id", use: group)
        g.post(":id", "channels", use: setGroupChannels)
        g.post(":id", "up", use: moveUp)
        g.post(":id", "down", use: moveDown)
        g.post(":id", "delete", use: deleteGroup)
        PackagePages.register(console, .channels)
        PPVRulePages.register(console, .channels)
    }

    // MARK: Channels

    /// One page of the deployment's channels by number for `?q=&after=&before=` (keyset pages
    /// both ways: "next" continues after the last number, "previous" ends before the first).
    static func page(_ req: Request, _ ctx: CRMContext) async throws -> (channels: [ChannelModel], more: Bool, isFirstPage: Bool, search: String) {
        var q = ChannelService.Query()
        q.search = req.query[String.self, at: "q"] ?? ""
        q.afterNumber = req.query[Int.self, at: "after"]
        q.beforeNumber = req.query[Int.self, at: "before"]
        let (channels, more) = try await ChannelService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, query: q)
        var first = ChannelService.Query()
        first.search = q.search
        first.limit = 1
        let firstNumber = try await ChannelService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, query: first).channels.first?.number
        return (channels, more, channels.first?.number == nil || channels.first?.number == firstNumber, q.search)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let (channels, more, isFirstPage, search) = try await page(req, ctx)
        let tq = TableQuery(req, path: "/cms/channels", filterNames: ["after", "before"])
        let rows = channels.map { c in
            Row(cells: [Cell(String(c.number), mono: true), Cell(c.name, href: "/cms/channels/\(c.id!)"),
                        Cell([c.hlsURL.isEmpty ? nil : "HLS", c.dashURL.isEmpty ? nil : "DASH", c.fallbackURL.isEmpty ? nil : "fallback"].compactMap { $0 }.joined(separator: " · ")),
                        Cell(c.tokenType == "none" ? "—" : c.tokenType), Cell(c.ageRating == 0 ? "all" : "\(c.ageRating)+"), Cell(c.tags),
                        Cell(c.enabled ? "Enabled" : "Disabled", badge: c.enabled ? "ok" : "muted")],
                actions: [RowAction(label: "Edit", href: "/cms/channels/\(c.id!)", postTo: nil, danger: false)])
        }
        let table = TableVM(heading: "Channels", intro: "Live channels. Who sees a channel follows from Packages (and the products that hold them); UI Groups only arrange them.",
                            buttons: [Button(label: "Add Channel", href: "/cms/channels/new", primary: true), Button(label: "Import", href: "/cms/channels/import", primary: false),
                                      Button(label: "Export (CSV)", href: "/cms/channels/export.csv", primary: false),
                                      Button(label: "Export (Excel)", href: "/cms/channels/export.xlsx", primary: false), Button(label: "UI Groups", href: "/cms/ui-groups", primary: false),
                                      Button(label: "TV Packages", href: "/cms/packages", primary: false)],
                            filters: [Filter(name: "q", label: "Name, number or tag", type: "text", value: search, options: [])], filterAction: "/cms/channels",
                            columns: ["No.", "Name", "Streams", "Token", "Age", "Tags", "Status"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: search.isEmpty ? "No channel yet." : "No channel matches.",
                            pager: Pager(summary: "\(rows.count) shown, by number",
                                         prevHref: isFirstPage ? nil : tq.href(["after": nil, "before": channels.first.map { String($0.number) }]),
                                         nextHref: more ? tq.href(["before": nil, "after": channels.last.map { String($0.number) }]) : nil))
        return try await Layout.render(req, "table", title: "Channels", table)
    }

    struct ChannelForm: Content {
        var number: String?; var name: String?; var notes: String?; var provider: String?; var hlsURL: String?; var dashURL: String?; var fallbackURL: String?
        var tokenType: String?; var drm: String?; var ageRating: String?; var parental: String?; var tags: String?; var genres: String?; var catchupDays: String?
        var recordingAllowed: String?; var vastURL: String?; var preroll: String?; var overlay: String?; var ticker: String?; var pinned: String?; var enabled: String?
        var logo: File?; var removeLogo: String?; var ppvRuleID: String?
    }

    static let tokenLabels = ["none": "None", "akamai": "Akamai Token", "flussonic": "Flussonic Token", "wowza": "Wowza SecureToken",
                              "nimble": "Nimble WMSAuth", "nginx_secure_link": "nginx secure_link",
                              "callback": "TVMS ticket (Flussonic auth backend, nginx auth_request)", "nimble_ppv": "Nimble WMSAuth with pay-per-view"]

    static func form(_ f: ChannelForm, action: String, heading: String, submit: String, hasLogo: Bool, ppv: PPVFields, ppvValues: [String: String] = [:]) -> FormVM {
        func opts(_ values: [String], _ selected: String?, _ label: (String) -> String = { $0 }) -> [FieldOption] {
            values.map { FieldOption(value: $0, label: label($0), selected: $0 == selected) }
        }
        return FormVM(heading: heading, intro: "Apple and KaiOS devices play the HLS URL (.m3u8), the others the DASH URL (.mpd); the fallback is used when a platform's URL is empty.",
                      action: action, fields: [
            Field("number", "Number", type: "number", value: f.number ?? "", required: true),
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("logo", "Logo", type: "file", help: "Square (1:1) PNG, JPEG or WebP, at most 512 KiB and 1024 px."),
        ] + (hasLogo ? [Field("removeLogo", "Remove the logo", type: "checkbox", value: f.removeLogo ?? "")] : []) + [
            Field("hlsURL", "HLS URL (Apple, KaiOS)", value: f.hlsURL ?? ""),
            Field("dashURL", "DASH URL (other platforms)", value: f.dashURL ?? ""),
            Field("fallbackURL", "Fallback URL", value: f.fallbackURL ?? ""),
            Field("tokenType", "Token", type: "select", options: opts(ChannelRules.tokenTypes, f.tokenType ?? "none") { tokenLabels[$0] ?? $0 }),
            Field("drm", "DRM", type: "select", options: opts(ChannelRules.drms, f.drm ?? "none") { ["none": "None", "buydrm": "BuyDRM", "irdeto": "Irdeto"][$0] ?? $0 }),
            Field("ageRating", "Age rating", type: "select", options: opts(ChannelRules.ageRatings.map(String.init), f.ageRating ?? "0") { $0 == "0" ? "For everyone" : "\($0)+" }),
            Field("parental", "Behind the parental PIN", type: "checkbox", value: f.parental ?? "", help: "Always on from 16+."),
            Field("tags", "Tags", value: f.tags ?? "", help: "Comma-separated, for search."),
            Field("genres", "Genres", value: f.genres ?? ""),
            Field("catchupDays", "Catch-up days", type: "number", value: f.catchupDays ?? "0"),
            Field("recordingAllowed", "Recording allowed", type: "checkbox", value: f.recordingAllowed ?? ""),
        ] + ppv.fields(ruleID: f.ppvRuleID, values: ppvValues, rulesHref: "/cms/channels/ppv-rules") + [
            Field("vastURL", "VAST URL", value: f.vastURL ?? ""),
            Field("preroll", "Pre-roll ads", type: "checkbox", value: f.preroll ?? ""),
            Field("overlay", "Overlay ads", type: "checkbox", value: f.overlay ?? ""),
            Field("ticker", "Ticker ads", type: "checkbox", value: f.ticker ?? ""),
            Field("pinned", "Pin to the UI home screen", type: "checkbox", value: f.pinned ?? ""),
            Field("provider", "Provider", value: f.provider ?? ""),
            Field("notes", "Notes", type: "textarea", value: f.notes ?? ""),
            Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
        ], submitLabel: submit, cancelHref: "/cms/channels", formError: nil, multipart: true)
    }

    static func input(_ f: ChannelForm, ppv: (ruleID: Int?, prices: [String: Int64])) throws -> ChannelService.Input {
        guard let number = Int(f.number ?? "") else { throw DomainError.validation(["number": "must be a whole number"]) }
        var i = ChannelService.Input(number: number, name: f.name ?? "")
        i.notes = f.notes ?? ""; i.provider = f.provider ?? ""; i.hlsURL = f.hlsURL ?? ""; i.dashURL = f.dashURL ?? ""; i.fallbackURL = f.fallbackURL ?? ""
        i.tokenType = f.tokenType ?? "none"; i.drm = f.drm ?? "none"; i.ageRating = Int(f.ageRating ?? "0") ?? -1; i.parental = Bool(checkbox: f.parental)
        i.tags = f.tags ?? ""; i.genres = f.genres ?? ""; i.catchupDays = Int(f.catchupDays ?? "0") ?? -1; i.recordingAllowed = Bool(checkbox: f.recordingAllowed)
        i.vastURL = f.vastURL ?? ""; i.preroll = Bool(checkbox: f.preroll); i.overlay = Bool(checkbox: f.overlay); i.ticker = Bool(checkbox: f.ticker)
        i.pinned = Bool(checkbox: f.pinned); i.enabled = Bool(checkbox: f.enabled)
        i.logo = f.logo.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        i.removeLogo = Bool(checkbox: f.removeLogo)
        i.ppvRuleID = ppv.ruleID
        i.prices = ppv.prices
        return i
    }

    static func newForm(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let next = (try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).max(\.$number) ?? 0) + 1
        let ppv = try await PPVFields.load(req, ctx, section: .channel)
        return try await Layout.render(req, "form", title: "Add Channel",
                                       form(ChannelForm(number: String(next), enabled: "on"), action: "/cms/channels", heading: "Add Channel", submit: "Add Channel", hasLogo: false, ppv: ppv))
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(ChannelForm.self)
        let ppv = try await PPVFields.load(req, ctx, section: .channel)
        var ppvTexts: [String: String] = [:]
        do {
            let read = try ppv.read(req)
            ppvTexts = read.texts
            let c = try await ChannelService.save(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: try input(f, ppv: (read.ruleID, read.prices)))
            req.flash(.success, "Channel \(c.number) \(c.name) added. Put it in a package so customers can watch it.")
            return req.redirect(to: "/cms/channels/\(c.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = form(f, action: "/cms/channels", heading: "Add Channel", submit: "Add Channel", hasLogo: false, ppv: ppv, ppvValues: ppvTexts)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add Channel", vm, status: .unprocessableEntity)
        }
    }

    static func formOf(_ c: ChannelModel) -> ChannelForm {
        func on(_ b: Bool) -> String? { b ? "on" : nil }
        return ChannelForm(number: String(c.number), name: c.name, notes: c.notes, provider: c.provider, hlsURL: c.hlsURL, dashURL: c.dashURL, fallbackURL: c.fallbackURL,
                           tokenType: c.tokenType, drm: c.drm, ageRating: String(c.ageRating), parental: on(c.parental), tags: c.tags, genres: c.genres,
                           catchupDays: String(c.catchupDays), recordingAllowed: on(c.recordingAllowed), vastURL: c.vastURL, preroll: on(c.preroll), overlay: on(c.overlay),
                           ticker: on(c.ticker), pinned: on(c.pinned), enabled: on(c.enabled), ppvRuleID: c.ppvRuleID.map(String.init))
    }

    static func editPage(_ req: Request, _ ctx: CRMContext, _ c: ChannelModel, _ vm: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        var images: [ImagePreview] = []
        if let logo = c.logoID, let m = try await MediaAssetModel.find(logo, on: req.db) {
            images.append(ImagePreview(label: "Logo", src: "/media/\(logo.uuidString.lowercased())", caption: "\(m.width)×\(m.height)"))
        }
        let inPackages = try await req.db.sql.raw("""
            SELECT p.name AS name FROM package_items i JOIN content_packages p ON p.id = i.package_id
            WHERE i.item_id = \(bind: c.id!) AND p.kind = 'channel' AND p.deployment_id = \(bind: ctx.deploymentID) ORDER BY p.name
            """).all().map { try $0.decode(column: "name", as: String.self) }
        var intro = inPackages.isEmpty ? "Not in any package yet: nobody can watch it." : "In packages: " + inPackages.joined(separator: ", ")
        if let rule = c.ppvRuleID, let r = try await PPVRuleModel.find(rule, on: req.db) { intro = "Sold by pay-per-view: \(r.name) (\(PPVService.describe(r)))." }
        let page = SectionsVM(heading: "Channel \(c.number) — \(c.name)", intro: intro,
                              buttons: [Button(label: "Channels", href: "/cms/channels", primary: false)], tabs: [],
                              sections: [Section(title: nil, images: images), Section(title: nil, form: vm),
                                         Section(title: "Delete", actions: [RowAction(label: "Delete channel…", href: "/cms/channels/\(c.id!)/delete", postTo: nil, danger: true)])])
        return try await Layout.render(req, "sections", title: c.name, page, status: status)
    }

    static func edit(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let ppv = try await PPVFields.load(req, ctx, section: .channel)
        let prices = ppv.values(try await PPVService.prices(ctx.env, deploymentID: ctx.deploymentID, ref: .channel(c.id!)))
        return try await editPage(req, ctx, c, form(formOf(c), action: "/cms/channels/\(c.id!)", heading: "", submit: "Save channel", hasLogo: c.logoID != nil, ppv: ppv, ppvValues: prices))
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        let f = try req.content.decode(ChannelForm.self)
        let ppv = try await PPVFields.load(req, ctx, section: .channel)
        var ppvTexts: [String: String] = [:]
        do {
            let read = try ppv.read(req)
            ppvTexts = read.texts
            let c = try await ChannelService.save(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, input: try input(f, ppv: (read.ruleID, read.prices)))
            req.flash(.success, "Channel saved.")
            return req.redirect(to: "/cms/channels/\(c.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            var vm = form(f, action: "/cms/channels/\(id)", heading: "", submit: "Save channel", hasLogo: c.logoID != nil, ppv: ppv, ppvValues: ppvTexts)
            vm.apply(e)
            return try await editPage(req, ctx, c, vm, status: .unprocessableEntity)
        }
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await ChannelService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await Layout.render(req, "confirm", title: "Delete channel", ConfirmVM(
            heading: "Delete channel \(c.number) \(c.name)?", message: "It leaves every package and UI group it is in, and customers stop seeing it at the next publish.",
            action: "/cms/channels/\(c.id!)/delete", buttonLabel: "Delete channel", cancelHref: "/cms/channels/\(c.id!)"))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        try await ChannelService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        req.flash(.success, "Channel deleted.")
        return req.redirect(to: "/cms/channels", redirectType: .normal)
    }

    // MARK: Import / export

    static func export(_ req: Request, excel: Bool) async throws -> Response {
        let ctx = try await req.cms()
        return try ImportExportPages.download(try await ChannelImport.exportRows(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID), name: "channels", excel: excel)
    }

    static func importVM(error: String? = nil) -> FormVM {
        FormVM(heading: "Import channels",
               intro: "CSV (UTF-8) or Excel (.xlsx) with a header row: \(ChannelImport.columns.joined(separator: ", ")). Only number and name are required; a column you leave out keeps each channel's value. Rows are matched by number: a known number updates that channel, a new one adds it. Every row is checked first; if any is wrong nothing is imported. An export imported again changes nothing.",
               action: "/cms/channels/import", fields: [Field("file", "File", type: "file", required: true)],
               submitLabel: "Check and import", cancelHref: "/cms/channels", formError: error, multipart: true)
    }

    static func importForm(_ req: Request) async throws -> Response {
        _ = try await req.cms()
        return try await Layout.render(req, "form", title: "Import channels", importVM())
    }

    struct Upload: Content { var file: File? }

    static func importFile(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        guard let file = try req.content.decode(Upload.self).file, file.data.readableBytes > 0 else {
            return try await Layout.render(req, "form", title: "Import channels", importVM(error: "Choose a CSV or .xlsx file."), status: .unprocessableEntity)
        }
        do {
            let rows = try CustomerBulkService.readUpload(filename: file.filename, data: Data(buffer: file.data))
            let result = try await ChannelImport.importRows(ctx.env, http: req.outboundHTTP, actor: ctx.actor, deploymentID: ctx.deploymentID, rows: rows)
            if !result.errors.isEmpty {
                return try await ImportReport.refused(req, errors: result.errors, filename: file.filename, uploadAgain: importVM())
            }
            req.flash(.success, "Imported: \(result.created) added, \(result.updated) updated, \(result.unchanged) unchanged.")
            return req.redirect(to: "/cms/channels", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await Layout.render(req, "form", title: "Import channels", importVM(error: e.message), status: .unprocessableEntity)
        }
    }

    // MARK: UI groups

    struct NameForm: Content { var name: String? }

    static func groups(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let all = try await UIGroupService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var rows: [Row] = []
        for g in all {
            let n = try await UIGroupService.channels(ctx.env, groupID: g.id!).count
            rows.append(Row(cells: [Cell(String(g.position), mono: true), Cell(g.name, href: "/cms/ui-groups/\(g.id!)"), Cell("\(n) channel(s)")],
                            actions: [RowAction(label: "Up", href: nil, postTo: "/cms/ui-groups/\(g.id!)/up", danger: false),
                                      RowAction(label: "Down", href: nil, postTo: "/cms/ui-groups/\(g.id!)/down", danger: false),
                                      RowAction(label: "Delete", href: nil, postTo: "/cms/ui-groups/\(g.id!)/delete", danger: true)]))
        }
        let vm = SectionsVM(heading: "UI Groups", intro: "Categories the apps show as tabs or rows, in this order. A channel may be in several; groups never grant access.",
                            buttons: [Button(label: "Channels", href: "/cms/channels", primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["Order", "Group", "Channels"], rows, empty: "No group yet.")),
                                       Section(title: "Add a group", form: FormVM(heading: "", intro: nil, action: "/cms/ui-groups", fields: [Field("name", "Name", required: true)],
                                                                                  submitLabel: "Add group", cancelHref: nil, formError: nil))])
        return try await Layout.render(req, "sections", title: "UI Groups", vm)
    }

    static func createGroup(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(NameForm.self)
        return try await req.flashing(redirectTo: "/cms/ui-groups") {
            let g = try await UIGroupService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, name: f.name ?? "")
            return "\(g.name) added."
        }
    }

    static func group(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        guard let g = try await UIGroupService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).first(where: { $0.id == id }) else {
            throw DomainError.notFound("The UI group")
        }
        let members = Set(try await UIGroupService.channels(ctx.env, groupID: id))
        let all = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).sort(\.$number).limit(2000).all()
        let vm = SectionsVM(heading: "UI group — \(g.name)", intro: "Tick the channels of this group; they are shown by channel number.",
                            buttons: [Button(label: "UI Groups", href: "/cms/ui-groups", primary: false)], tabs: [],
                            sections: [Section(title: nil, form: FormVM(heading: "", intro: nil, action: "/cms/ui-groups/\(id)/channels", fields: [
                                Field("channels[]", "Channels", type: "checkboxes", options: all.map { FieldOption(value: String($0.id!), label: "\($0.number) \($0.name)", selected: members.contains($0.id!)) })],
                                                                        submitLabel: "Save group", cancelHref: nil, formError: nil))])
        return try await Layout.render(req, "sections", title: g.name, vm)
    }

    struct IDsForm: Content { var channels: [Int]? }

    static func setGroupChannels(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        let f = try req.content.decode(IDsForm.self)
        return try await req.flashing(redirectTo: "/cms/ui-groups/\(id)") {
            let wanted = Set(f.channels ?? [])
            let ordered = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$id ~~ Array(wanted)).sort(\.$number).all().compactMap(\.id)
            try await UIGroupService.setChannels(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, channels: ordered)
            return "Group saved: \(ordered.count) channel(s)."
        }
    }

    static func moveUp(_ req: Request) async throws -> Response { try await move(req, -1) }
    static func moveDown(_ req: Request) async throws -> Response { try await move(req, 1) }

    static func move(_ req: Request, _ step: Int) async throws -> Response {
        let ctx = try await req.cms()
        try await UIGroupService.move(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self), by: step)
        return req.redirect(to: "/cms/ui-groups", redirectType: .normal)
    }

    static func deleteGroup(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        try await UIGroupService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        req.flash(.success, "Group deleted.")
        return req.redirect(to: "/cms/ui-groups", redirectType: .normal)
    }
}
