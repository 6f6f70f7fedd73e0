import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

extension Request {
    /// What every UIT page needs: the UIT permission in the deployment being worked in.
    func uit() async throws -> CRMContext {
        let actor = try self.actor
        try actor.require(.uit)
        let d = try await requireCurrentDeployment()
        try actor.require(.uit, in: d.requireID())
        return CRMContext(env: serviceEnvironment, actor: actor, deployment: d, dates: DateDisplay(timeZone: d.timeZone))
    }

    /// A UI id from the path; anything that is not a UUID is simply not found.
    func uiID() throws -> UUID {
        guard let raw = parameters.get("id"), let id = UUID(uuidString: raw) else { throw DomainError.notFound("The user interface") }
        return id
    }
}

/// UIT › User Interfaces: the list, Add a User Interface, the editor with its live preview
/// (drawn by `UIPreviewPage`) and the published versions.
enum UserInterfacesController {
    static let base = "/uit/user-interfaces"

    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("uit", "user-interfaces").grouped(RequirePermission(permission: .uit))
        r.get(use: list)
        r.post(use: create)
        r.get(":id", use: edit)
        r.on(.POST, ":id", body: .collect(maxSize: "6mb"), use: save)
        r.post(":id", "default", use: makeDefault)
        r.post(":id", "delete", use: delete)
        r.get(":id", "versions", ":version", use: version)
        UIPreviewPage.register(r)
        MenuAppsController.register(console)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let uis = try await UserInterfaceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var rows: [Row] = []
        for ui in uis {
            let config = try UserInterfaceService.decode(ui.config)
            let users = try await UserInterfaceService.usedBy(req.db, deploymentID: ctx.deploymentID, id: ui.id!)
            rows.append(Row(cells: [Cell(ui.name, href: "\(base)/\(ui.id!.uuidString.lowercased())"), Cell(UITemplate.named(ui.template)?.name ?? ui.template),
                                    Cell(config.languages.joined(separator: ", ")), Cell("v\(ui.version)", mono: true),
                                    Cell(ui.isDefault ? "default" : "", badge: ui.isDefault ? "ok" : nil), Cell(users.isEmpty ? "—" : users.joined(separator: ", "), wrap: true)],
                            actions: [RowAction(label: "Edit", href: "\(base)/\(ui.id!.uuidString.lowercased())", postTo: nil, danger: false),
                                      RowAction(label: "Menu Apps", href: "\(base)/\(ui.id!.uuidString.lowercased())/menu", postTo: nil, danger: false)]
                                + (ui.isDefault ? [] : [RowAction(label: "Make default", href: nil, postTo: "\(base)/\(ui.id!.uuidString.lowercased())/default", danger: false)])))
        }
        let add = FormVM(heading: "", intro: nil, action: base, fields: [
            Field("name", "Name", required: true),
            Field("template", "Template", type: "select", options: UITemplate.all.map { FieldOption(value: $0.id, label: "\($0.name) — \($0.summary)", selected: $0 == .default) },
                  help: "The layout family; see UIT › Templates. Colours start from the template's and can be changed."),
        ], submitLabel: "Add a User Interface", cancelHref: nil, formError: nil)
        let vm = SectionsVM(heading: "User Interfaces", intro: "What the TV apps look like. Products choose their user interface; the default one is what a new product gets. Every save publishes a new version that apps pick up by its ETag.",
                            buttons: [Button(label: "Templates", href: "/uit/templates", primary: false), Button(label: "Languages", href: "/uit/languages", primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["Name", "Template", "Languages", "Version", "", "Used by"], rows, empty: "No user interface yet. Add one below.")),
                                       Section(title: "Add a User Interface", form: add)])
        return try await Layout.render(req, "sections", title: "User Interfaces", vm)
    }

    struct NewForm: Content { var name: String?; var template: String? }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let f = try req.content.decode(NewForm.self)
        do {
            let ui = try await UserInterfaceService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, name: f.name ?? "", template: f.template ?? "")
            req.flash(.success, "\(ui.name) created from \(UITemplate.named(ui.template)?.name ?? ui.template). Adjust it and save to publish.")
            return req.redirect(to: "\(base)/\(ui.id!.uuidString.lowercased())", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            req.flash(.error, e.flashText)
            return req.redirect(to: base, redirectType: .normal)
        }
    }

    // MARK: Editor

    /// The editor's form: one multipart form for everything but the menu (its own page).
    struct EditForm: Content {
        var name: String?; var template: String?
        var colour_primary: String?; var colour_secondary: String?; var colour_background: String?; var colour_surface: String?; var colour_text: String?
        var rtl: String?; var defaultLanguage: String?; var languages: [String]?
        var logo: File?; var removeLogo: String?; var background: File?; var removeBackground: String?
        var startChannel: String?; var zapBannerSeconds: String?; var clockFormat: String?; var startDirectToTV: String?
        var parentalMaxRating: String?; var pinForLocked: String?; var sleepMinutes: String?
    }

    struct Group: Encodable { var title: String; var intro: String?; var fields: [Field] }

    struct EditorVM: Encodable {
        var heading: String
        var action: String
        var groups: [Group]
        var formError: String?
        var previewSrc: String
        var previewLinks: [Button]
        var links: [Button]
        var versions: [Row]
        var deleteAction: String
        var usedBy: String?
        var version: Int
    }

    static func formOf(_ ui: UserInterfaceModel, _ c: UIConfig) -> [String: String] {
        var v: [String: String] = ["name": ui.name, "template": c.template, "rtl": c.rtl ? "on" : "", "defaultLanguage": c.defaultLanguage,
                                   "startChannel": c.behaviour.startChannel.map(String.init) ?? "", "zapBannerSeconds": String(c.behaviour.zapBannerSeconds),
                                   "clockFormat": c.behaviour.clockFormat.rawValue, "startDirectToTV": c.behaviour.startDirectToTV ? "on" : "",
                                   "parentalMaxRating": c.behaviour.parentalMaxRating.map(String.init) ?? "", "pinForLocked": c.behaviour.pinForLocked ? "on" : "",
                                   "sleepMinutes": String(c.behaviour.sleepMinutes)]
        for n in UIColours.names { v["colour_" + n] = c.colours[n] }
        for (i, r) in c.rails.enumerated() {
            v["rail_\(r.key)_order"] = String(i + 1)
            v["rail_\(r.key)_on"] = r.enabled ? "on" : ""
        }
        return v
    }

    static func editor(_ req: Request, _ ctx: CRMContext, _ ui: UserInterfaceModel, values: [String: String], languages chosen: [String], error: DomainError?) async throws -> Response {
        let offered = try await TranslationService.languages(ctx.env, deploymentID: ctx.deploymentID)
        let config = try UserInterfaceService.decode(ui.config)
        func f(_ name: String, _ label: String, type: String = "text", help: String? = nil, required: Bool = false, options: [FieldOption] = []) -> Field {
            Field(name, label, type: type, value: values[name] ?? "", options: options, help: help, required: required)
        }
        let colourHelp = ["primary": "Buttons and highlights.", "secondary": "The focus / selection colour.", "background": "Behind everything.",
                          "surface": "Cards, the menu bar, dialogs.", "text": "Text on background and surface."]
        var railFields: [Field] = []
        for key in config.rails.map(\.key) + HomeRail.allCases.map(\.rawValue).filter({ k in !config.rails.contains { $0.key == k } }) {
            railFields.append(f("rail_\(key)_on", "Show “\(key.replacingOccurrences(of: "_", with: " "))”", type: "checkbox"))
            railFields.append(f("rail_\(key)_order", "Position of \(key.replacingOccurrences(of: "_", with: " "))", type: "number"))
        }
        var groups = [
            Group(title: "General", intro: nil, fields: [
                f("name", "Name", required: true),
                f("template", "Template", type: "select", help: "Menu placement, tile shape and hero come from the template (UIT › Templates).",
                  options: UITemplate.all.map { FieldOption(value: $0.id, label: $0.name, selected: $0.id == (values["template"] ?? "")) }),
                Field("languages[]", "Languages", type: "checkboxes", options: offered.map { FieldOption(value: $0.code, label: "\($0.name) (\($0.code))\($0.rtl ? " · RTL" : "")", selected: chosen.contains($0.code)) },
                      help: "The languages offered on the start screen. Add languages under UIT › Languages."),
                f("defaultLanguage", "Default language", type: "select", options: offered.map { FieldOption(value: $0.code, label: $0.name, selected: $0.code == values["defaultLanguage"]) }),
                f("rtl", "Right-to-left layout in every language", type: "checkbox", help: "Usually off: a right-to-left language (Arabic, Persian, Hebrew) turns the layout around by itself."),
            ]),
            Group(title: "Colours", intro: "Each as #RRGGBB.", fields: UIColours.names.map { f("colour_" + $0, $0.prefix(1).uppercased() + $0.dropFirst(), help: colourHelp[$0], required: true) }),
            Group(title: "Artwork", intro: "PNG, JPEG or WebP, checked like channel logos: logo at most 512 KiB and 1024 px, background at most 2 MiB and 3840 px.", fields:
                [Field("logo", ui.logoID == nil ? "Logo" : "Replace the logo", type: "file")]
                + (ui.logoID == nil ? [] : [f("removeLogo", "Remove the logo", type: "checkbox")])
                + [Field("background", ui.backgroundID == nil ? "Background" : "Replace the background", type: "file")]
                + (ui.backgroundID == nil ? [] : [f("removeBackground", "Remove the background", type: "checkbox")])),
            Group(title: "Home rails", intro: "Ticked rails appear on the home screen, in the order of their positions.", fields: railFields),
            Group(title: "Player and behaviour", intro: nil, fields: [
                f("startChannel", "Start channel", type: "number", help: "Channel number the player opens on; empty = the last one watched."),
                f("zapBannerSeconds", "Zapping banner (seconds)", type: "number", help: "How long the channel banner stays after a zap, 1–30."),
                f("clockFormat", "Clock format", type: "select", options: UIConfig.Behaviour.ClockFormat.allCases.map {
                    FieldOption(value: $0.rawValue, label: $0 == .h24 ? "24 hours" : "12 hours (AM/PM)", selected: $0.rawValue == values["clockFormat"]) }),
                f("startDirectToTV", "Start directly in live TV", type: "checkbox"),
                f("parentalMaxRating", "Parental age limit", type: "number", help: "Items rated above this ask for the PIN by default; empty = no limit."),
                f("pinForLocked", "Ask the PIN for locked content", type: "checkbox"),
                f("sleepMinutes", "Sleep timer (minutes)", type: "number", help: "0 = off."),
            ]),
        ]
        var formError: String? = nil
        if let error {
            var all = FormVM(heading: "", intro: nil, action: "", fields: groups.flatMap(\.fields), submitLabel: "", cancelHref: nil, formError: nil)
            all.apply(error)
            formError = all.formError
            var i = 0
            for g in groups.indices { for j in groups[g].fields.indices { groups[g].fields[j] = all.fields[i]; i += 1 } }
        }
        for g in groups.indices { for j in groups[g].fields.indices { groups[g].fields[j].domID = "f-\(groups[g].fields[j].name)" } }
        let versions = try await UserInterfaceService.versions(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: ui.id!).prefix(10).map { v in
            Row(cells: [Cell("v\(v.version)", mono: true), Cell(ctx.dates.string(v.publishedAt)), Cell(v.publishedBy)],
                actions: [RowAction(label: "JSON", href: "\(base)/\(ui.id!.uuidString.lowercased())/versions/\(v.version)", postTo: nil, danger: false)])
        }
        let users = try await UserInterfaceService.usedBy(req.db, deploymentID: ctx.deploymentID, id: ui.id!)
        let vm = EditorVM(heading: "User Interface — \(ui.name)", action: "\(base)/\(ui.id!.uuidString.lowercased())", groups: groups, formError: formError,
                          previewSrc: "\(base)/\(ui.id!.uuidString.lowercased())/preview?lang=\(config.defaultLanguage)",
                          previewLinks: config.languages.compactMap { code in offered.first { $0.code == code } }.map {
                              Button(label: $0.name, href: "\(base)/\(ui.id!.uuidString.lowercased())/preview?lang=\($0.code)", primary: $0.code == config.defaultLanguage) },
                          links: [Button(label: "User Interfaces", href: base, primary: false), Button(label: "Menu Apps", href: "\(base)/\(ui.id!.uuidString.lowercased())/menu", primary: false),
                                  Button(label: "Texts of this UI", href: "/uit/languages/\(config.defaultLanguage)?ui=\(ui.id!.uuidString.lowercased())", primary: false)],
                          versions: Array(versions), deleteAction: "\(base)/\(ui.id!.uuidString.lowercased())/delete", usedBy: users.isEmpty ? nil : users.joined(separator: ", "), version: ui.version)
        return try await Layout.render(req, "uit-editor", title: ui.name, vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func edit(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let ui = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
        let config = try UserInterfaceService.decode(ui.config)
        return try await editor(req, ctx, ui, values: formOf(ui, config), languages: config.languages, error: nil)
    }

    /// The form's values onto the stored config (the menu is kept: Menu Apps edits it).
    static func config(from f: EditForm, values: [String: String], onto old: UIConfig) -> UIConfig {
        var c = old
        c.template = f.template ?? c.template
        c.colours = UIColours(primary: f.colour_primary ?? "", secondary: f.colour_secondary ?? "", background: f.colour_background ?? "",
                              surface: f.colour_surface ?? "", text: f.colour_text ?? "")
        c.rtl = Bool(checkbox: f.rtl)
        c.languages = f.languages ?? []
        c.defaultLanguage = f.defaultLanguage ?? ""
        func int(_ s: String?) -> Int? { Int((s ?? "").trimmingCharacters(in: .whitespaces)) }
        func optional(_ s: String?) -> Int?? {
            let t = (s ?? "").trimmingCharacters(in: .whitespaces)
            return t.isEmpty ? .some(nil) : Int(t).map { .some($0) }
        }
        // A number that does not parse becomes an out-of-range value, so the check names the field.
        c.behaviour.startChannel = optional(f.startChannel) ?? -1
        c.behaviour.zapBannerSeconds = int(f.zapBannerSeconds) ?? -1
        c.behaviour.clockFormat = UIConfig.Behaviour.ClockFormat(rawValue: f.clockFormat ?? "") ?? c.behaviour.clockFormat
        c.behaviour.startDirectToTV = Bool(checkbox: f.startDirectToTV)
        c.behaviour.parentalMaxRating = optional(f.parentalMaxRating) ?? -1
        c.behaviour.pinForLocked = Bool(checkbox: f.pinForLocked)
        c.behaviour.sleepMinutes = int(f.sleepMinutes) ?? -1
        let keys = old.rails.map(\.key) + HomeRail.allCases.map(\.rawValue).filter { k in !old.rails.contains { $0.key == k } }
        let ordered = keys.enumerated().map { i, k in (k, Int(values["rail_\(k)_order"] ?? "") ?? (i + 1), i) }.sorted { ($0.1, $0.2) < ($1.1, $1.2) }
        c.rails = ordered.map { k, _, _ in UIConfig.RailEntry(key: k, enabled: Bool(checkbox: values["rail_\(k)_on"]), labels: old.rails.first { $0.key == k }?.labels ?? [:]) }
        return c
    }

    static func save(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let ui = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
        let f = try req.content.decode(EditForm.self)
        // Rail fields are named after the rails (rail_<key>_on), so they are read as plain values.
        var values: [String: String] = [:]
        for key in HomeRail.allCases.map(\.rawValue) {
            for suffix in ["on", "order"] { values["rail_\(key)_\(suffix)"] = try? req.content.get(String.self, at: "rail_\(key)_\(suffix)") }
        }
        let c = config(from: f, values: values, onto: try UserInterfaceService.decode(ui.config))
        var input = UserInterfaceService.Input(name: f.name ?? "", config: c)
        input.logo = f.logo.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        input.background = f.background.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        input.removeLogo = Bool(checkbox: f.removeLogo)
        input.removeBackground = Bool(checkbox: f.removeBackground)
        do {
            let saved = try await UserInterfaceService.update(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: ui.id!, input: input)
            req.flash(.success, "\(saved.name) saved and published as version \(saved.version).")
            return req.redirect(to: "\(base)/\(ui.id!.uuidString.lowercased())", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            // Show what was typed, with the messages beside the fields; nothing was saved.
            var typed = formOf(ui, c)
            typed["name"] = f.name ?? ""
            for n in UIColours.names { typed["colour_" + n] = c.colours[n] }
            for (k, v) in ["startChannel": f.startChannel, "zapBannerSeconds": f.zapBannerSeconds, "parentalMaxRating": f.parentalMaxRating, "sleepMinutes": f.sleepMinutes] {
                typed[k] = v ?? ""
            }
            return try await editor(req, ctx, ui, values: typed, languages: c.languages, error: e)
        }
    }

    static func makeDefault(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        return try await req.flashing(redirectTo: base) {
            try await UserInterfaceService.makeDefault(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
            return "Default user interface changed. New products get it when none is chosen."
        }
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let id = try req.uiID()
        do {
            try await UserInterfaceService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            req.flash(.success, "User interface deleted.")
            return req.redirect(to: base, redirectType: .normal)
        } catch let e as DomainError where e.kind == .conflict {
            req.flash(.error, e.flashText)
            return req.redirect(to: "\(base)/\(id)", redirectType: .normal)
        }
    }

    /// A published version's JSON, exactly as the apps got it.
    static func version(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        guard let n = req.parameters.get("version", as: Int.self) else { throw DomainError.notFound("The version") }
        guard let v = try await UserInterfaceService.versions(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID()).first(where: { $0.version == n }) else {
            throw DomainError.notFound("The version")
        }
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: "application/json; charset=utf-8")
        return Response(status: .ok, headers: headers, body: .init(string: v.document))
    }
}
