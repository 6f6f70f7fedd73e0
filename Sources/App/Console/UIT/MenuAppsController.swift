import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// UIT › Menu Apps: the main menu of each UI — which built-in sections show, in which order,
/// their labels per language, and native-app entries (package name or URL). It edits the same
/// `UIConfig` as the editor, so every save publishes a new version too.
enum MenuAppsController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("uit").grouped(RequirePermission(permission: .uit))
        r.get("menu-apps", use: index)
        r.get("user-interfaces", ":id", "menu", use: page)
        r.post("user-interfaces", ":id", "menu", use: save)
        r.post("user-interfaces", ":id", "menu", "apps", use: addApp)
        r.post("user-interfaces", ":id", "menu", "apps", ":slug", "remove", use: removeApp)
    }

    static func path(_ id: UUID) -> String { "\(UserInterfacesController.base)/\(id.uuidString.lowercased())/menu" }

    /// The nav item: one row per UI with what its menu shows.
    static func index(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let uis = try await UserInterfaceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let rows = try uis.map { ui -> Row in
            let c = try UserInterfaceService.decode(ui.config)
            let on = c.menu.filter(\.enabled)
            return Row(cells: [Cell(ui.name, href: path(ui.id!)), Cell(on.map { $0.isApp ? ($0.name ?? $0.key) : $0.key }.joined(separator: " · "), wrap: true),
                               Cell("\(c.menu.filter(\.isApp).count)")],
                       actions: [RowAction(label: "Edit menu", href: path(ui.id!), postTo: nil, danger: false)])
        }
        let vm = SectionsVM(heading: "Menu Apps", intro: "The main menu of each user interface: built-in sections and native apps, in order, with a label per language.",
                            buttons: [Button(label: "User Interfaces", href: UserInterfacesController.base, primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["User interface", "Menu (shown, in order)", "Native apps"], rows, empty: "No user interface yet: add one under UIT › User Interfaces."))])
        return try await Layout.render(req, "sections", title: "Menu Apps", vm)
    }

    struct LabelInput: Encodable { var name: String; var value: String; var placeholder: String; var language: String }
    struct EntryVM: Encodable {
        var index: Int; var key: String; var title: String; var order: Int; var enabled: Bool; var isApp: Bool
        var detail: String; var labels: [LabelInput]; var removeAction: String?
    }
    struct MenuVM: Encodable {
        var heading: String; var action: String; var languages: [String]; var entries: [EntryVM]
        var links: [Button]; var addApp: FormVM; var formError: String?
    }

    static func page(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let ui = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
        return try await render(req, ctx, ui, config: try UserInterfaceService.decode(ui.config), error: nil, appValues: [:])
    }

    static func render(_ req: Request, _ ctx: CRMContext, _ ui: UserInterfaceModel, config: UIConfig, error: DomainError?, appValues: [String: String]) async throws -> Response {
        let layers = try await TranslationService.layers(req.db, deploymentID: ctx.deploymentID, ui: ui.id!)
        let languages = try await TranslationService.languages(ctx.env, deploymentID: ctx.deploymentID).filter { config.languages.contains($0.code) }
        let entries = config.menu.enumerated().map { i, m in
            EntryVM(index: i, key: m.key, title: m.isApp ? (m.name ?? m.key) : (layers.text("en", "menu." + m.key) ?? m.key), order: i + 1, enabled: m.enabled, isApp: m.isApp,
                    detail: m.isApp ? [m.packageName, m.url].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " · ") : "built-in section",
                    labels: languages.map { l in
                        LabelInput(name: "label_\(i)_\(l.code)", value: m.labels[l.code] ?? "",
                                   placeholder: m.isApp ? (m.name ?? "") : (layers.text(l.code, "menu." + m.key) ?? ""), language: l.name)
                    },
                    removeAction: m.isApp ? "\(path(ui.id!))/apps/\(m.key.dropFirst(4))/remove" : nil)
        }
        var add = FormVM(heading: "", intro: "Opens another app from the menu: give its Android/iOS package name, or an address for web and Smart TVs.",
                         action: "\(path(ui.id!))/apps", fields: [
                            Field("name", "Name", value: appValues["name"] ?? "", help: "Shown as its label until you type labels per language.", required: true),
                            Field("slug", "Key", value: appValues["slug"] ?? "", help: "Letters, digits, - or _; the apps see app:<key>.", required: true),
                            Field("packageName", "Package name", value: appValues["packageName"] ?? "", help: "e.g. com.example.weather"),
                            Field("url", "URL", value: appValues["url"] ?? "", help: "https://…"),
                         ], submitLabel: "Add native app", cancelHref: nil, formError: nil)
        var formError: String? = nil
        if let error {
            if appValues.isEmpty { formError = error.flashText } else { add.apply(error) }
        }
        let vm = MenuVM(heading: "Menu Apps — \(ui.name)", action: path(ui.id!), languages: languages.map(\.name), entries: entries,
                        links: [Button(label: "Edit \(ui.name)", href: "\(UserInterfacesController.base)/\(ui.id!.uuidString.lowercased())", primary: false),
                                Button(label: "Menu Apps", href: "/uit/menu-apps", primary: false)],
                        addApp: add, formError: formError)
        return try await Layout.render(req, "uit-menu", title: "Menu Apps", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    /// Order, visibility and labels of every entry, from the table's inputs.
    static func save(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let ui = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
        let values = try req.formValues()
        var config = try UserInterfaceService.decode(ui.config)
        let ordered = config.menu.enumerated().map { i, m -> (Int, Int, UIConfig.MenuEntry) in
            var m = m
            m.enabled = Bool(checkbox: values["on_\(i)"])
            for lang in config.languages { m.labels[lang] = values["label_\(i)_\(lang)"] ?? m.labels[lang] }
            return (Int((values["order_\(i)"] ?? "").trimmingCharacters(in: .whitespaces)) ?? (i + 1), i, m)
        }.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        config.menu = ordered.map(\.2)
        return try await store(req, ctx, ui, config: config, success: "Menu saved", appValues: [:])
    }

    static func store(_ req: Request, _ ctx: CRMContext, _ ui: UserInterfaceModel, config: UIConfig, success: String, appValues: [String: String]) async throws -> Response {
        do {
            let saved = try await UserInterfaceService.update(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: ui.id!, input: .init(name: ui.name, config: config))
            req.flash(.success, "\(success); \(saved.name) published as version \(saved.version).")
            return req.redirect(to: path(ui.id!), redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await render(req, ctx, ui, config: config, error: e, appValues: appValues)
        }
    }

    struct AppForm: Content { var name: String?; var slug: String?; var packageName: String?; var url: String? }

    static func addApp(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let ui = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
        let f = try req.content.decode(AppForm.self)
        var config = try UserInterfaceService.decode(ui.config)
        let slug = (f.slug ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let values = ["name": f.name ?? "", "slug": f.slug ?? "", "packageName": f.packageName ?? "", "url": f.url ?? ""]
        if config.menu.contains(where: { $0.key == "app:" + slug }) {
            return try await render(req, ctx, ui, config: config, error: .validation(["slug": "app:\(slug) is already in the menu"]), appValues: values)
        }
        let name = (f.name ?? "").trimmingCharacters(in: .whitespaces)
        let entry = UIConfig.MenuEntry(key: "app:" + slug, enabled: true, labels: [:], name: name,
                                       packageName: (f.packageName ?? "").trimmingCharacters(in: .whitespaces), url: (f.url ?? "").trimmingCharacters(in: .whitespaces))
        // The menu check speaks of "menu"; the form's fields get the messages.
        var problems: [String: String] = [:]
        if slug.isEmpty || !slug.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) { problems["slug"] = "must be letters, digits, - or _" }
        if name.isEmpty { problems["name"] = "is required" }
        if entry.packageName!.isEmpty && entry.url!.isEmpty { problems["packageName"] = "or a URL is required" }
        if !entry.packageName!.isEmpty && !UIConfig.isPackageName(entry.packageName!) { problems["packageName"] = "must look like com.example.app" }
        if !entry.url!.isEmpty && !(entry.url!.hasPrefix("https://") || entry.url!.hasPrefix("http://")) { problems["url"] = "must be an http(s) address" }
        if !problems.isEmpty { return try await render(req, ctx, ui, config: config, error: .validation(problems), appValues: values) }
        config.menu.append(entry)
        return try await store(req, ctx, ui, config: config, success: "\(name) added to the menu", appValues: values)
    }

    static func removeApp(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let ui = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.uiID())
        let key = "app:" + (req.parameters.get("slug") ?? "")
        var config = try UserInterfaceService.decode(ui.config)
        guard config.menu.contains(where: { $0.key == key }) else { throw DomainError.notFound("The menu app") }
        config.menu.removeAll { $0.key == key }
        return try await store(req, ctx, ui, config: config, success: "\(key) removed from the menu", appValues: [:])
    }
}
