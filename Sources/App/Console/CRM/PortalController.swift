import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The reseller portal: the same console, reduced to the reseller's own world — its balance or
/// stock, the plans it may sell, its customers (sell, renew, disable), its balance log.
enum PortalController {
    static func register(_ console: any RoutesBuilder) {
        let p = console.grouped("portal").grouped(RequirePermission(permission: .resellerPortal))
        p.get(use: dashboard)
        p.get("customers", use: customers)
        p.get("customers", "new", use: newCustomer)
        p.post("customers", use: sell)
        p.get("credentials", use: credentials)
        p.get("customers", ":id", use: customer)
        p.post("customers", ":id", "renew", use: renew)
        p.post("customers", ":id", "change-product", use: changeProduct)
        p.post("customers", ":id", "extra-packages", use: sellExtraPackage)
        p.post("customers", ":id", "disable", use: disable)
        p.post("customers", ":id", "enable", use: enable)
        p.get("ledger", use: ledger)
        p.get("statement.csv", use: statement)
        p.get("performance", use: performance)
        p.get("branding", use: branding)
        p.on(.POST, "branding", body: .collect(maxSize: "6mb"), use: saveBranding)
    }

    struct Ctx {
        var env: ServiceEnvironment
        var actor: Principal
        var reseller: ResellerModel
        var deployment: DeploymentModel
        var dates: DateDisplay
        var deploymentID: UUID { deployment.id! }
        var resellerID: Int { reseller.id! }
    }

    static func ctx(_ req: Request) async throws -> Ctx {
        let actor = try req.actor
        guard let id = actor.resellerID, let r = try await ResellerModel.find(id, on: req.db),
              let d = try await DeploymentModel.find(r.deploymentID, on: req.db) else { throw DomainError.notFound("The reseller") }
        return Ctx(env: req.serviceEnvironment, actor: actor, reseller: r, deployment: d, dates: DateDisplay(timeZone: d.timeZone))
    }

    /// The plans this reseller may sell, with what one sale costs it.
    static func offer(_ x: Ctx, _ db: any Database) async throws -> [(key: String, label: String, plan: PaymentPlanModel)] {
        var out: [(String, String, PaymentPlanModel)] = []
        for a in try await ResellerService.assignments(x.env, resellerID: x.resellerID) {
            guard let plan = try await PaymentPlanModel.find(a.planID, on: db), let product = try await ProductModel.find(a.productID, on: db) else { continue }
            let cost = x.reseller.resellerType == ResellerType.postpaid.rawValue
                ? "\(ResellerPricing.charge(creditsPrice: plan.creditsPrice ?? 0, discountBasisPoints: a.discountBasisPoints)) credits"
                : "1 unit"
            out.append(("\(product.id!):\(plan.id!)", "\(product.name) — \(plan.name) — costs \(cost)", plan))
        }
        return out
    }

    static func dashboard(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        let postpaid = x.reseller.resellerType == ResellerType.postpaid.rawValue
        var sections: [Section] = []
        if postpaid {
            sections.append(Section(title: "Balance", details: [KeyValue(key: "Credits", value: "\(x.reseller.balance)", mono: false)]))
        } else {
            let orders = try await ResellerOrderModel.query(on: req.db).filter(\.$resellerID == x.resellerID).filter(\.$status == "open").all()
                .filter { $0.remaining > 0 }
            sections.append(Section(title: "Stock", table: .simple(["Order", "Units left", "Of"], orders.map {
                Row(cells: [Cell(String($0.id!), mono: true), Cell(String($0.remaining), badge: $0.remaining > 0 ? "ok" : "danger"), Cell(String($0.quantity))], actions: [])
            }, empty: "No open order: ask the operator for a new one.")))
        }
        let plans = try await offer(x, req.db)
        sections.append(Section(title: "What you can sell", table: .simple(["Plan"], plans.map { Row(cells: [Cell($0.label)], actions: []) },
                                                                          empty: "The operator has not assigned any plan to you yet.")))
        let count = try await CustomerModel.query(on: req.db).filter(\.$resellerID == x.resellerID).filter(\.$deletedAt == nil).count()
        let vm = SectionsVM(heading: x.reseller.name, intro: "\(count) customer\(count == 1 ? "" : "s")",
                            buttons: [Button(label: "Sell a subscription", href: "/portal/customers/new", primary: true),
                                      Button(label: "My customers", href: "/portal/customers", primary: false)], tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "Reseller portal", vm)
    }

    static func customers(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        var q = CustomerService.Query()
        q.search = req.query[String.self, at: "q"] ?? ""
        q.beforeID = req.query[Int.self, at: "before"]
        let page = try await CustomerService.list(x.env, actor: x.actor, deploymentID: x.deploymentID, query: q)
        let tq = TableQuery(req, path: "/portal/customers", filterNames: ["before"])
        let rows = page.customers.map { c -> Row in
            let disabled = c.status == CustomerStatus.disabled.rawValue
            return Row(cells: [Cell(String(c.id!), href: "/portal/customers/\(c.id!)", mono: true), Cell(c.login, href: "/portal/customers/\(c.id!)"), Cell([c.firstName, c.lastName].filter { !$0.isEmpty }.joined(separator: " ")),
                               Cell(CustomerStatus(rawValue: c.status)?.label ?? c.status, badge: CustomersController.badge(CustomerStatus(rawValue: c.status))),
                               Cell(c.expiresAt.map { x.dates.string($0) } ?? "at first login")],
                       actions: [RowAction(label: "Renew", href: nil, postTo: "/portal/customers/\(c.id!)/renew", danger: false),
                                 RowAction(label: disabled ? "Enable" : "Disable", href: nil, postTo: "/portal/customers/\(c.id!)/\(disabled ? "enable" : "disable")", danger: !disabled)])
        }
        let table = TableVM(heading: "My customers", intro: "Renew adds one more period of the customer's plan and is charged like a sale.",
                            buttons: [Button(label: "Sell a subscription", href: "/portal/customers/new", primary: true)],
                            filters: [Filter(name: "q", label: "Search login, name, e-mail or phone", type: "text", value: q.search, options: [])],
                            filterAction: "/portal/customers", columns: ["ID", "Login", "Name", "Status", "Expires"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: q.search.isEmpty ? "No customer yet." : "No customer matches \u{201C}\(q.search)\u{201D}.",
                            pager: Pager(summary: "\(page.customers.count) shown, newest first", prevHref: nil,
                                         nextHref: page.hasOlder ? tq.href(["before": page.customers.last.map { String($0.id!) }]) : nil))
        return try await Layout.render(req, "table", title: "My customers", table)
    }

    struct SaleForm: Content {
        var plan: String?; var firstName: String?; var lastName: String?; var email: String?; var mobile: String?; var city: String?
        var country: String?; var login: String?; var password: String?
    }

    static func saleForm(_ x: Ctx, _ req: Request, _ f: SaleForm) async throws -> FormVM {
        let plans = try await offer(x, req.db)
        var fields = [Field("plan", "Plan", type: "select", value: f.plan ?? "", options: plans.map { FieldOption(value: $0.key, label: $0.label, selected: $0.key == f.plan) }, required: true),
                      Field("firstName", "First name", value: f.firstName ?? ""), Field("lastName", "Last name", value: f.lastName ?? ""),
                      Field("email", "E-mail", type: "email", value: f.email ?? ""), Field("mobile", "Mobile", value: f.mobile ?? "", help: "International form, e.g. +31612345678."),
                      Field("city", "City", value: f.city ?? ""), Field("country", "Country code", value: f.country ?? "", help: "Two letters, e.g. NL.")]
        if x.reseller.allowCustomLogin {
            fields += [Field("login", "Custom username", value: f.login ?? ""), Field("password", "Custom password", value: f.password ?? "")]
        }
        return FormVM(heading: "Sell a subscription", intro: x.reseller.resellerType == ResellerType.postpaid.rawValue ? "You have \(x.reseller.balance) credits." : nil,
                      action: "/portal/customers", fields: fields, submitLabel: "Sell", cancelHref: "/portal/customers", formError: nil)
    }

    static func newCustomer(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        return try await Layout.render(req, "form", title: "Sell", saleForm(x, req, SaleForm()))
    }

    static func sell(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        let f = try req.content.decode(SaleForm.self)
        do {
            let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { throw DomainError.validation(["plan": "choose a plan"]) }
            guard let product = try await ProductModel.find(parts[0], on: req.db) else { throw DomainError.validation(["plan": "choose a plan"]) }
            var n = CustomerService.NewCustomer(productID: parts[0], planID: parts[1], currency: product.defaultCurrency)
            n.contact.firstName = f.firstName ?? ""; n.contact.lastName = f.lastName ?? ""; n.contact.email = f.email ?? ""
            n.contact.mobile = f.mobile ?? ""; n.contact.city = f.city ?? ""; n.contact.country = f.country ?? ""
            n.login = f.login ?? ""
            n.password = f.password ?? ""
            let created = try await ResellerLedger.sell(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID, input: n)
            let crmCtx = CRMContext(env: x.env, actor: x.actor, deployment: x.deployment, dates: x.dates)
            return try await CustomersController.credentialsPage(req, crmCtx, created: [created], heading: "Customer \(created.customer.id!) sold", showAt: "/portal/credentials")
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict || e.kind == .forbidden {
            var vm = try await saleForm(x, req, f)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Sell", vm, status: e.kind == .invalid ? .unprocessableEntity : .conflict)
        }
    }

    static func credentials(_ req: Request) async throws -> Response {
        _ = try await ctx(req)
        return try await CustomersController.renderCredentials(req, customerPath: "/portal/customers")
    }

    /// A POST on one customer; `back` returns to that customer's page instead of the list.
    static func act(_ req: Request, back: Bool = false, _ body: (Ctx, Int) async throws -> String) async throws -> Response {
        let x = try await ctx(req)
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: back ? "/portal/customers/\(id)" : "/portal/customers") { try await body(x, id) }
    }

    struct ActionForm: Content { var plan: String?; var synced: String? }

    /// "productID:planID" from a plan select.
    static func planChoice(_ f: ActionForm) -> (product: Int, plan: Int)? {
        let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    static func renew(_ req: Request) async throws -> Response {
        let f = try req.content.decode(ActionForm.self)
        return try await act(req) { x, id in
            let c = try await ResellerLedger.renew(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID, customerID: id,
                                                   planID: planChoice(f)?.plan)
            return "Customer \(id) renewed until \(x.dates.string(c.expiresAt))."
        }
    }

    static func changeProduct(_ req: Request) async throws -> Response {
        let f = try req.content.decode(ActionForm.self)
        return try await act(req, back: true) { x, id in
            guard let choice = planChoice(f) else { throw DomainError.validation(["plan": "choose a plan"]) }
            let c = try await ResellerLedger.changeProduct(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID, customerID: id,
                                                           productID: choice.product, planID: choice.plan)
            return "Customer \(id) moved to the new plan until \(x.dates.string(c.expiresAt))."
        }
    }

    static func sellExtraPackage(_ req: Request) async throws -> Response {
        let f = try req.content.decode(ActionForm.self)
        return try await act(req, back: true) { x, id in
            guard let planID = Int(f.plan ?? "") else { throw DomainError.validation(["plan": "choose an extra package"]) }
            let e = try await ResellerLedger.sellExtraPackage(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID, customerID: id,
                                                              planID: planID, synced: Bool(checkbox: f.synced))
            return "Extra package added until \(x.dates.string(e.expiresAt))."
        }
    }

    /// One of the reseller's own customers: subscription, add-ons and what the reseller can do.
    static func customer(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        let id = try req.parameters.require("id", as: Int.self)
        let c = try await CustomerService.find(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id, resellerMayAct: true)
        let product = try await ProductModel.find(c.productID, on: req.db)
        let plan = c.planID == nil ? nil : try await PaymentPlanModel.find(c.planID!, on: req.db)
        let offer = try await offer(x, req.db)
        let base = "/portal/customers/\(id)"
        var sections = [Section(title: nil, details: [
            KeyValue(key: "Login", value: c.login, mono: true),
            KeyValue(key: "Name", value: [c.firstName, c.lastName].filter { !$0.isEmpty }.joined(separator: " "), mono: false),
            KeyValue(key: "Status", value: CustomerStatus(rawValue: c.status)?.label ?? c.status, mono: false),
            KeyValue(key: "Product", value: [product?.name, plan?.name].compactMap { $0 }.joined(separator: " — "), mono: false),
            KeyValue(key: "Expires", value: c.expiresAt.map { x.dates.string($0) } ?? "at first login", mono: false),
        ])]
        let sameProduct = offer.filter { $0.plan.productID == c.productID }
        sections.append(Section(title: "Renew", intro: "Adds one period from the current expiry; charged like a sale.",
                                form: FormVM(heading: "", intro: nil, action: "\(base)/renew", fields: [
                                    Field("plan", "Plan", type: "select", options: sameProduct.map { FieldOption(value: $0.key, label: $0.label, selected: $0.plan.id == c.planID) })],
                                             submitLabel: "Renew", cancelHref: nil, formError: sameProduct.isEmpty ? "You may not sell any plan of this customer's product." : nil)))
        let otherProducts = offer.filter { $0.plan.productID != c.productID }
        if !otherProducts.isEmpty {
            sections.append(Section(title: "Change product", intro: "Starts the new plan now; charged like a sale of the new plan.",
                                    form: FormVM(heading: "", intro: nil, action: "\(base)/change-product", fields: [
                                        Field("plan", "New plan", type: "select", options: otherProducts.map { FieldOption(value: $0.key, label: $0.label, selected: false) })],
                                                 submitLabel: "Change product", cancelHref: nil, formError: nil)))
        }
        let addOns = try await extraOffer(x, productID: c.productID, req.db)
        let owned = try await CustomerExtraPackageModel.query(on: req.db).filter(\.$customerID == id).sort(\.$id).all()
        let packageNames = Dictionary(uniqueKeysWithValues: try await ExtraPackageModel.query(on: req.db).filter(\.$productID == c.productID).all().map { ($0.id!, $0.name) })
        sections.append(Section(title: "Extra packages",
                                table: .simple(["Package", "Until"], owned.map { e in
                                    Row(cells: [Cell(packageNames[e.extraPackageID] ?? "#\(e.extraPackageID)"), Cell(x.dates.string(e.synced ? (c.expiresAt ?? e.expiresAt) : e.expiresAt))], actions: [])
                                }, empty: "None."),
                                form: addOns.isEmpty ? nil : FormVM(heading: "", intro: nil, action: "\(base)/extra-packages", fields: [
                                    Field("plan", "Extra package", type: "select", options: addOns.map { FieldOption(value: String($0.plan.id!), label: $0.label, selected: false) }),
                                    Field("synced", "End together with the subscription", type: "checkbox")],
                                                                    submitLabel: "Add extra package", cancelHref: nil, formError: nil)))
        let disabled = c.status == CustomerStatus.disabled.rawValue
        sections.append(Section(title: nil, actions: [RowAction(label: disabled ? "Enable" : "Disable", href: nil, postTo: "\(base)/\(disabled ? "enable" : "disable")", danger: !disabled)]))
        let vm = SectionsVM(heading: "Customer \(id)", intro: nil, buttons: [Button(label: "My customers", href: "/portal/customers", primary: false)], tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "Customer \(id)", vm)
    }

    /// The extra-package plans of a product this reseller may sell, with what one costs it.
    static func extraOffer(_ x: Ctx, productID: Int, _ db: any Database) async throws -> [(label: String, plan: PaymentPlanModel)] {
        let mappings = try await ResellerExtras.extraPackageMappings(x.env, resellerID: x.resellerID)
        var out: [(String, PaymentPlanModel)] = []
        for m in mappings {
            guard let pkg = try await ExtraPackageModel.find(m.extraPackageID, on: db), pkg.productID == productID else { continue }
            for plan in try await PaymentPlanModel.query(on: db).filter(\.$extraPackageID == m.extraPackageID).sort(\.$id).all() {
                let cost = x.reseller.resellerType == ResellerType.postpaid.rawValue
                    ? "\(ResellerPricing.charge(creditsPrice: m.creditsPrice ?? plan.creditsPrice ?? 0, discountBasisPoints: m.discountBasisPoints)) credits"
                    : "1 unit"
                out.append(("\(pkg.name) — \(plan.name) — costs \(cost)", plan))
            }
        }
        return out
    }

    static func performance(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        let months = try await ResellerPerformance.monthly(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID)
        let vm = SectionsVM(heading: "Performance", intro: nil, buttons: [], tabs: [], sections: ResellerViews.performanceSections(x.reseller, months))
        return try await Layout.render(req, "sections", title: "Performance", vm)
    }

    static func branding(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        let b = try await ResellerExtras.branding(x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID)
        let vm = SectionsVM(heading: "Branding", intro: ResellerViews.brandingIntro, buttons: [], tabs: [],
                            sections: try await ResellerViews.brandingSections(req, b, action: "/portal/branding", form: nil))
        return try await Layout.render(req, "sections", title: "Branding", vm)
    }

    static func saveBranding(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        return try await ResellerViews.saveBranding(req, env: x.env, actor: x.actor, deploymentID: x.deploymentID, resellerID: x.resellerID,
                                                    action: "/portal/branding") { sections, status in
            try await Layout.render(req, "sections", title: "Branding", SectionsVM(heading: "Branding", intro: ResellerViews.brandingIntro, buttons: [], tabs: [], sections: sections), status: status)
        }
    }

    static func disable(_ req: Request) async throws -> Response {
        try await act(req) { x, id in
            _ = try await CustomerService.setDisabled(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id, disabled: true)
            return "Customer \(id) disabled."
        }
    }

    static func enable(_ req: Request) async throws -> Response {
        try await act(req) { x, id in
            _ = try await CustomerService.setDisabled(x.env, actor: x.actor, deploymentID: x.deploymentID, id: id, disabled: false)
            return "Customer \(id) enabled."
        }
    }

    static func ledger(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        let crm = CRMContext(env: x.env, actor: x.actor, deployment: x.deployment, dates: x.dates)
        let (from, to) = try ResellersController.monthBounds(req, zone: crm.zone)
        let q = LedgerEntryModel.query(on: req.db).filter(\.$resellerID == x.resellerID)
        if let from, let to { q.filter(\.$at >= from).filter(\.$at < to) }
        let entries = try await q.sort(\.$id, .descending).limit(500).all()
        let month = req.query[String.self, at: "month"] ?? ""
        let thisMonth = crm.month(x.env.now)
        let me = LedgerAccount.reseller(x.resellerID)
        let rows = entries.map { e -> Row in
            let sign = (e.toAccount == me || e.toAccount.hasPrefix("order:")) ? "+" : "−"
            return Row(cells: [Cell(x.dates.string(e.at)), Cell("\(sign)\(e.amount) \(e.unit == "CREDITS" ? "credits" : "unit(s)")"), Cell(e.reason), Cell(e.actorLabel)], actions: [])
        }
        let table = TableVM(heading: month.isEmpty ? "Balance log" : "Balance log — \(month)",
                            intro: "Every movement of your credits or units: what moved, when, why and by whom.",
                            buttons: [Button(label: "This month", href: "/portal/ledger?month=\(thisMonth)", primary: month == thisMonth),
                                      Button(label: "All", href: "/portal/ledger", primary: month.isEmpty),
                                      Button(label: month.isEmpty ? "Statement (CSV)" : "Statement \(month) (CSV)", href: "/portal/statement.csv" + (month.isEmpty ? "" : "?month=\(month)"), primary: false)],
                            filters: [],
                            filterAction: "/portal/ledger", columns: ["When", "Movement", "Why", "By"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: "No movement yet.", pager: Pager(summary: "\(rows.count) movements", prevHref: nil, nextHref: nil))
        return try await Layout.render(req, "table", title: "Balance log", table)
    }

    static func statement(_ req: Request) async throws -> Response {
        let x = try await ctx(req)
        return try await ResellersController.csvStatement(req, reseller: x.reseller, zone: TimeZone(identifier: x.deployment.timeZone) ?? TimeZone(identifier: "UTC")!)
    }
}
