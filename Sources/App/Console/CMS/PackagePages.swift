import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The words and places of one CMS section, shared by its package, PPV-rule and item pages.
struct CMSSection: Sendable {
    /// The package kind (and PPV-rule section) of this part of the menu.
    let kind: ContentKind
    /// "/cms/movies"
    let base: String
    /// "/cms/packages" for channels (the manual's TV Packages), "{base}/packages" otherwise.
    let packagesPath: String
    /// "TV Package", "Movie Package", …
    let packageNoun: String
    /// "channel", "movie", "series", "album", "course", "app"
    let itemNoun: String
    let itemsNoun: String

    static let channels = CMSSection(kind: .channel, base: "/cms/channels", packagesPath: "/cms/packages", packageNoun: "TV Package", itemNoun: "channel", itemsNoun: "channels")
    static let movies = CMSSection(kind: .movie, base: "/cms/movies", packagesPath: "/cms/movies/packages", packageNoun: "Movie Package", itemNoun: "movie", itemsNoun: "movies")
    static let series = CMSSection(kind: .series, base: "/cms/series", packagesPath: "/cms/series/packages", packageNoun: "Series Package", itemNoun: "series", itemsNoun: "series")
    static let music = CMSSection(kind: .music, base: "/cms/music", packagesPath: "/cms/music/packages", packageNoun: "Music Package", itemNoun: "album", itemsNoun: "albums")
    static let education = CMSSection(kind: .course, base: "/cms/education", packagesPath: "/cms/education/packages", packageNoun: "Education Package", itemNoun: "course", itemsNoun: "courses")
    static let apps = CMSSection(kind: .app, base: "/cms/apps", packagesPath: "/cms/apps/packages", packageNoun: "App Package", itemNoun: "app", itemsNoun: "apps")

    static let vod = [movies, series, music, education, apps]

    static func of(_ kind: VoDKind) -> CMSSection {
        let root = kind.parent?.parent ?? kind.parent ?? kind
        return vod.first { $0.kind == root.packageKind } ?? movies
    }

    var label: String { kind.label }
    var capitalisedItems: String { itemsNoun.prefix(1).uppercased() + itemsNoun.dropFirst() }
}

/// CMS › {Channels, Movies, Series, Music, Education, Apps} › Packages: the business units
/// products sell, with a filtered picker to add items.
enum PackagePages {
    static func register(_ console: any RoutesBuilder, _ s: CMSSection) {
        let p = console.grouped(s.packagesPath.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }).grouped(RequirePermission(permission: .cms))
        p.get { try await list($0, s) }
        p.post { try await create($0, s) }
        p.get(":id") { try await show($0, s) }
        p.post(":id", "items") { try await addItems($0, s) }
        p.post(":id", "items", ":item", "remove") { try await removeItem($0, s) }
        p.post(":id", "delete") { try await delete($0, s) }
    }

    /// One pickable item: id, the label shown, and a link to it.
    struct Item { var id: Int; var number: Int? = nil; var name: String; var href: String; var soldByPPV = false
        var label: String { number.map { "\($0) \(name)" } ?? name }
    }

    /// Items of the section by id, or those matching a search (for the picker), at most `limit`.
    static func items(_ req: Request, _ ctx: CRMContext, _ s: CMSSection, ids: [Int]? = nil, search: String = "", limit: Int = 500) async throws -> [Item] {
        let needle = search.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "")
        if let ids, ids.count > 500 {
            // Large packages: look the ids up in slices (bind limits), keeping their order.
            var out: [Item] = []
            for chunk in ids.chunked(500) { out += try await items(req, ctx, s, ids: chunk, search: search, limit: limit) }
            return Array(out.prefix(limit))
        }
        if s.kind == .channel {
            let q = ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID)
            if let ids { q.filter(\.$id ~~ ids) }
            if let n = Int(needle) { q.filter(\.$number == n) } else if !needle.isEmpty { q.filter(\.$searchName, .custom("LIKE"), needle + "%") }
            return try await q.sort(\.$number).limit(limit).all().map { Item(id: $0.id!, number: $0.number, name: $0.name, href: "/cms/channels/\($0.id!)", soldByPPV: $0.ppvRuleID != nil) }
        }
        let kinds = VoDKind.allCases.filter { $0.packageKind == s.kind }.map(\.rawValue)
        let q = VoDItemModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$kind ~~ kinds)
        if let ids { q.filter(\.$id ~~ ids) }
        if !needle.isEmpty { q.filter(\.$searchTitle, .custom("LIKE"), needle + "%") }
        return try await q.sort(\.$searchTitle).sort(\.$id).limit(limit).all().map {
            Item(id: $0.id!, name: $0.year > 0 ? "\($0.title) (\($0.year))" : $0.title, href: "\(s.base)/\($0.id!)", soldByPPV: $0.ppvRuleID != nil)
        }
    }

    static func list(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let all = try await PackageService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, kind: s.kind)
        var rows: [Row] = []
        for p in all {
            let n = try await PackageService.items(ctx.env, packageID: p.id!).count
            let grants = try await PackageGrantModel.query(on: req.db).filter(\.$packageID == p.id!).count()
            rows.append(Row(cells: [Cell(p.name, href: "\(s.packagesPath)/\(p.id!)"), Cell("\(n) \(s.itemNoun)(s)"), Cell(grants == 0 ? "in no product" : "in \(grants) product(s)/extra(s)")],
                            actions: [RowAction(label: "Open", href: "\(s.packagesPath)/\(p.id!)", postTo: nil, danger: false)]))
        }
        let vm = SectionsVM(heading: s.packageNoun + "s", intro: "A package is the unit products sell: customers see the \(s.itemsNoun) of the packages their product (or extra package) holds. Items sold by pay-per-view stay out of packages.",
                            buttons: [Button(label: s.capitalisedItems, href: s.base, primary: false)], tabs: [],
                            sections: [Section(title: nil, table: .simple(["Package", s.capitalisedItems, "Sold in"], rows, empty: "No package yet.")),
                                       Section(title: "Add \(s.packageNoun)", form: FormVM(heading: "", intro: nil, action: s.packagesPath, fields: [
                                           Field("name", "Name", required: true), Field("description", "Description", type: "textarea")],
                                                                                           submitLabel: "Add \(s.packageNoun)", cancelHref: nil, formError: nil))])
        return try await Layout.render(req, "sections", title: s.packageNoun + "s", vm)
    }

    struct NameForm: Content { var name: String?; var description: String? }

    static func create(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(NameForm.self)
        do {
            let p = try await PackageService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, kind: s.kind, name: f.name ?? "", description: f.description ?? "")
            req.flash(.success, "\(p.name) added. Add \(s.itemsNoun) to it below.")
            return req.redirect(to: "\(s.packagesPath)/\(p.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            req.flash(.error, e.flashText)
            return req.redirect(to: s.packagesPath, redirectType: .normal)
        }
    }

    static func show(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let p = try await PackageService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        guard p.kind == s.kind.rawValue else { throw DomainError.notFound("The package") }
        let search = req.query[String.self, at: "q"] ?? ""
        let ids = try await PackageService.items(ctx.env, packageID: p.id!)
        // The first 1,000 in the package are listed; a package can hold far more.
        let inside = try await items(req, ctx, s, ids: Array(ids.prefix(1000)), limit: 1000)
        let inPackage = Set(ids)
        // Candidates: the first 500 matches not in the package, among the first 2,000 matches.
        let candidates = Array(try await items(req, ctx, s, search: search, limit: 2000).filter { !inPackage.contains($0.id) && !$0.soldByPPV }.prefix(500))
        let pickerIntro = (search.isEmpty ? (candidates.count == 500 ? "The first 500 \(s.itemsNoun) not in the package; search to narrow. " : "")
                                          : "\(s.capitalisedItems) starting with “\(search)”. ") + "Items sold by pay-per-view are not offered."
        let vm = SectionsVM(heading: "\(s.packageNoun) — \(p.name)", intro: p.description.isEmpty ? nil : p.description,
                            buttons: [Button(label: s.packageNoun + "s", href: s.packagesPath, primary: false)], tabs: [],
                            sections: [
                                Section(title: "\(s.capitalisedItems) in this package", intro: ids.count > 1000 ? "\(ids.count) in all; the first 1,000 are listed." : nil, table: .simple(s.kind == .channel ? ["No.", "Channel"] : [s.itemNoun.capitalized], inside.map { i in
                                    Row(cells: (i.number.map { [Cell(String($0), mono: true)] } ?? []) + [Cell(i.name, href: i.href)],
                                        actions: [RowAction(label: "Remove", href: nil, postTo: "\(s.packagesPath)/\(p.id!)/items/\(i.id)/remove", danger: true)])
                                }, empty: "No \(s.itemNoun) yet.")),
                                Section(title: "Find \(s.itemsNoun) to add", table: TableVM(
                                    heading: "", intro: nil, buttons: [], filters: [Filter(name: "q", label: s.kind == .channel ? "Name or number" : "Title starts with", type: "text", value: search, options: [])],
                                    filterAction: "\(s.packagesPath)/\(p.id!)", columns: [], rows: [], emptyText: "", pager: Pager(summary: "", prevHref: nil, nextHref: nil))),
                                Section(title: "Add \(s.itemsNoun)", intro: pickerIntro, form: FormVM(heading: "", intro: nil, action: "\(s.packagesPath)/\(p.id!)/items", fields: [
                                    Field("items[]", s.capitalisedItems, type: "checkboxes", options: candidates.map { FieldOption(value: String($0.id), label: $0.label, selected: false) })],
                                                                                                     submitLabel: "Add \(s.capitalisedItems)", cancelHref: nil, formError: nil)),
                                Section(title: "Delete", intro: "Only a package no product or extra package holds can be deleted.",
                                        actions: [RowAction(label: "Delete package", href: nil, postTo: "\(s.packagesPath)/\(p.id!)/delete", danger: true)]),
                            ])
        return try await Layout.render(req, "sections", title: p.name, vm)
    }

    struct IDsForm: Content { var items: [Int]? }

    static func addItems(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        let f = try req.content.decode(IDsForm.self)
        return try await req.flashing(redirectTo: "\(s.packagesPath)/\(id)") {
            let n = try await PackageService.add(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, packageID: id, items: f.items ?? [])
            return "\(n) \(s.itemNoun)(s) added."
        }
    }

    static func removeItem(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        let item = try req.parameters.require("item", as: Int.self)
        return try await req.flashing(redirectTo: "\(s.packagesPath)/\(id)") {
            try await PackageService.remove(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, packageID: id, item: item)
            return "\(s.itemNoun.capitalized) removed from the package."
        }
    }

    static func delete(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        let id = try req.parameters.require("id", as: Int.self)
        do {
            try await PackageService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            req.flash(.success, "Package deleted.")
            return req.redirect(to: s.packagesPath, redirectType: .normal)
        } catch let e as DomainError where e.kind == .conflict {
            req.flash(.error, e.flashText)
            return req.redirect(to: "\(s.packagesPath)/\(id)", redirectType: .normal)
        }
    }
}

/// CMS › {section} › PPV Rules: the commercial name the app shows and how long a purchase lasts.
enum PPVRulePages {
    static func register(_ console: any RoutesBuilder, _ s: CMSSection) {
        let r = console.grouped((s.base + "/ppv-rules").split(separator: "/").map { PathComponent(stringLiteral: String($0)) }).grouped(RequirePermission(permission: .cms))
        r.get { try await list($0, s) }
        r.post { try await save($0, s, id: nil) }
        r.post(":id") { try await save($0, s, id: try $0.parameters.require("id", as: Int.self)) }
        r.post(":id", "delete") { try await delete($0, s) }
    }

    static func unitOptions(_ selected: String) -> [FieldOption] {
        PPVWindow.Unit.allCases.map { FieldOption(value: $0.rawValue, label: $0.rawValue.capitalized, selected: $0.rawValue == selected) }
    }

    static func list(_ req: Request, _ s: CMSSection, error: DomainError? = nil) async throws -> Response {
        let ctx = try await req.cms()
        let rules = try await PPVService.rules(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, section: s.kind)
        var sections = [Section(title: nil, table: .simple(["Rule Name", "Access after purchase"], rules.map { r in
            Row(cells: [Cell(r.name), Cell(PPVService.describe(r))], actions: [RowAction(label: "Delete", href: nil, postTo: "\(s.base)/ppv-rules/\(r.id!)/delete", danger: true)])
        }, empty: "No rule yet."))]
        sections += rules.map { r in
            Section(title: "Edit \(r.name)", form: FormVM(heading: "", intro: nil, action: "\(s.base)/ppv-rules/\(r.id!)", fields: [
                Field("name", "Rule Name", value: r.name, required: true),
                Field("unit", "Rule type", type: "select", options: unitOptions(r.unit)),
                Field("count", "Number of", type: "number", value: String(r.count), required: true),
            ], submitLabel: "Save rule", cancelHref: nil, formError: nil))
        }
        var add = FormVM(heading: "", intro: nil, action: "\(s.base)/ppv-rules", fields: [
            Field("name", "Rule Name", help: "The name the app shows, e.g. “48h rental”.", required: true),
            Field("unit", "Rule type", type: "select", options: unitOptions("hours")),
            Field("count", "Number of", type: "number", value: "48", help: "How many hours, days, months or years the purchase lasts.", required: true),
        ], submitLabel: "Add Pay PerView Rule", cancelHref: nil, formError: nil)
        if let error { add.apply(error) }
        sections.append(Section(title: "Add Pay PerView Rule", form: add))
        let vm = SectionsVM(heading: "\(s.label) — PPV Rules", intro: "An item sold by pay-per-view picks one of these rules and gets a price per currency; it is then in no subscription package.",
                            buttons: [Button(label: s.capitalisedItems, href: s.base, primary: false)], tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "PPV Rules", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    struct RuleForm: Content { var name: String?; var unit: String?; var count: String? }

    static func save(_ req: Request, _ s: CMSSection, id: Int?) async throws -> Response {
        let ctx = try await req.cms()
        let f = try req.content.decode(RuleForm.self)
        do {
            let r = try await PPVService.saveRule(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, section: s.kind, id: id, name: f.name ?? "", unit: f.unit ?? "", count: Int(f.count ?? "") ?? 0)
            req.flash(.success, "\(r.name): \(PPVService.describe(r)).")
            return req.redirect(to: "\(s.base)/ppv-rules", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid && id == nil {
            return try await list(req, s, error: e)
        } catch let e as DomainError where e.kind == .invalid {
            req.flash(.error, e.flashText)
            return req.redirect(to: "\(s.base)/ppv-rules", redirectType: .normal)
        }
    }

    static func delete(_ req: Request, _ s: CMSSection) async throws -> Response {
        let ctx = try await req.cms()
        return try await req.flashing(redirectTo: "\(s.base)/ppv-rules") {
            try await PPVService.deleteRule(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
            return "Rule deleted."
        }
    }
}
