import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The reseller's other pages of the manual's menu (operator side): Update Reseller, Performance,
/// Extra Packages Mapping, Domain Mapping and Branding, as tabs of the reseller.
enum ResellerPagesController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("crm", "resellers").grouped(RequirePermission(permission: .crm))
        r.get(":id", "edit", use: editForm)
        r.post(":id", "edit", use: update)
        r.get(":id", "performance", use: performance)
        r.get(":id", "performance.csv", use: performanceCSV)
        r.get(":id", "extra-packages", use: extraPackages)
        r.post(":id", "extra-packages", use: mapExtraPackage)
        r.post(":id", "extra-packages", ":packageID", "remove", use: unmapExtraPackage)
        r.get(":id", "domains", use: domains)
        r.post(":id", "domains", use: addDomain)
        r.post(":id", "domains", ":domainID", "remove", use: removeDomain)
        r.get(":id", "branding", use: branding)
        r.on(.POST, ":id", "branding", body: .collect(maxSize: "6mb"), use: saveBranding)
    }

    static func tabs(_ id: Int, active: String) -> [Tab] {
        let base = "/crm/resellers/\(id)"
        return [("Details", base), ("Update Reseller", "\(base)/edit"), ("Performance", "\(base)/performance"),
                ("Extra Packages Mapping", "\(base)/extra-packages"), ("Domain Mapping", "\(base)/domains"), ("Branding", "\(base)/branding"),
                ("Console Branding", "\(base)/console-branding")]
            .map { Tab(label: $0.0, href: $0.1, active: $0.0 == active) }
    }

    static func load(_ req: Request) async throws -> (CRMContext, ResellerModel) {
        let ctx = try await req.crm()
        let r = try await ResellerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return (ctx, r)
    }

    static func page(_ req: Request, _ r: ResellerModel, tab: String, intro: String?, _ sections: [Section], buttons: [Button] = [], status: HTTPStatus = .ok) async throws -> Response {
        let vm = SectionsVM(heading: "Reseller \(r.id!) — \(r.name)", intro: intro, buttons: buttons, tabs: tabs(r.id!, active: tab), sections: sections)
        return try await Layout.render(req, "sections", title: "\(r.name) — \(tab)", vm, status: status)
    }

    // MARK: Update Reseller

    static func editVM(_ ctx: CRMContext, _ r: ResellerModel, _ f: ResellersController.ResellerForm?) async throws -> FormVM {
        let f = f ?? ResellersController.ResellerForm(
            name: r.name, mobile: r.mobile, email: r.email, company: r.company, address: r.address, type: r.resellerType, currency: r.currency,
            allowAds: r.allowAds ? "on" : nil, allowCustomLogin: r.allowCustomLogin ? "on" : nil, creditLimit: String(r.creditLimit))
        var vm = try await ResellersController.form(ctx, f)
        vm.heading = ""
        vm.action = "/crm/resellers/\(r.id!)/edit"
        vm.submitLabel = "Update Reseller"
        vm.cancelHref = "/crm/resellers/\(r.id!)"
        return vm
    }

    static func editForm(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        return try await page(req, r, tab: "Update Reseller", intro: "Contact data and settings. Prepaid and postpaid can be switched only with nothing left on the account.",
                              [Section(title: nil, form: try await editVM(ctx, r, nil))])
    }

    static func update(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        let f = try req.content.decode(ResellersController.ResellerForm.self)
        do {
            let input = try ResellersController.input(f)
            _ = try await ResellerService.update(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: r.id!, input: input)
            req.flash(.success, "Reseller updated.")
            return req.redirect(to: "/crm/resellers/\(r.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await editVM(ctx, r, f)
            vm.apply(e)
            return try await page(req, r, tab: "Update Reseller", intro: nil, [Section(title: nil, form: vm)], status: .unprocessableEntity)
        }
    }

    // MARK: Performance

    static func performance(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        let months = try await ResellerPerformance.monthly(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!)
        return try await page(req, r, tab: "Performance", intro: nil, ResellerViews.performanceSections(r, months),
                              buttons: [Button(label: "Download CSV", href: "/crm/resellers/\(r.id!)/performance.csv", primary: false)])
    }

    static func performanceCSV(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        let months = try await ResellerPerformance.monthly(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!)
        return ResellerViews.performanceCSV(r, months)
    }

    // MARK: Extra Packages Mapping

    struct MappingForm: Content { var extraPackage: String?; var creditsPrice: String?; var discount: String? }

    static func extraPackages(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        let products = try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let productNames = Dictionary(uniqueKeysWithValues: products.map { ($0.id!, $0.name) })
        let packages = try await ExtraPackageModel.query(on: req.db).filter(\.$productID ~~ products.compactMap(\.id)).sort(\.$name).all()
        let names = Dictionary(uniqueKeysWithValues: packages.map { ($0.id!, "\($0.name) (\(productNames[$0.productID] ?? "?"))") })
        let mappings = try await ResellerExtras.extraPackageMappings(ctx.env, resellerID: r.id!)
        let table = TableVM.simple(["Extra package", "Credits price", "Discount"], mappings.map { m in
            Row(cells: [Cell(names[m.extraPackageID] ?? "#\(m.extraPackageID)"), Cell(m.creditsPrice.map { "\($0) credits" } ?? "the plan's price"),
                        Cell(String(format: "%.2f %%", Double(m.discountBasisPoints) / 100))],
                actions: [RowAction(label: "Remove", href: nil, postTo: "/crm/resellers/\(r.id!)/extra-packages/\(m.extraPackageID)/remove", danger: true)])
        }, empty: "No extra package yet: the reseller cannot sell add-ons.")
        let form = FormVM(heading: "", intro: "Mapping a package again replaces its price and discount.", action: "/crm/resellers/\(r.id!)/extra-packages", fields: [
            Field("extraPackage", "Extra package", type: "select", options: packages.map { FieldOption(value: String($0.id!), label: names[$0.id!]!, selected: false) }),
            Field("creditsPrice", "Credits price", type: "number", help: "Empty: the extra package plan's own credits price."),
            Field("discount", "Discount %", value: "0"),
        ], submitLabel: "Map package", cancelHref: nil, formError: nil)
        return try await page(req, r, tab: "Extra Packages Mapping", intro: "The extra packages \(r.name) may sell to its customers, and at what price.",
                              [Section(title: nil, table: table), Section(title: "Map an extra package", form: form)])
    }

    static func act(_ req: Request, tab: String, _ body: (CRMContext, ResellerModel) async throws -> String) async throws -> Response {
        let (ctx, r) = try await load(req)
        return try await req.flashing(redirectTo: "/crm/resellers/\(r.id!)/\(tab)") { try await body(ctx, r) }
    }

    static func mapExtraPackage(_ req: Request) async throws -> Response {
        let f = try req.content.decode(MappingForm.self)
        return try await act(req, tab: "extra-packages") { ctx, r in
            guard let pkg = Int(f.extraPackage ?? "") else { throw DomainError.validation(["extraPackage": "choose a package"]) }
            try await ResellerExtras.mapExtraPackage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!, extraPackageID: pkg,
                                                     creditsPrice: f.creditsPrice ?? "", discountPercent: f.discount ?? "")
            return "Extra package mapped."
        }
    }

    static func unmapExtraPackage(_ req: Request) async throws -> Response {
        let pkg = try req.parameters.require("packageID", as: Int.self)
        return try await act(req, tab: "extra-packages") { ctx, r in
            try await ResellerExtras.unmapExtraPackage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!, extraPackageID: pkg)
            return "Extra package removed from the reseller."
        }
    }

    // MARK: Domain Mapping

    static func domains(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        let list = try await ResellerExtras.domains(ctx.env, resellerID: r.id!)
        let table = TableVM.simple(["Hostname", "Added"], list.map { d in
            Row(cells: [Cell(d.hostname, href: ctx.actor.may(.uit) ? "/uit/hostnames/\(d.id!)" : nil, mono: true), Cell(ctx.dates.string(d.createdAt))],
                actions: [RowAction(label: "Remove", href: nil, postTo: "/crm/resellers/\(r.id!)/domains/\(d.id!)/remove", danger: true)])
        }, empty: "No domain yet.")
        let form = FormVM(heading: "", intro: nil, action: "/crm/resellers/\(r.id!)/domains", fields: [
            Field("hostname", "Hostname", help: "e.g. tv.reseller-brand.com — point its DNS at your TVMS hostname.", required: true),
        ], submitLabel: "Add domain", cancelHref: nil, formError: nil)
        return try await page(req, r, tab: "Domain Mapping", intro: "Hostnames that belong to \(r.name): apps and WebTV opened on them show its branding. A hostname can belong to one reseller only; its login texts, sign-in methods and store links are edited under UIT › Hostnames.",
                              [Section(title: nil, table: table), Section(title: "Add a domain", form: form)])
    }

    struct DomainForm: Content { var hostname: String? }

    static func addDomain(_ req: Request) async throws -> Response {
        let f = try req.content.decode(DomainForm.self)
        return try await act(req, tab: "domains") { ctx, r in
            let d = try await ResellerExtras.addDomain(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!, hostname: f.hostname ?? "")
            return "\(d.hostname) now belongs to \(r.name)."
        }
    }

    static func removeDomain(_ req: Request) async throws -> Response {
        let domainID = try req.parameters.require("domainID", as: Int.self)
        return try await act(req, tab: "domains") { ctx, r in
            try await ResellerExtras.removeDomain(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!, domainID: domainID)
            return "Domain removed."
        }
    }

    // MARK: Branding

    static func branding(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        let b = try await ResellerExtras.branding(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!)
        return try await page(req, r, tab: "Branding", intro: ResellerViews.brandingIntro,
                              try await ResellerViews.brandingSections(req, b, action: "/crm/resellers/\(r.id!)/branding", form: nil))
    }

    static func saveBranding(_ req: Request) async throws -> Response {
        let (ctx, r) = try await load(req)
        return try await ResellerViews.saveBranding(req, env: ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!,
                                                    action: "/crm/resellers/\(r.id!)/branding") { sections, status in
            try await page(req, r, tab: "Branding", intro: ResellerViews.brandingIntro, sections, status: status)
        }
    }
}

/// Pages the operator's reseller tabs and the reseller portal share.
enum ResellerViews {
    static func performanceSections(_ r: ResellerModel, _ months: [ResellerPerformance.Month]) -> [Section] {
        let labels = months.map(\.label)
        let postpaid = r.resellerType == ResellerType.postpaid.rawValue
        let activity = ChartVM(title: "Sales, renewals and customers per month", labels: labels, series: [
            ("Sales", months.map { Int64($0.sales) }), ("Renewals", months.map { Int64($0.renewals) }),
            ("Active customers", months.map { Int64($0.active) }), ("Expired customers", months.map { Int64($0.expired) }),
        ])
        let spending = ChartVM(title: postpaid ? "Credits spent per month" : "Units used per month", labels: labels, series: [
            (postpaid ? "Credits spent" : "Units used", months.map { postpaid ? $0.creditsSpent : $0.unitsUsed }),
        ], height: 220)
        let table = TableVM.simple(["Month", "Sales", "Renewals", "Changes & add-ons", postpaid ? "Credits spent" : "Units used", "Active", "Expired"],
                                   months.reversed().map { m in
            Row(cells: [Cell(m.label), Cell(String(m.sales)), Cell(String(m.renewals)), Cell(String(m.otherSales)),
                        Cell(String(postpaid ? m.creditsSpent : m.unitsUsed)), Cell(String(m.active)), Cell(String(m.expired))], actions: [])
        }, empty: "")
        return [Section(title: "Activity", intro: "The last twelve months; active and expired count the customers at each month's end.", chart: activity),
                Section(title: postpaid ? "Credits" : "Stock", chart: spending),
                Section(title: "By month", table: table)]
    }

    static func performanceCSV(_ r: ResellerModel, _ months: [ResellerPerformance.Month]) -> Response {
        let iso = ISO8601DateFormatter()
        var csv = CSV.line(["month_start_utc", "month", "sales", "renewals", "changes_and_addons", "credits_spent", "units_used", "active_at_end", "expired_at_end"]) + "\r\n"
        for m in months {
            csv += CSV.line([iso.string(from: m.start), m.label, String(m.sales), String(m.renewals), String(m.otherSales), String(m.creditsSpent),
                             String(m.unitsUsed), String(m.active), String(m.expired)]) + "\r\n"
        }
        let response = Response(status: .ok, body: .init(string: csv))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.contentDisposition = .init(.attachment, filename: "performance-\(r.id!).csv")
        return response
    }

    static let brandingIntro = "How the TV apps look for this reseller's customers. Images are checked by their content: PNG, JPEG or WebP only."

    struct BrandingForm: Content {
        var selectionColour: String?; var supportText: String?; var background: File?; var logo: File?
        var removeBackground: String?; var removeLogo: String?
    }

    static func brandingSections(_ req: Request, _ b: ResellerBrandingModel, action: String, form f: BrandingForm?, error: DomainError? = nil) async throws -> [Section] {
        let dates = try await req.dateDisplay()
        var images: [ImagePreview] = []
        for (label, id) in [("Background", b.backgroundID), ("Logo", b.logoID)] {
            guard let id, let m = try await MediaAssetModel.find(id, on: req.db) else { continue }
            images.append(ImagePreview(label: label, src: "/media/\(id.uuidString.lowercased())", caption: "\(m.width)×\(m.height), \(m.byteSize / 1024) KiB"))
        }
        var vm = FormVM(heading: "", intro: nil, action: action, fields: [
            Field("background", "UI background image", type: "file", help: "At most 2 MiB and 3840 px on each side."),
            Field("logo", "UI brand logo", type: "file", help: "At most 512 KiB and 1024 px on each side."),
            Field("selectionColour", "Selection colour", value: f?.selectionColour ?? b.selectionColour, help: "e.g. #FF8800; empty for the app's default."),
            Field("supportText", "Support page text", type: "textarea", value: f?.supportText ?? b.supportText, help: "Shown on the app's support page (plain text)."),
        ] + (b.backgroundID == nil ? [] : [Field("removeBackground", "Remove the background image", type: "checkbox")])
          + (b.logoID == nil ? [] : [Field("removeLogo", "Remove the logo", type: "checkbox")]),
                        submitLabel: "Save branding", cancelHref: nil, formError: nil, multipart: true)
        if let error { vm.apply(error) }
        let current = Section(title: "Current branding", details: [
            KeyValue(key: "Selection colour", value: b.selectionColour.isEmpty ? "app default" : b.selectionColour, mono: true),
            KeyValue(key: "Last change", value: b.updatedAt.map { dates.string($0) } ?? "never", mono: false),
        ], images: images)
        return [current, Section(title: "Change branding", form: vm)]
    }

    static func saveBranding(_ req: Request, env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, action: String,
                             render: ([Section], HTTPStatus) async throws -> Response) async throws -> Response {
        let f = try req.content.decode(BrandingForm.self)
        var input = ResellerExtras.BrandingInput(selectionColour: f.selectionColour ?? "", supportText: f.supportText ?? "")
        input.background = f.background.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        input.logo = f.logo.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        input.removeBackground = Bool(checkbox: f.removeBackground)
        input.removeLogo = Bool(checkbox: f.removeLogo)
        do {
            _ = try await ResellerExtras.updateBranding(env, actor: actor, deploymentID: deploymentID, resellerID: resellerID, input: input)
            req.flash(.success, "Branding saved.")
            return req.redirect(to: action, redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            let b = try await ResellerExtras.branding(env, actor: actor, deploymentID: deploymentID, resellerID: resellerID)
            return try await render(try await brandingSections(req, b, action: action, form: f, error: e), .unprocessableEntity)
        }
    }
}
