import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Content packages as the product page lists them (all kinds; CRM staff may read them to sell them).
enum PackageModelsForGrant {
    static func list(_ req: Request, _ ctx: CRMContext) async throws -> [ContentPackageModel] {
        try await ContentPackageModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).sort(\.$kind).sort(\.$name).all()
    }
}

/// CRM › Products: list, add with plans, and the details tabs.
enum ProductsController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("crm", "products").grouped(RequirePermission(permission: .crm))
        r.get(use: list)
        r.get("new", use: newForm)
        r.post(use: create)
        r.get(":id", use: details)
        r.post(":id", use: update)
        r.get(":id", "delete", use: confirmDelete)
        r.post(":id", "delete", use: delete)
        r.post(":id", "plans", use: addPlan)
        r.get(":id", "plans", ":planID", "edit", use: editPlanForm)
        r.post(":id", "plans", ":planID", use: updatePlan)
        r.post(":id", "plans", ":planID", "delete", use: deletePlan)
        r.post(":id", "extras", use: addExtra)
        r.post(":id", "extras", ":extraID", "delete", use: deleteExtra)
        r.post(":id", "extras", ":extraID", "plans", use: addExtraPlan)
        r.post(":id", "options", use: addOption)
        r.post(":id", "options", ":optionID", "delete", use: deleteOption)
        r.post(":id", "ip", use: updateIP)
        r.post(":id", "packages", use: setPackages)
        r.post(":id", "extras", ":extraID", "packages", use: setExtraPackages)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let products = try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var rows: [Row] = []
        for p in products {
            let d = try await ProductService.details(of: p, on: req.db)
            rows.append(Row(cells: [Cell(String(p.id!), mono: true), Cell(p.name, href: "/crm/products/\(p.id!)"),
                                    Cell(SubscriptionType(rawValue: p.subscriptionType)?.label ?? p.subscriptionType),
                                    Cell(PaymentType(rawValue: p.paymentType)?.label ?? p.paymentType),
                                    Cell(String(d.plans(ofExtra: nil).count)), Cell(String(p.maxDevices)), Cell(String(d.customerCount)),
                                    Cell(d.isSellable ? "Sellable" : "Needs a plan with a price", badge: d.isSellable ? "ok" : "danger")],
                            actions: [RowAction(label: "Details", href: "/crm/products/\(p.id!)", postTo: nil, danger: false)]))
        }
        let table = TableVM(heading: "Products", intro: "A product is what a customer subscribes to: its payment plans and prices, device limit and rules. It can be sold once it has a plan with a price.",
                            buttons: [Button(label: "Add a product", href: "/crm/products/new", primary: true)], filters: [], filterAction: "/crm/products",
                            columns: ["ID", "Name", "Type", "Payment", "Plans", "Max devices", "Customers", "State"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: "No product yet. Add one, then give it a payment plan.", pager: Pager(summary: "\(rows.count) products", prevHref: nil, nextHref: nil))
        return try await Layout.render(req, "table", title: "Products", table)
    }

    struct ProductForm: Content {
        var name: String?; var mappingId: String?; var subscriptionType: String?; var paymentType: String?
        var startFromFirstLogin: String?; var allowedCountries: String?; var isRTL: String?; var maxDevices: String?
        var pvrQuotaHours: String?; var defaultCurrency: String?; var disclaimer: String?; var supportText: String?
        var allowedDeviceTypes: [String]?; var userInterfaceId: String?

        init(_ p: ProductModel? = nil) {
            name = p?.name; mappingId = p?.mappingID; subscriptionType = p?.subscriptionType ?? "regular"; paymentType = p?.paymentType ?? "subscription"
            startFromFirstLogin = p?.startFromFirstLogin == true ? "on" : nil; allowedCountries = p?.allowedCountries
            isRTL = p?.isRTL == true ? "on" : nil; maxDevices = p.map { String($0.maxDevices) } ?? "3"
            pvrQuotaHours = p.map { String($0.pvrQuotaHours) } ?? "0"
            defaultCurrency = p?.defaultCurrency; disclaimer = p?.disclaimer; supportText = p?.supportText
            allowedDeviceTypes = p.map { $0.allowedDeviceTypes.split(separator: ",").map(String.init) }
            userInterfaceId = p?.userInterfaceID
        }

        var input: ProductService.Input {
            var i = ProductService.Input(name: name ?? "", mappingID: mappingId ?? "", subscriptionType: subscriptionType ?? "", paymentType: paymentType ?? "",
                                 startFromFirstLogin: Bool(checkbox: startFromFirstLogin),
                                 allowedCountries: (allowedCountries ?? "").split(separator: ",").map { String($0) },
                                 isRTL: Bool(checkbox: isRTL), maxDevices: Int(maxDevices ?? "") ?? 0,
                                 pvrQuotaHours: Int((pvrQuotaHours ?? "").trimmingCharacters(in: .whitespaces)) ?? 0, defaultCurrency: defaultCurrency ?? "",
                                 disclaimer: disclaimer ?? "", supportText: supportText ?? "")
            i.allowedDeviceTypes = allowedDeviceTypes ?? []
            i.userInterfaceID = userInterfaceId ?? ""
            return i
        }
    }

    static func productForm(_ ctx: CRMContext, _ f: ProductForm, action: String, editing: Bool) async throws -> FormVM {
        let currencies = try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).filter { $0.code != "CREDITS" }
        let cur = f.defaultCurrency ?? ctx.deployment.defaultCurrency
        var fields = [Field("name", "Name", value: f.name ?? "", required: true),
                      Field("mappingId", "Mapping id", value: f.mappingId ?? "", help: "The product's id in your billing system (API: productmappingid).")]
        if editing {
            fields.append(Field("subscriptionType", "Subscription type", type: "select", value: f.subscriptionType ?? "",
                                options: [FieldOption(value: f.subscriptionType ?? "", label: SubscriptionType(rawValue: f.subscriptionType ?? "")?.label ?? "", selected: true)],
                                help: "Fixed at creation: make a separate product for the other type."))
        } else {
            fields.append(Field("subscriptionType", "Subscription type", type: "select", value: f.subscriptionType ?? "regular",
                                options: SubscriptionType.allCases.map { FieldOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == (f.subscriptionType ?? "regular")) },
                                help: "Cannot be changed later.", required: true))
        }
        fields += [
            Field("paymentType", "Payment type", type: "select", value: f.paymentType ?? "subscription",
                  options: PaymentType.allCases.map { FieldOption(value: $0.rawValue, label: $0.label, selected: $0.rawValue == (f.paymentType ?? "subscription")) },
                  help: "Subscription: periodic payment. Wallet: credits for pay-per-view. API: all billing through the API.", required: true),
            Field("startFromFirstLogin", "Start subscription from first login", type: "checkbox", value: f.startFromFirstLogin == "on" ? "on" : ""),
            Field("maxDevices", "Max devices", type: "number", value: f.maxDevices ?? "3", help: "Devices a customer may use with this product, and streams it may play at the same time.", required: true),
            Field("pvrQuotaHours", "Cloud PVR hours", type: "number", value: f.pvrQuotaHours ?? "0", help: "Hours of recordings a customer may keep; 0 = no recordings."),
            Field("defaultCurrency", "Default currency", type: "select", value: cur,
                  options: currencies.map { FieldOption(value: $0.code, label: "\($0.code) — \($0.name)", selected: $0.code == cur) }, required: true),
            Field("allowedDeviceTypes[]", "Allowed device types", type: "checkboxes",
                  options: DeviceTypes.platforms.map { FieldOption(value: $0, label: $0, selected: f.allowedDeviceTypes?.contains($0) == true) },
                  help: "Platforms the apps may sign in from; none ticked = all. Browsers count as web."),
            Field("allowedCountries", "Allowed countries", value: f.allowedCountries ?? "", help: "ISO codes separated by commas (NL, BE); empty = everywhere."),
            Field("isRTL", "Right-to-left user interface", type: "checkbox", value: f.isRTL == "on" ? "on" : ""),
        ]
        fields += try await userInterfaceFields(ctx, f)
        fields += [
            Field("disclaimer", "Disclaimer", type: "textarea", value: f.disclaimer ?? "", help: "Shown in the apps before playback starts."),
            Field("supportText", "Support", type: "textarea", value: f.supportText ?? "", help: "Shown on the apps' support screen."),
        ]
        return FormVM(heading: editing ? "Details" : "Add a product", intro: nil, action: action, fields: fields,
                      submitLabel: editing ? "Update product" : "Add product", cancelHref: editing ? nil : "/crm/products", formError: nil)
    }

    /// The UI select (UIT › User Interfaces): required once the deployment has a UI, the
    /// default UI preselected; nothing to choose before the first UI exists.
    static func userInterfaceFields(_ ctx: CRMContext, _ f: ProductForm) async throws -> [Field] {
        let uis = try await UserInterfaceService.all(ctx.env.db, deploymentID: ctx.deploymentID)
        guard !uis.isEmpty else { return [] }
        let chosen = (f.userInterfaceId ?? "").isEmpty ? uis.first(where: \.isDefault)?.id?.uuidString.lowercased() : f.userInterfaceId?.lowercased()
        return [Field("userInterfaceId", "User interface", type: "select", value: chosen ?? "",
                      options: uis.map { FieldOption(value: $0.id!.uuidString.lowercased(), label: $0.name + ($0.isDefault ? " (default)" : ""),
                                                     selected: $0.id!.uuidString.lowercased() == chosen) },
                      help: "What the apps look like for this product's customers (UIT › User Interfaces).", required: true)]
    }

    static func newForm(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await Layout.render(req, "form", title: "Add a product", productForm(ctx, ProductForm(), action: "/crm/products", editing: false))
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(ProductForm.self)
        do {
            let p = try await ProductService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: f.input)
            req.flash(.success, "\(p.name) created. Add a payment plan with a price to make it sellable.")
            return req.redirect(to: "/crm/products/\(p.id!)?tab=plans", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await productForm(ctx, f, action: "/crm/products", editing: false)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add a product", vm, status: .unprocessableEntity)
        }
    }

    static let tabs: [(String, String)] = [("details", "Details"), ("plans", "Payment plans"), ("packages", "Content packages"), ("extras", "Extra packages"), ("dvr", "DVR plans"),
                                           ("catchup", "Catch-up plans"), ("ip", "IP access"), ("ota", "App OTA")]

    static func details(_ req: Request) async throws -> Response {
        try await renderDetails(req, tab: req.query[String.self, at: "tab"] ?? "details", form: nil)
    }

    /// The details page; `form` replaces the tab's form after a failed submit (with its errors).
    static func renderDetails(_ req: Request, tab: String, form: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let d = try await ProductService.details(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        let p = d.product
        let base = "/crm/products/\(id)"
        let currencies = try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map(\.code).filter { $0 != "CREDITS" }
        var sections: [Section] = []
        switch tab {
        case "plans":
            sections = [Section(title: "Payment plans", intro: "Each plan has a length and one price per currency (0 allowed). The credits price is what a postpaid reseller pays.",
                                table: .simple(["ID", "Name", "Length", "Prices", "Credits", "Ends if sold now"], try await planRows(ctx, d, extra: nil, base: base), empty: "No plan yet: the product cannot be sold."),
                                form: form ?? planForm(action: "\(base)/plans", currencies: currencies, values: [:], heading: "Add a payment plan"))]
        case "extras":
            sections = [Section(title: "Extra packages", intro: "Add-ons sold on top of the product, each with its own plans.",
                                table: .simple(["ID", "Name", "Mapping id", "Plans"], d.extraPackages.map { e in
                                    Row(cells: [Cell(String(e.id!), mono: true), Cell(e.name), Cell(e.mappingID ?? ""),
                                                Cell(d.plans(ofExtra: e.id).map { "\($0.name) (#\($0.id!)): \(pricesText(d, $0))" }.joined(separator: "; "))],
                                        actions: [RowAction(label: "Delete", href: nil, postTo: "\(base)/extras/\(e.id!)/delete", danger: true)])
                                }, empty: "No extra package."),
                                form: form ?? FormVM(heading: "", intro: nil, action: "\(base)/extras", fields: [
                                    Field("name", "Name", required: true), Field("mappingId", "Package mapping id")], submitLabel: "Add extra package", cancelHref: nil, formError: nil))]
            for e in d.extraPackages {
                sections.append(Section(title: "Add a plan to \(e.name)", form: planForm(action: "\(base)/extras/\(e.id!)/plans", currencies: currencies, values: [:], heading: "")))
            }
        case "dvr", "catchup", "ota":
            let kind = ProductService.OptionKind(rawValue: tab)!
            let options = d.options.filter { $0.kind == tab }
            let rows = options.map { o in
                Row(cells: kind == .ota ? [Cell(o.platform), Cell(o.version, mono: true), Cell(o.url, mono: true), Cell(o.amount == 1 ? "Mandatory" : "Optional")]
                                        : [Cell(o.name), Cell(String(o.amount))],
                    actions: [RowAction(label: "Delete", href: nil, postTo: "\(base)/options/\(o.id!)/delete", danger: true)])
            }
            let titles = ["dvr": ("DVR plans", "Cloud recording quota in hours."), "catchup": ("Catch-up plans", "How many days back customers can watch."),
                          "ota": ("App OTA", "App versions offered as over-the-air updates; a mandatory one must be installed before use.")]
            sections = [Section(title: titles[tab]!.0, intro: titles[tab]!.1,
                                table: .simple(kind == .ota ? ["Platform", "Version", "URL", ""] : ["Name", kind == .dvr ? "Hours" : "Days"], rows, empty: "None yet."),
                                form: form ?? optionForm(base: base, kind: kind, values: [:]))]
        case "packages":
            let all = try await PackageModelsForGrant.list(req, ctx)
            let granted = Set(try await PackageService.grants(ctx.env, productID: id))
            func options(_ chosen: Set<Int>) -> [FieldOption] {
                all.map { FieldOption(value: String($0.id!), label: "\(ContentKind(rawValue: $0.kind)?.label ?? $0.kind): \($0.name)", selected: chosen.contains($0.id!)) }
            }
            sections = [Section(title: "Content packages", intro: "What customers of this product can watch: the content of these packages (CMS › Packages).",
                                form: FormVM(heading: "", intro: nil, action: "\(base)/packages", fields: [Field("packages[]", "Packages", type: "checkboxes", options: options(granted))],
                                             submitLabel: "Save packages", cancelHref: nil, formError: nil))]
            for e in d.extraPackages {
                let extraGranted = Set(try await PackageService.grants(ctx.env, extraPackageID: e.id!))
                sections.append(Section(title: "Extra package \(e.name)", intro: "Content a customer gets while this extra package runs.",
                                        form: FormVM(heading: "", intro: nil, action: "\(base)/extras/\(e.id!)/packages",
                                                     fields: [Field("packages[]", "Packages", type: "checkboxes", options: options(extraGranted))],
                                                     submitLabel: "Save \(e.name) packages", cancelHref: nil, formError: nil)))
            }
        case "ip":
            sections = [Section(title: "IP access", intro: "Addresses customers of this product may (or may not) use. One IP or CIDR per line.",
                                form: form ?? FormVM(heading: "", intro: nil, action: "\(base)/ip", fields: [
                                    Field("ipAllowed", "Allowed", type: "textarea", value: p.ipAllowed, help: "Empty = any address."),
                                    Field("ipBlocked", "Blocked", type: "textarea", value: p.ipBlocked),
                                    Field("ipLockFirst", "Lock each customer to the first address it logs in from", type: "checkbox", value: p.ipLockFirst ? "on" : ""),
                                ], submitLabel: "Save IP access", cancelHref: nil, formError: nil))]
        default:
            var f = try await productForm(ctx, ProductForm(p), action: base, editing: true)
            if let form { f = form }
            sections = [Section(title: nil, details: [
                KeyValue(key: "Product id", value: String(id), mono: true),
                KeyValue(key: "Customers", value: String(d.customerCount), mono: false),
                KeyValue(key: "State", value: d.isSellable ? "Sellable" : "Not sellable: add a payment plan with at least one price", mono: false),
            ], form: f)]
        }
        let vm = SectionsVM(heading: p.name, intro: nil,
                            buttons: [Button(label: "Delete product", href: "\(base)/delete", primary: false)],
                            tabs: tabs.map { Tab(label: $0.1, href: "\(base)?tab=\($0.0)", active: $0.0 == tab || (tab == "" && $0.0 == "details")) },
                            sections: sections)
        return try await Layout.render(req, "sections", title: p.name, vm, status: status)
    }

    struct PackagesForm: Content { var packages: [Int]? }

    static func setPackages(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let f = (try? req.content.decode(PackagesForm.self)) ?? PackagesForm()
        return try await req.flashing(redirectTo: "/crm/products/\(id)?tab=packages") {
            try await PackageService.setGrants(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, extraPackageID: nil, packages: f.packages ?? [])
            return "Content packages saved."
        }
    }

    static func setExtraPackages(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let extra = try req.parameters.require("extraID", as: Int.self)
        let f = (try? req.content.decode(PackagesForm.self)) ?? PackagesForm()
        return try await req.flashing(redirectTo: "/crm/products/\(id)?tab=packages") {
            try await PackageService.setGrants(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: nil, extraPackageID: extra, packages: f.packages ?? [])
            return "Extra package content saved."
        }
    }

    static func optionForm(base: String, kind: ProductService.OptionKind, values v: [String: String]) -> FormVM {
        let fields: [Field] = kind == .ota
            ? [Field("platform", "Platform", type: "select", value: v["platform"] ?? "",
                     options: ["android", "androidtv", "firetv", "ios", "tvos", "tizen", "webos", "roku", "stb"].map { FieldOption(value: $0, label: $0, selected: $0 == v["platform"]) }),
               Field("version", "Version", value: v["version"] ?? "", help: "e.g. 9.4.0"), Field("url", "Download URL", value: v["url"] ?? ""),
               Field("amount", "Mandatory update", type: "checkbox", value: v["amount"] ?? "")]
            : [Field("name", "Name", value: v["name"] ?? "", required: true),
               Field("amount", kind == .dvr ? "Recording hours" : "Catch-up days", type: "number", value: v["amount"] ?? "", required: true)]
        return FormVM(heading: "", intro: nil, action: "\(base)/options", fields: fields + [Field("kind", "", type: "hidden", value: kind.rawValue)],
                      submitLabel: "Add", cancelHref: nil, formError: nil)
    }

    static func pricesText(_ d: ProductService.Details, _ plan: PaymentPlanModel) -> String {
        let prices = (d.prices[plan.id!] ?? []).map { money($0.amount, $0.currency) }
        return prices.isEmpty ? "no price" : prices.joined(separator: ", ")
    }

    static func planRows(_ ctx: CRMContext, _ d: ProductService.Details, extra: Int?, base: String) async throws -> [Row] {
        var rows: [Row] = []
        for plan in d.plans(ofExtra: extra) {
            let end = try await CustomerService.previewExpiry(ctx.env, deploymentID: ctx.deploymentID, plan: plan)
            rows.append(Row(cells: [Cell(String(plan.id!), mono: true), Cell(plan.name),
                                    Cell(PlanLength(count: plan.lengthCount, unit: LengthUnit(rawValue: plan.lengthUnit) ?? .months).description),
                                    Cell(pricesText(d, plan)), Cell(plan.creditsPrice.map { "\($0) credits" } ?? "—"),
                                    Cell(d.product.startFromFirstLogin && extra == nil ? "counted from the first login" : ctx.dates.string(end))],
                            actions: [RowAction(label: "Edit", href: "\(base)/plans/\(plan.id!)/edit", postTo: nil, danger: false),
                                      RowAction(label: "Delete", href: nil, postTo: "\(base)/plans/\(plan.id!)/delete", danger: true)]))
        }
        return rows
    }

    static func planForm(action: String, currencies: [String], values: [String: String], heading: String, submitLabel: String = "Add plan") -> FormVM {
        var fields = [Field("name", "Plan name", value: values["name"] ?? "", required: true),
                      Field("length", "Length", type: "number", value: values["length"] ?? "1", required: true),
                      Field("unit", "Unit", type: "select", value: values["unit"] ?? "months",
                            options: LengthUnit.allCases.map { FieldOption(value: $0.rawValue, label: $0.rawValue, selected: $0.rawValue == (values["unit"] ?? "months")) })]
        for c in currencies {
            fields.append(Field("price_\(c)", "Price in \(c)", value: values["price_\(c)"] ?? "", help: "Leave empty if not sold in \(c)."))
        }
        fields.append(Field("creditsPrice", "Credits price", value: values["creditsPrice"] ?? "", help: "Whole credits a reseller pays; empty = not for resellers."))
        return FormVM(heading: heading, intro: nil, action: action, fields: fields, submitLabel: submitLabel, cancelHref: nil, formError: nil)
    }

    static func planInput(_ v: [String: String], currencies: [String]) -> ProductService.PlanInput {
        var prices: [String: String] = [:]
        for c in currencies { prices[c] = v["price_\(c)"] ?? "" }
        return ProductService.PlanInput(name: v["name"] ?? "", length: Int(v["length"] ?? "") ?? 0, unit: v["unit"] ?? "", prices: prices, creditsPrice: v["creditsPrice"] ?? "")
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let f = try req.content.decode(ProductForm.self)
        do {
            _ = try await ProductService.update(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, input: f.input)
            req.flash(.success, "Product updated.")
            return req.redirect(to: "/crm/products/\(id)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await productForm(ctx, f, action: "/crm/products/\(id)", editing: true)
            vm.apply(e)
            return try await renderDetails(req, tab: "details", form: vm, status: .unprocessableEntity)
        }
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let p = try await ProductService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        return try await Layout.render(req, "confirm", title: "Delete product", ConfirmVM(
            heading: "Delete \(p.name)?", message: "Its plans, prices, extra packages and options are deleted too. A product that customers still use cannot be deleted.",
            action: "/crm/products/\(id)/delete", buttonLabel: "Delete product", cancelHref: "/crm/products/\(id)"))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        do {
            try await ProductService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            req.flash(.success, "Product deleted.")
            return req.redirect(to: "/crm/products", redirectType: .normal)
        } catch let e as DomainError where e.kind == .conflict {
            req.flash(.error, e.message)
            return req.redirect(to: "/crm/products/\(id)", redirectType: .normal)
        }
    }

    /// Runs a tab's form action: success → flash and back to the tab; validation error → the tab
    /// again with the form's messages.
    static func tabAction(_ req: Request, tab: String, success: String, form: ((CRMContext, [String: String]) async throws -> FormVM)? = nil,
                          _ action: (CRMContext, Int, [String: String]) async throws -> Void) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let values = try req.formValues()
        do {
            try await action(ctx, id, values)
            req.flash(.success, success)
            return req.redirect(to: "/crm/products/\(id)?tab=\(tab)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid && form != nil {
            var vm = try await form!(ctx, values)
            vm.apply(e)
            return try await renderDetails(req, tab: tab, form: vm, status: .unprocessableEntity)
        } catch let e as DomainError where e.kind == .conflict || e.kind == .invalid {
            req.flash(.error, e.message)
            return req.redirect(to: "/crm/products/\(id)?tab=\(tab)", redirectType: .normal)
        }
    }

    static func currencyCodes(_ ctx: CRMContext) async throws -> [String] {
        try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map(\.code).filter { $0 != "CREDITS" }
    }

    static func addPlan(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        return try await tabAction(req, tab: "plans", success: "Plan added.", form: { ctx, v in
            planForm(action: "/crm/products/\(id)/plans", currencies: try await currencyCodes(ctx), values: v, heading: "Add a payment plan")
        }) { ctx, id, v in
            _ = try await ProductService.addPlan(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id,
                                                 input: planInput(v, currencies: try await currencyCodes(ctx)))
        }
    }

    static func editPlanForm(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let planID = try req.parameters.require("planID", as: Int.self)
        let d = try await ProductService.details(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        guard let plan = d.plans.first(where: { $0.id == planID }) else { throw DomainError.notFound("The payment plan") }
        var values = ["name": plan.name, "length": String(plan.lengthCount), "unit": plan.lengthUnit, "creditsPrice": plan.creditsPrice.map(String.init) ?? ""]
        for p in d.prices[planID] ?? [] { values["price_\(p.currency)"] = Money(minorUnits: p.amount, currency: CurrencyCode(p.currency)!).amountString }
        var vm = planForm(action: "/crm/products/\(id)/plans/\(planID)", currencies: try await currencyCodes(ctx), values: values, heading: "Edit plan \(plan.name)", submitLabel: "Save plan")
        vm.cancelHref = "/crm/products/\(id)?tab=plans"
        return try await Layout.render(req, "form", title: "Edit plan", vm)
    }

    static func updatePlan(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let planID = try req.parameters.require("planID", as: Int.self)
        let v = try req.formValues()
        let codes = try await currencyCodes(ctx)
        do {
            try await ProductService.updatePlan(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, planID: planID, input: planInput(v, currencies: codes))
            req.flash(.success, "Plan saved.")
            return req.redirect(to: "/crm/products/\(id)?tab=plans", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = planForm(action: "/crm/products/\(id)/plans/\(planID)", currencies: codes, values: v, heading: "Edit plan", submitLabel: "Save plan")
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Edit plan", vm, status: .unprocessableEntity)
        }
    }

    static func deletePlan(_ req: Request) async throws -> Response {
        let planID = try req.parameters.require("planID", as: Int.self)
        return try await tabAction(req, tab: "plans", success: "Plan deleted.") { ctx, id, _ in
            try await ProductService.deletePlan(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, planID: planID)
        }
    }

    static func addExtra(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        return try await tabAction(req, tab: "extras", success: "Extra package added. Give it a plan below.", form: { _, v in
            FormVM(heading: "", intro: nil, action: "/crm/products/\(id)/extras", fields: [
                Field("name", "Name", value: v["name"] ?? "", required: true), Field("mappingId", "Package mapping id", value: v["mappingId"] ?? "")],
                   submitLabel: "Add extra package", cancelHref: nil, formError: nil)
        }) { ctx, id, v in
            _ = try await ProductService.addExtraPackage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, name: v["name"] ?? "", mappingID: v["mappingId"] ?? "")
        }
    }

    static func deleteExtra(_ req: Request) async throws -> Response {
        let extraID = try req.parameters.require("extraID", as: Int.self)
        return try await tabAction(req, tab: "extras", success: "Extra package deleted.") { ctx, id, _ in
            try await ProductService.deleteExtraPackage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, id: extraID)
        }
    }

    static func addExtraPlan(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let extraID = try req.parameters.require("extraID", as: Int.self)
        return try await tabAction(req, tab: "extras", success: "Plan added to the extra package.", form: { ctx, v in
            planForm(action: "/crm/products/\(id)/extras/\(extraID)/plans", currencies: try await currencyCodes(ctx), values: v, heading: "Add a plan to the extra package")
        }) { ctx, id, v in
            _ = try await ProductService.addPlan(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, extraPackageID: extraID,
                                                 input: planInput(v, currencies: try await currencyCodes(ctx)))
        }
    }

    static func addOption(_ req: Request) async throws -> Response {
        let kind = (try? req.formValues())?["kind"] ?? ""
        guard let k = ProductService.OptionKind(rawValue: kind) else { throw DomainError.validation(["kind": "must be dvr, catchup or ota"]) }
        let base = "/crm/products/\(try req.parameters.require("id", as: Int.self))"
        return try await tabAction(req, tab: kind, success: "Added.", form: { _, v in optionForm(base: base, kind: k, values: v) }) { ctx, id, v in
            let amount = k == .ota ? (Bool(checkbox: v["amount"]) ? 1 : 0) : (Int(v["amount"] ?? "") ?? 0)
            _ = try await ProductService.addOption(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, kind: k, name: v["name"] ?? "",
                                                   amount: amount, platform: v["platform"] ?? "", version: v["version"] ?? "", url: v["url"] ?? "")
        }
    }

    static func deleteOption(_ req: Request) async throws -> Response {
        let optionID = try req.parameters.require("optionID", as: Int.self)
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let kind = try await ProductOptionModel.find(optionID, on: req.db)?.kind ?? "details"
        try await ProductService.deleteOption(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, productID: id, id: optionID)
        req.flash(.success, "Removed.")
        return req.redirect(to: "/crm/products/\(id)?tab=\(kind)", redirectType: .normal)
    }

    static func updateIP(_ req: Request) async throws -> Response {
        try await tabAction(req, tab: "ip", success: "IP access saved.", form: { _, v in
            FormVM(heading: "", intro: nil, action: req.url.path, fields: [
                Field("ipAllowed", "Allowed", type: "textarea", value: v["ipAllowed"] ?? ""),
                Field("ipBlocked", "Blocked", type: "textarea", value: v["ipBlocked"] ?? ""),
                Field("ipLockFirst", "Lock each customer to the first address it logs in from", type: "checkbox", value: v["ipLockFirst"] ?? ""),
            ], submitLabel: "Save IP access", cancelHref: nil, formError: nil)
        }) { ctx, id, v in
            try await ProductService.updateIPAccess(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id,
                                                    allowed: v["ipAllowed"] ?? "", blocked: v["ipBlocked"] ?? "", lockFirst: Bool(checkbox: v["ipLockFirst"]))
        }
    }
}
