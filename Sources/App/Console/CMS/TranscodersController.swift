import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// What the delivery pages share: status badges, "checked at" texts and whole-number fields.
enum DeliveryConsole {
    static func statusCell(_ status: String) -> Cell {
        Cell(status, badge: ["up": "ok", "down": "danger"][status] ?? "muted")
    }

    static func checked(_ detail: String, _ at: Date?, _ ctx: CRMContext) -> String {
        guard let at else { return "not checked yet" }
        let short = detail.count > 90 ? String(detail.prefix(89)) + "…" : detail
        return (short.isEmpty ? "" : short + " · ") + ctx.dates.string(at)
    }

    /// The last check as a table cell: wraps, so a long error does not widen the table, and is cut at 90 characters (the
    /// whole text is in the target's history).
    static func checkedCell(_ detail: String, _ at: Date?, _ ctx: CRMContext) -> Cell {
        Cell(checked(detail, at, ctx), wrap: true)
    }

    /// A whole number from a form field; an empty field takes `empty`. Problems are collected so
    /// the form shows them all.
    static func int(_ value: String?, _ field: String, empty: Int, into errors: inout FieldErrors) -> Int {
        let text = (value ?? "").trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return empty }
        if let n = Int(text) { return n }
        errors.add(field, "must be a whole number")
        return empty
    }

    static func options(_ values: [String], _ selected: String, _ label: (String) -> String = { $0 }) -> [FieldOption] {
        values.map { FieldOption(value: $0, label: label($0), selected: $0 == selected) }
    }

    static let transcoderKindLabels = ["flussonic": "Flussonic Media Server", "wowza": "Wowza Streaming Engine", "nimble": "Nimble Streamer",
                                       "nginx": "nginx (secure_link)", "origin": "Other HLS/DASH origin"]
    static let transcoderKindShort = ["flussonic": "Flussonic", "wowza": "Wowza", "nimble": "Nimble", "nginx": "nginx", "origin": "Origin"]
    static let archiveLabels = ["flussonic": "Flussonic (archive-FROM-DURATION)", "wowza": "Wowza nDVR (wowzadvrplayliststart)",
                                "nimble": "Nimble (playlist_dvr_range)", "query": "Query parameters (start/end names below)"]
    static let cdnKindLabels = ["akamai": "Akamai", "flussonic": "Flussonic edge", "generic": "Generic HTTP edge"]

    /// The Transcoders area's own navigation, on top of each of its pages.
    static let buttons = [Button(label: "Transcoders", href: "/cms/transcoders", primary: false), Button(label: "CDN Hostnames", href: "/cms/transcoders/cdn", primary: false),
                          Button(label: "DVR Storage", href: "/cms/transcoders/dvr", primary: false), Button(label: "FLS Mapping", href: "/cms/transcoders/mappings", primary: false),
                          Button(label: "FLS Health", href: "/cms/transcoders/health", primary: false)]
}

/// CMS › Transcoders: streaming servers (with a Test button that calls the server now), CDN
/// Hostnames and DVR Storage. FLS Mapping/Config and FLS Health are in StreamMappingPages.
enum TranscodersController {
    static func register(_ console: any RoutesBuilder) {
        let t = console.grouped("cms", "transcoders").grouped(RequirePermission(permission: .cms))
        t.get(use: list)
        t.get("new", use: newForm)
        t.post(use: create)
        t.get(":id", use: edit)
        t.post(":id", use: update)
        t.post(":id", "test", use: test)
        t.get(":id", "delete", use: confirmDelete)
        t.post(":id", "delete", use: delete)
        t.get(":id", "callback", "rotate", use: confirmRotateCallback)
        t.post(":id", "callback", "rotate", use: rotateCallback)

        let c = t.grouped("cdn")
        c.get(use: cdnList)
        c.post(use: cdnCreate)
        c.get(":id", use: cdnEdit)
        c.post(":id", use: cdnUpdate)
        c.get(":id", "delete", use: cdnConfirmDelete)
        c.post(":id", "delete", use: cdnDelete)

        let d = t.grouped("dvr")
        d.get(use: dvrList)
        d.post(use: dvrCreate)
        d.get(":id", use: dvrEdit)
        d.post(":id", use: dvrUpdate)
        d.get(":id", "delete", use: dvrConfirmDelete)
        d.post(":id", "delete", use: dvrDelete)
    }

    // MARK: Streaming servers

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let rows = servers.map { t in
            Row(cells: [Cell(t.name, href: "/cms/transcoders/\(t.id!)"), Cell(DeliveryConsole.transcoderKindShort[t.kind] ?? t.kind), Cell(t.baseURL, mono: true),
                        DeliveryConsole.statusCell(t.status), DeliveryConsole.checkedCell(t.statusDetail, t.checkedAt, ctx),
                        Cell("\(t.dvrDepthDays) d"), Cell(t.enabled ? "Enabled" : "Disabled", badge: t.enabled ? "ok" : "muted")],
                actions: [RowAction(label: "Edit", href: "/cms/transcoders/\(t.id!)", postTo: nil, danger: false),
                          RowAction(label: "Test", href: nil, postTo: "/cms/transcoders/\(t.id!)/test", danger: false),
                          RowAction(label: "Delete", href: "/cms/transcoders/\(t.id!)/delete", postTo: nil, danger: true)])
        }
        let vm = SectionsVM(heading: "Transcoders",
                            intro: "Streaming servers: where live streams and archives are served from. Channel addresses that start with / are served from the channel's server (FLS Mapping); the health check calls each server's API every minute.",
                            buttons: [Button(label: "Add a transcoder", href: "/cms/transcoders/new", primary: true)] + DeliveryConsole.buttons.dropFirst(), tabs: [],
                            sections: [Section(title: nil, table: .simple(["Name", "Kind", "Base URL", "Status", "Last check", "DVR depth", "Enabled"], rows,
                                                                          empty: "No streaming server yet. Add one to map channels to it."))])
        return try await Layout.render(req, "sections", title: "Transcoders", vm)
    }

    struct ServerForm: Content {
        var name: String?; var kind: String?; var baseURL: String?; var apiURL: String?; var apiUser: String?; var apiSecret: String?
        var dvrDepthDays: String?; var archiveForm: String?; var archiveStartParam: String?; var archiveEndParam: String?; var enabled: String?
        /// Callback adapters: on/off, and WMSPanel's push-API token for Nimble pay-per-view (write-only).
        var callbackEnabled: String?; var ppvToken: String?; var clearPPVToken: String?
    }

    static func formOf(_ t: TranscoderModel) -> ServerForm {
        ServerForm(name: t.name, kind: t.kind, baseURL: t.baseURL, apiURL: t.apiURL, apiUser: t.apiUser, apiSecret: nil, dvrDepthDays: String(t.dvrDepthDays),
                   archiveForm: t.archiveForm, archiveStartParam: t.archiveStartParam, archiveEndParam: t.archiveEndParam, enabled: t.enabled ? "on" : nil,
                   callbackEnabled: t.callbackEnabled ? "on" : nil)
    }

    /// The password field is never filled back: the stored secret is sealed and only its hint is shown.
    static func serverForm(_ f: ServerForm, hint: String, ppvHint: String = "", action: String, submit: String) -> FormVM {
        FormVM(heading: "", intro: nil, action: action, fields: [
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("kind", "Kind", type: "select", options: DeliveryConsole.options(DeliverySettingsService.transcoderKinds, f.kind ?? "flussonic") { DeliveryConsole.transcoderKindLabels[$0] ?? $0 }),
            Field("baseURL", "Base URL", value: f.baseURL ?? "", help: "Where devices fetch streams, e.g. https://edge1.example.net.", required: true),
            Field("apiURL", "API URL", value: f.apiURL ?? "", help: "The management API the health check calls, e.g. http://10.0.0.5:8080. Empty: the base URL is checked."),
            Field("apiUser", "API user", value: f.apiUser ?? "", autocomplete: "off"),
            Field("apiSecret", "API password", type: "password",
                  help: hint.isEmpty ? "Stored sealed; never shown again." : "A password ending in \(hint) is stored. Leave empty to keep it.", autocomplete: "new-password"),
            Field("dvrDepthDays", "DVR depth (days)", type: "number", value: f.dvrDepthDays ?? "7",
                  help: "How many days of archive the server keeps; channels mapped to it may offer at most this many catch-up days."),
            Field("archiveForm", "Archive address form", type: "select", options: DeliveryConsole.options(ArchiveServer.allCases.map(\.rawValue), f.archiveForm ?? "flussonic") { DeliveryConsole.archiveLabels[$0] ?? $0 }),
            Field("archiveStartParam", "Start parameter name", value: f.archiveStartParam ?? "start", help: "Only for the query-parameter form."),
            Field("archiveEndParam", "End parameter name", value: f.archiveEndParam ?? "end"),
            Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
            Field("callbackEnabled", "Authorise playback by callback", type: "checkbox", value: f.callbackEnabled ?? "",
                  help: "The server asks TVMS whether a viewer may play (Flussonic auth backend, Nimble pay-per-view, nginx auth_request) for items with the token type TVMS ticket or Nimble pay-per-view. Turning it on shows the callback URL once."),
            Field("ppvToken", "WMSPanel push API token", type: "password",
                  help: ppvHint.isEmpty ? "Nimble pay-per-view only, optional: the token set in WMSPanel's Push API tab; TVMS then checks each sync's signature and answers with the solution. Stored sealed."
                      : "A token ending in \(ppvHint) is stored. Leave empty to keep it.", autocomplete: "new-password"),
            Field("clearPPVToken", "Remove the stored WMSPanel token", type: "checkbox", value: f.clearPPVToken ?? ""),
        ], submitLabel: submit, cancelHref: "/cms/transcoders", formError: nil)
    }

    static func input(_ f: ServerForm) throws -> DeliverySettingsService.TranscoderInput {
        var errors = FieldErrors()
        var i = DeliverySettingsService.TranscoderInput()
        i.name = f.name ?? ""; i.kind = f.kind ?? ""; i.baseURL = (f.baseURL ?? "").trimmingCharacters(in: .whitespaces)
        i.apiURL = (f.apiURL ?? "").trimmingCharacters(in: .whitespaces); i.apiUser = f.apiUser ?? ""; i.apiSecret = f.apiSecret
        i.dvrDepthDays = DeliveryConsole.int(f.dvrDepthDays, "dvrDepthDays", empty: 0, into: &errors)
        i.archiveForm = f.archiveForm ?? ""; i.archiveStartParam = (f.archiveStartParam ?? "").trimmingCharacters(in: .whitespaces)
        i.archiveEndParam = (f.archiveEndParam ?? "").trimmingCharacters(in: .whitespaces); i.enabled = Bool(checkbox: f.enabled)
        if (f.ppvToken ?? "").count > 200 { errors.add("ppvToken", "is at most 200 characters") }
        try errors.throwIfAny()
        return i
    }

    /// Turns the callback on or off and stores the WMSPanel token as the form says; when the
    /// callback was turned on now, the answer is the page that shows its URL (once).
    static func applyCallback(_ req: Request, _ ctx: CRMContext, server t: TranscoderModel, form f: ServerForm) async throws -> Response? {
        guard let key = try await StreamCallbackService.configure(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, transcoderID: t.id!,
                                                                  enabled: Bool(checkbox: f.callbackEnabled), ppvToken: f.ppvToken,
                                                                  clearPPVToken: Bool(checkbox: f.clearPPVToken)) else { return nil }
        return try await showCallbackKey(req, server: t, key: key, heading: "Callback URL of \(t.name)")
    }

    /// The callback URLs with the new key, shown this once (only a hint is kept).
    static func showCallbackKey(_ req: Request, server t: TranscoderModel, key: String, heading: String) async throws -> Response {
        let urls = StreamCallbackService.CallbackURLs(base: SettingsController.baseURL(req), key: key)
        let response = try await Layout.render(req, "secret", title: heading, SecretVM(
            heading: heading,
            message: "Copy the URL for this server's kind into its configuration now: the key is shown only this once (TVMS keeps a digest). docs/DELIVERY.md shows each configuration.",
            secret: key,
            details: [KeyValue(key: "Flussonic (on_play)", value: "on_play \(urls.flussonic);", mono: true),
                      KeyValue(key: "Nimble pay-per-view handler URL", value: urls.nimble, mono: true),
                      KeyValue(key: "nginx auth_request (proxy_pass)", value: "proxy_pass \(urls.nginx);", mono: true)],
            continueHref: "/cms/transcoders/\(t.id!)"))
        response.headers.cacheControl = .init(noStore: true)
        return response
    }

    static func confirmRotateCallback(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await Layout.render(req, "confirm", title: "Rotate callback key", ConfirmVM(
            heading: "Rotate the callback key of \(t.name)?",
            message: "The current callback URL stops working at once (on other TVMS nodes within 30 seconds): every viewer is refused until the new URL is in the server's configuration.",
            action: "/cms/transcoders/\(t.id!)/callback/rotate", buttonLabel: "Rotate key", cancelHref: "/cms/transcoders/\(t.id!)"))
    }

    static func rotateCallback(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        do {
            let key = try await StreamCallbackService.rotateKey(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, transcoderID: t.id!)
            return try await showCallbackKey(req, server: t, key: key, heading: "New callback URL of \(t.name)")
        } catch let e as DomainError where e.code == "callback_off" {
            req.flash(.error, e.message)
            return req.redirect(to: "/cms/transcoders/\(t.id!)", redirectType: .normal)
        }
    }

    static func newForm(_ req: Request) async throws -> Response {
        _ = try await req.cms()
        let vm = serverForm(ServerForm(kind: "flussonic", dvrDepthDays: "7", archiveForm: "flussonic", archiveStartParam: "start", archiveEndParam: "end", enabled: "on"),
                            hint: "", action: "/cms/transcoders", submit: "Add transcoder")
        return try await renderServer(req, title: "Add a transcoder", server: nil, form: vm)
    }

    static func renderServer(_ req: Request, title: String, server t: TranscoderModel?, form: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        var sections: [Section] = []
        if let t {
            sections.append(Section(title: nil, details: [
                KeyValue(key: "Status", value: t.status, mono: false),
                KeyValue(key: "Last check", value: t.checkedAt == nil ? "not checked yet" : "\(t.statusDetail) · \(try await req.dateDisplay().string(t.checkedAt))", mono: false),
            ], actions: [RowAction(label: "Test now", href: nil, postTo: "/cms/transcoders/\(t.id!)/test", danger: false),
                         RowAction(label: "History", href: "/cms/transcoders/health/transcoder/\(t.id!)", postTo: nil, danger: false),
                         RowAction(label: "Delete transcoder", href: "/cms/transcoders/\(t.id!)/delete", postTo: nil, danger: true)]))
            let hidden = StreamCallbackService.CallbackURLs(base: SettingsController.baseURL(req), key: "tvms_cb_" + t.callbackKeyHint)
            sections.append(Section(title: "Playback callback", details: t.callbackEnabled ? [
                KeyValue(key: "Status", value: "on: the server may ask TVMS about viewers", mono: false),
                KeyValue(key: "Flussonic (on_play)", value: hidden.flussonic, mono: true),
                KeyValue(key: "Nimble pay-per-view handler", value: hidden.nimble, mono: true),
                KeyValue(key: "nginx auth_request", value: hidden.nginx, mono: true),
                KeyValue(key: "WMSPanel token", value: t.ppvTokenHint.isEmpty ? "not set (syncs are not signature-checked)" : t.ppvTokenHint, mono: false),
            ] : [KeyValue(key: "Status", value: "off: tick “Authorise playback by callback” below to get the callback URL", mono: false)],
            actions: t.callbackEnabled ? [RowAction(label: "Rotate callback key", href: "/cms/transcoders/\(t.id!)/callback/rotate", postTo: nil, danger: true)] : []))
        }
        sections.append(Section(title: t == nil ? nil : "Settings", form: form))
        let vm = SectionsVM(heading: title, intro: nil, buttons: [DeliveryConsole.buttons[0]], tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: title, vm, status: status)
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(ServerForm.self)
        do {
            let t = try await DeliverySettingsService.saveTranscoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: try input(f))
            req.flash(.success, "\(t.name) added. Test it, then map channels to it under FLS Mapping.")
            if let shown = try await applyCallback(req, ctx, server: t, form: f) { return shown }
            return req.redirect(to: "/cms/transcoders", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var f = f
            f.apiSecret = nil; f.ppvToken = nil
            var vm = serverForm(f, hint: "", action: "/cms/transcoders", submit: "Add transcoder")
            vm.apply(e)
            return try await renderServer(req, title: "Add a transcoder", server: nil, form: vm, status: .unprocessableEntity)
        }
    }

    static func edit(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await renderServer(req, title: "Transcoder — \(t.name)", server: t,
                                      form: serverForm(formOf(t), hint: t.apiSecretHint, ppvHint: t.ppvTokenHint, action: "/cms/transcoders/\(t.id!)", submit: "Save transcoder"))
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let f = try req.content.decode(ServerForm.self)
        do {
            let saved = try await DeliverySettingsService.saveTranscoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: t.id!, input: try input(f))
            req.flash(.success, "\(saved.name) saved." + ((f.apiSecret ?? "").isEmpty ? "" : " The new API password is stored."))
            if let shown = try await applyCallback(req, ctx, server: saved, form: f) { return shown }
            return req.redirect(to: "/cms/transcoders", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var f = f
            f.apiSecret = nil; f.ppvToken = nil
            var vm = serverForm(f, hint: t.apiSecretHint, ppvHint: t.ppvTokenHint, action: "/cms/transcoders/\(t.id!)", submit: "Save transcoder")
            vm.apply(e)
            return try await renderServer(req, title: "Transcoder — \(t.name)", server: t, form: vm, status: .unprocessableEntity)
        }
    }

    /// Calls the server now (its API, or its base URL) and says what happened; the status column
    /// itself follows the scheduled health check.
    static func test(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let o = await StreamHealthService.checkServer(ctx.env, http: req.outboundHTTP, transcoder: t)
        let target = t.apiURL.isEmpty ? t.baseURL : t.apiURL
        if o.ok {
            req.flash(.success, "Test of \(t.name): \(o.detail) — \(target) answered \(o.httpStatus) in \(o.latencyMS) ms.")
        } else {
            req.flash(.error, "Test of \(t.name) failed: \(o.detail)" + (o.httpStatus > 0 ? " (\(target), \(o.latencyMS) ms)." : " (\(target))."))
        }
        let back = req.headers.first(name: .referer).flatMap { URL(string: $0)?.path } == "/cms/transcoders/\(t.id!)" ? "/cms/transcoders/\(t.id!)" : "/cms/transcoders"
        return req.redirect(to: back, redirectType: .normal)
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let mappings = try await StreamMappingModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$transcoderID == t.id!).count()
        let storages = try await DVRStorageModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$transcoderID == t.id!).count()
        return try await Layout.render(req, "confirm", title: "Delete transcoder", ConfirmVM(
            heading: "Delete the transcoder \(t.name)?",
            message: "Its \(mappings) stream mapping(s) and \(storages) DVR storage(s) are deleted with it. The mapped channels keep their addresses, but relative ones no longer resolve to this server, and their archive depth and health checks go.",
            action: "/cms/transcoders/\(t.id!)/delete", buttonLabel: "Delete transcoder", cancelHref: "/cms/transcoders/\(t.id!)"))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let t = try await DeliverySettingsService.transcoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        try await DeliverySettingsService.deleteTranscoder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: t.id!)
        req.flash(.success, "\(t.name) deleted with its stream mappings and DVR storages.")
        return req.redirect(to: "/cms/transcoders", redirectType: .normal)
    }

    // MARK: CDN hostnames

    struct CDNForm: Content { var baseURL: String?; var kind: String?; var priority: String?; var weight: String?; var enabled: String? }

    static func cdnForm(_ f: CDNForm, action: String, submit: String, cancel: String?) -> FormVM {
        FormVM(heading: "", intro: nil, action: action, fields: [
            Field("baseURL", "Base URL", value: f.baseURL ?? "", help: "Scheme and host, e.g. https://cdn1.example.net.", required: true),
            Field("kind", "Kind", type: "select", options: DeliveryConsole.options(DeliverySettingsService.cdnKinds, f.kind ?? "generic") { DeliveryConsole.cdnKindLabels[$0] ?? $0 }),
            Field("priority", "Priority", type: "number", value: f.priority ?? "10", help: "0–1000; lower is preferred. Hostnames of the same priority share the load by weight."),
            Field("weight", "Weight", type: "number", value: f.weight ?? "1", help: "0–1000."),
            Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
        ], submitLabel: submit, cancelHref: cancel, formError: nil)
    }

    static func cdnInput(_ f: CDNForm) throws -> DeliverySettingsService.CDNInput {
        var errors = FieldErrors()
        var i = DeliverySettingsService.CDNInput()
        i.baseURL = f.baseURL ?? ""; i.kind = f.kind ?? ""
        i.priority = DeliveryConsole.int(f.priority, "priority", empty: 10, into: &errors)
        i.weight = DeliveryConsole.int(f.weight, "weight", empty: 1, into: &errors)
        i.enabled = Bool(checkbox: f.enabled)
        try errors.throwIfAny()
        return i
    }

    static func cdnList(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await renderCDNList(req, ctx, form: nil)
    }

    static func renderCDNList(_ req: Request, _ ctx: CRMContext, form: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let hosts = try await DeliverySettingsService.cdnHostnames(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let rows = hosts.map { c in
            Row(cells: [Cell(c.baseURL, href: "/cms/transcoders/cdn/\(c.id!)"), Cell(DeliveryConsole.cdnKindLabels[c.cdnKind] ?? c.cdnKind), Cell("\(c.priority)"), Cell("\(c.weight)"),
                        Cell(c.enabled ? "Enabled" : "Disabled", badge: c.enabled ? "ok" : "muted"), DeliveryConsole.statusCell(c.status),
                        DeliveryConsole.checkedCell(c.statusDetail, c.checkedAt, ctx)],
                actions: [RowAction(label: "Edit", href: "/cms/transcoders/cdn/\(c.id!)", postTo: nil, danger: false),
                          RowAction(label: "Delete", href: "/cms/transcoders/cdn/\(c.id!)/delete", postTo: nil, danger: true)])
        }
        let vm = SectionsVM(heading: "CDN Hostnames",
                            intro: "Edge hostnames in front of the streaming servers. Relative stream addresses are handed out on the available hostnames by priority, then weight; a hostname the health check finds down is skipped.",
                            buttons: DeliveryConsole.buttons, tabs: [],
                            sections: [Section(title: nil, table: .simple(["Base URL", "Kind", "Priority", "Weight", "Enabled", "Status", "Last check"], rows, empty: "No CDN hostname yet.")),
                                       Section(title: "Add a CDN hostname", form: form ?? cdnForm(CDNForm(kind: "generic", priority: "10", weight: "1", enabled: "on"),
                                                                                              action: "/cms/transcoders/cdn", submit: "Add hostname", cancel: nil))])
        return try await Layout.render(req, "sections", title: "CDN Hostnames", vm, status: status)
    }

    static func cdnCreate(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(CDNForm.self)
        do {
            let c = try await DeliverySettingsService.saveCDN(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: try cdnInput(f))
            req.flash(.success, "\(c.baseURL) added.")
            return req.redirect(to: "/cms/transcoders/cdn", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = cdnForm(f, action: "/cms/transcoders/cdn", submit: "Add hostname", cancel: nil)
            vm.apply(e)
            return try await renderCDNList(req, ctx, form: vm, status: .unprocessableEntity)
        }
    }

    static func findCDN(_ req: Request, _ ctx: CRMContext) async throws -> CDNHostnameModel {
        let id = try req.parameters.require("id", as: Int.self)
        guard let c = try await DeliverySettingsService.cdnHostnames(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).first(where: { $0.id == id }) else {
            throw DomainError.notFound("The CDN hostname")
        }
        return c
    }

    static func renderCDN(_ req: Request, _ c: CDNHostnameModel, form: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        let vm = SectionsVM(heading: "CDN hostname — \(c.baseURL)", intro: nil, buttons: [DeliveryConsole.buttons[1]], tabs: [], sections: [
            Section(title: nil, actions: [RowAction(label: "History", href: "/cms/transcoders/health/cdn/\(c.id!)", postTo: nil, danger: false),
                                          RowAction(label: "Delete hostname", href: "/cms/transcoders/cdn/\(c.id!)/delete", postTo: nil, danger: true)]),
            Section(title: "Settings", form: form),
        ])
        return try await Layout.render(req, "sections", title: c.baseURL, vm, status: status)
    }

    static func cdnEdit(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await findCDN(req, ctx)
        let f = CDNForm(baseURL: c.baseURL, kind: c.cdnKind, priority: String(c.priority), weight: String(c.weight), enabled: c.enabled ? "on" : nil)
        return try await renderCDN(req, c, form: cdnForm(f, action: "/cms/transcoders/cdn/\(c.id!)", submit: "Save hostname", cancel: "/cms/transcoders/cdn"))
    }

    static func cdnUpdate(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await findCDN(req, ctx)
        let f = try req.content.decode(CDNForm.self)
        do {
            let saved = try await DeliverySettingsService.saveCDN(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: c.id!, input: try cdnInput(f))
            req.flash(.success, "\(saved.baseURL) saved.")
            return req.redirect(to: "/cms/transcoders/cdn", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = cdnForm(f, action: "/cms/transcoders/cdn/\(c.id!)", submit: "Save hostname", cancel: "/cms/transcoders/cdn")
            vm.apply(e)
            return try await renderCDN(req, c, form: vm, status: .unprocessableEntity)
        }
    }

    static func cdnConfirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await findCDN(req, ctx)
        return try await Layout.render(req, "confirm", title: "Delete CDN hostname", ConfirmVM(
            heading: "Delete the CDN hostname \(c.baseURL)?",
            message: "Devices are no longer sent to it; stream addresses are handed out on the remaining hostnames (or the streaming servers themselves when none is left). Its check history goes too.",
            action: "/cms/transcoders/cdn/\(c.id!)/delete", buttonLabel: "Delete hostname", cancelHref: "/cms/transcoders/cdn"))
    }

    static func cdnDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let c = try await findCDN(req, ctx)
        try await DeliverySettingsService.deleteCDN(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: c.id!)
        req.flash(.success, "\(c.baseURL) deleted.")
        return req.redirect(to: "/cms/transcoders/cdn", redirectType: .normal)
    }

    // MARK: DVR storage

    struct DVRForm: Content { var transcoderID: String?; var name: String?; var path: String?; var capacityGB: String?; var usedGB: String?; var retentionDays: String? }

    static func dvrForm(_ f: DVRForm, servers: [TranscoderModel], action: String, submit: String, cancel: String?) -> FormVM {
        FormVM(heading: "", intro: servers.isEmpty ? "Add a transcoder first: a DVR storage belongs to one." : nil, action: action, fields: [
            Field("transcoderID", "Transcoder", type: "select", options: servers.map { FieldOption(value: String($0.id!), label: $0.name, selected: String($0.id!) == f.transcoderID) }),
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("path", "Path", value: f.path ?? "", help: "Where the server keeps the archive, e.g. /storage/dvr1."),
            Field("capacityGB", "Capacity (GB)", type: "number", value: f.capacityGB ?? "1000"),
            Field("usedGB", "Used (GB)", type: "number", value: f.usedGB ?? "0"),
            Field("retentionDays", "Retention (days)", type: "number", value: f.retentionDays ?? "7"),
        ], submitLabel: submit, cancelHref: cancel, formError: nil)
    }

    static func dvrInput(_ f: DVRForm) throws -> DeliverySettingsService.DVRInput {
        var errors = FieldErrors()
        var i = DeliverySettingsService.DVRInput()
        guard let server = Int(f.transcoderID ?? "") else { throw DomainError.validation(["transcoderID": "choose the transcoder the storage belongs to"]) }
        i.transcoderID = server
        i.name = f.name ?? ""; i.path = (f.path ?? "").trimmingCharacters(in: .whitespaces)
        i.capacityGB = DeliveryConsole.int(f.capacityGB, "capacityGB", empty: 0, into: &errors)
        i.usedGB = DeliveryConsole.int(f.usedGB, "usedGB", empty: 0, into: &errors)
        i.retentionDays = DeliveryConsole.int(f.retentionDays, "retentionDays", empty: 0, into: &errors)
        try errors.throwIfAny()
        return i
    }

    static func dvrList(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await renderDVRList(req, ctx, form: nil)
    }

    static func usage(_ d: DVRStorageModel) -> Cell {
        let percent = d.capacityGB > 0 ? Int((Double(d.usedGB) / Double(d.capacityGB) * 100).rounded()) : 0
        return Cell("\(d.usedGB) of \(d.capacityGB) GB", meter: percent)
    }

    static func renderDVRList(_ req: Request, _ ctx: CRMContext, form: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let storages = try await DeliverySettingsService.dvrStorages(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let names = Dictionary(uniqueKeysWithValues: servers.map { ($0.id!, $0.name) })
        let rows = storages.map { d in
            Row(cells: [Cell(d.name, href: "/cms/transcoders/dvr/\(d.id!)"), Cell(names[d.transcoderID] ?? "?"), Cell(d.path, mono: true), usage(d), Cell("\(d.retentionDays) d")],
                actions: [RowAction(label: "Edit", href: "/cms/transcoders/dvr/\(d.id!)", postTo: nil, danger: false),
                          RowAction(label: "Delete", href: "/cms/transcoders/dvr/\(d.id!)/delete", postTo: nil, danger: true)])
        }
        let vm = SectionsVM(heading: "DVR Storage", intro: "Where the streaming servers keep archives (catch-up) and cloud-PVR recordings.",
                            buttons: DeliveryConsole.buttons, tabs: [],
                            sections: [Section(title: nil, table: .simple(["Name", "Transcoder", "Path", "Used", "Retention"], rows, empty: "No DVR storage yet.")),
                                       Section(title: "Add a DVR storage", form: form ?? dvrForm(DVRForm(transcoderID: servers.first.map { String($0.id!) }), servers: servers,
                                                                                             action: "/cms/transcoders/dvr", submit: "Add storage", cancel: nil))])
        return try await Layout.render(req, "sections", title: "DVR Storage", vm, status: status)
    }

    static func dvrCreate(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(DVRForm.self)
        do {
            let d = try await DeliverySettingsService.saveDVR(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: try dvrInput(f))
            req.flash(.success, "\(d.name) added.")
            return req.redirect(to: "/cms/transcoders/dvr", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
            var vm = dvrForm(f, servers: servers, action: "/cms/transcoders/dvr", submit: "Add storage", cancel: nil)
            vm.apply(e)
            return try await renderDVRList(req, ctx, form: vm, status: .unprocessableEntity)
        }
    }

    static func findDVR(_ req: Request, _ ctx: CRMContext) async throws -> DVRStorageModel {
        let id = try req.parameters.require("id", as: Int.self)
        guard let d = try await DeliverySettingsService.dvrStorages(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).first(where: { $0.id == id }) else {
            throw DomainError.notFound("The DVR storage")
        }
        return d
    }

    static func renderDVR(_ req: Request, _ d: DVRStorageModel, form: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        let vm = SectionsVM(heading: "DVR storage — \(d.name)", intro: nil, buttons: [DeliveryConsole.buttons[2]], tabs: [], sections: [
            Section(title: nil, table: .simple(["Used", "Retention"], [Row(cells: [usage(d), Cell("\(d.retentionDays) d")], actions: [])], empty: ""),
                    actions: [RowAction(label: "Delete storage", href: "/cms/transcoders/dvr/\(d.id!)/delete", postTo: nil, danger: true)]),
            Section(title: "Settings", form: form),
        ])
        return try await Layout.render(req, "sections", title: d.name, vm, status: status)
    }

    static func dvrFormOf(_ d: DVRStorageModel) -> DVRForm {
        DVRForm(transcoderID: String(d.transcoderID), name: d.name, path: d.path, capacityGB: String(d.capacityGB), usedGB: String(d.usedGB), retentionDays: String(d.retentionDays))
    }

    static func dvrEdit(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let d = try await findDVR(req, ctx)
        let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        return try await renderDVR(req, d, form: dvrForm(dvrFormOf(d), servers: servers, action: "/cms/transcoders/dvr/\(d.id!)", submit: "Save storage", cancel: "/cms/transcoders/dvr"))
    }

    static func dvrUpdate(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let d = try await findDVR(req, ctx)
        let f = try req.content.decode(DVRForm.self)
        do {
            let saved = try await DeliverySettingsService.saveDVR(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: d.id!, input: try dvrInput(f))
            req.flash(.success, "\(saved.name) saved.")
            return req.redirect(to: "/cms/transcoders/dvr", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            let servers = try await DeliverySettingsService.transcoders(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
            var vm = dvrForm(f, servers: servers, action: "/cms/transcoders/dvr/\(d.id!)", submit: "Save storage", cancel: "/cms/transcoders/dvr")
            vm.apply(e)
            return try await renderDVR(req, d, form: vm, status: .unprocessableEntity)
        }
    }

    static func dvrConfirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let d = try await findDVR(req, ctx)
        return try await Layout.render(req, "confirm", title: "Delete DVR storage", ConfirmVM(
            heading: "Delete the DVR storage \(d.name)?",
            message: "Only the entry in TVMS is deleted; the files on the server stay where they are (\(d.path.isEmpty ? "no path given" : d.path)).",
            action: "/cms/transcoders/dvr/\(d.id!)/delete", buttonLabel: "Delete storage", cancelHref: "/cms/transcoders/dvr"))
    }

    static func dvrDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let d = try await findDVR(req, ctx)
        try await DeliverySettingsService.deleteDVR(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: d.id!)
        req.flash(.success, "\(d.name) deleted.")
        return req.redirect(to: "/cms/transcoders/dvr", redirectType: .normal)
    }
}
