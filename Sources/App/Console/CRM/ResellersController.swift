import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CRM › Resellers (operator side): the resellers table of the manual, adding a reseller, its
/// details with balance, plans it may sell, credits or orders, and its balance log.
enum ResellersController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("crm", "resellers").grouped(RequirePermission(permission: .crm))
        r.get(use: list)
        r.get("new", use: newForm)
        r.post(use: create)
        r.get(":id", use: details)
        r.post(":id", "enable", use: enable)
        r.post(":id", "disable", use: disable)
        r.get(":id", "delete", use: confirmDelete)
        r.post(":id", "delete", use: delete)
        r.post(":id", "plans", use: assign)
        r.post(":id", "credits", use: credits)
        r.post(":id", "orders", use: order)
        r.post(":id", "orders", ":orderID", "refund", use: refund)
        r.post(":id", "login", use: setLogin)
        r.get(":id", "statement.csv", use: statement)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let resellers = try await ResellerService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let counts = try await ResellerService.customerCounts(ctx.env, deploymentID: ctx.deploymentID)
        let rows = resellers.map { r -> Row in
            let id = r.id!
            return Row(cells: [Cell(String(id), mono: true), Cell(r.name, href: "/crm/resellers/\(id)"), Cell(r.mobile),
                               Cell(String(counts[id] ?? 0), href: "/crm/customers?reseller=\(id)"),
                               Cell(r.enabled ? "Enabled" : "Disabled", badge: r.enabled ? "ok" : "danger"),
                               Cell(r.resellerType == ResellerType.prepaid.rawValue ? "Yes" : "No"),
                               Cell(r.resellerType == ResellerType.postpaid.rawValue ? "\(r.balance) credits" : "—")],
                       actions: [RowAction(label: r.enabled ? "Disable" : "Enable", href: nil, postTo: "/crm/resellers/\(id)/\(r.enabled ? "disable" : "enable")", danger: r.enabled),
                                 RowAction(label: "Delete", href: "/crm/resellers/\(id)/delete", postTo: nil, danger: true),
                                 RowAction(label: "Details", href: "/crm/resellers/\(id)", postTo: nil, danger: false)])
        }
        let table = TableVM(heading: "Resellers management tools",
                            intro: "Resellers sell your service as it is: they cannot create products or set prices and see only their own customers. Prepaid resellers buy orders of units; postpaid resellers buy credits.",
                            buttons: [Button(label: "Add a Reseller", href: "/crm/resellers/new", primary: true)], filters: [], filterAction: "/crm/resellers",
                            columns: ["ID", "Name", "Mobile", "Customers", "Disable/Enable", "Prepaid", "Balance"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: "No reseller yet.", pager: Pager(summary: "\(rows.count) resellers", prevHref: nil, nextHref: nil))
        return try await Layout.render(req, "table", title: "Resellers", table)
    }

    struct ResellerForm: Content {
        var name: String?; var mobile: String?; var email: String?; var company: String?; var address: String?
        var type: String?; var currency: String?; var allowAds: String?; var allowCustomLogin: String?; var creditLimit: String?
    }

    static func form(_ ctx: CRMContext, _ f: ResellerForm) async throws -> FormVM {
        let currencies = try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let cur = f.currency ?? "CREDITS"
        return FormVM(heading: "Add a Reseller", intro: "Postpaid resellers work in CREDITS: add that currency under Currencies first.", action: "/crm/resellers", fields: [
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("type", "Type", type: "select", value: f.type ?? "postpaid",
                  options: [("postpaid", "Postpaid (credits)"), ("prepaid", "Prepaid (orders of units)")].map { FieldOption(value: $0.0, label: $0.1, selected: $0.0 == (f.type ?? "postpaid")) }),
            Field("currency", "Currency", type: "select", value: cur, options: currencies.map { FieldOption(value: $0.code, label: $0.code, selected: $0.code == cur) }),
            Field("creditLimit", "Credit limit", type: "number", value: f.creditLimit ?? "0", help: "How many credits the balance may go below zero; 0 = never."),
            Field("mobile", "Mobile", value: f.mobile ?? ""), Field("email", "E-mail", type: "email", value: f.email ?? ""),
            Field("company", "Company", value: f.company ?? ""), Field("address", "Address", type: "textarea", value: f.address ?? ""),
            Field("allowAds", "Allow advertisement", type: "checkbox", value: f.allowAds ?? ""),
            Field("allowCustomLogin", "Allow customer login (custom usernames)", type: "checkbox", value: f.allowCustomLogin ?? ""),
        ], submitLabel: "Create Reseller", cancelHref: "/crm/resellers", formError: nil)
    }

    static func input(_ f: ResellerForm) throws -> ResellerService.Input {
        var input = ResellerService.Input(name: f.name ?? "", type: ResellerType(rawValue: f.type ?? "") ?? .postpaid)
        input.mobile = f.mobile ?? ""; input.email = f.email ?? ""; input.company = f.company ?? ""; input.address = f.address ?? ""
        input.currency = f.currency ?? ""; input.allowAds = Bool(checkbox: f.allowAds); input.allowCustomLogin = Bool(checkbox: f.allowCustomLogin)
        guard let limit = Int64(f.creditLimit?.isEmpty == false ? f.creditLimit! : "0") else { throw DomainError.validation(["creditLimit": "must be a whole number of credits"]) }
        input.creditLimit = limit
        return input
    }

    static func newForm(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await Layout.render(req, "form", title: "Add a Reseller", form(ctx, ResellerForm()))
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(ResellerForm.self)
        do {
            let input = try input(f)
            let r = try await ResellerService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: input)
            req.flash(.success, "\(r.name) created. Assign the plans it may sell below.")
            return req.redirect(to: "/crm/resellers/\(r.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await form(ctx, f)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add a Reseller", vm, status: .unprocessableEntity)
        }
    }

    static func details(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let r = try await ResellerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        let base = "/crm/resellers/\(id)"
        let products = try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var planNames: [Int: String] = [:]
        var planOptions: [FieldOption] = []
        for p in products {
            for plan in try await PaymentPlanModel.query(on: req.db).filter(\.$productID == p.id!).filter(\.$extraPackageID == nil).all() {
                planNames[plan.id!] = "\(p.name) — \(plan.name)"
                planOptions.append(FieldOption(value: "\(p.id!):\(plan.id!)", label: "\(p.name) — \(plan.name)\(plan.creditsPrice.map { " — \($0) credits" } ?? "")", selected: false))
            }
        }
        let postpaid = r.resellerType == ResellerType.postpaid.rawValue
        var sections: [Section] = [Section(title: nil, details: [
            KeyValue(key: postpaid ? "Balance" : "Type", value: postpaid ? "\(r.balance) credits" + (r.creditLimit > 0 ? " (may go down to −\(r.creditLimit))" : "") : "Prepaid", mono: false),
            KeyValue(key: "Status", value: r.enabled ? "Enabled" : "Disabled: cannot log in or sell; its customers keep their service", mono: false),
            KeyValue(key: "Custom usernames", value: r.allowCustomLogin ? "allowed" : "not allowed", mono: false),
            KeyValue(key: "Advertisement", value: r.allowAds ? "allowed" : "not allowed", mono: false),
            KeyValue(key: "Contact", value: [r.mobile, r.email, r.company].filter { !$0.isEmpty }.joined(separator: " · "), mono: false),
        ])]
        let assigned = try await ResellerService.assignments(ctx.env, resellerID: id)
        sections.append(Section(title: "Products it may sell", intro: "Per plan, with the reseller's discount off the credits price.",
                                table: .simple(["Plan", "Discount"], assigned.map {
                                    Row(cells: [Cell(planNames[$0.planID] ?? "#\($0.planID)"), Cell(String(format: "%.2f %%", Double($0.discountBasisPoints) / 100))], actions: [])
                                }, empty: "Nothing yet: the reseller cannot sell until a plan is assigned."),
                                form: FormVM(heading: "", intro: nil, action: "\(base)/plans", fields: [
                                    Field("plan", "Plan", type: "select", options: planOptions), Field("discount", "Discount %", value: "0")],
                                             submitLabel: "Assign plan", cancelHref: nil, formError: nil)))
        if postpaid {
            sections.append(Section(title: "Add or deduct balance", form: FormVM(heading: "", intro: "A negative amount deducts credits. Every movement is kept in the balance log.", action: "\(base)/credits", fields: [
                Field("amount", "Credits", type: "number", required: true), Field("reason", "Reason", required: true)], submitLabel: "Record", cancelHref: nil, formError: nil)))
        } else {
            let orders = try await ResellerOrderModel.query(on: req.db).filter(\.$resellerID == id).sort(\.$id, .descending).all()
            sections.append(Section(title: "Orders", table: .simple(["Order", "Plan", "Quantity", "Used", "Refunded", "Left", "Unit price", "Paid", "Status"], orders.map { o in
                Row(cells: [Cell(String(o.id!), mono: true), Cell(planNames[o.planID] ?? "#\(o.planID)"), Cell(String(o.quantity)), Cell(String(o.used)), Cell(String(o.refunded)),
                            Cell(String(o.remaining), badge: o.remaining > 0 ? "ok" : "muted"), Cell(money(o.unitPrice, o.currency)), Cell(o.paid ? "yes" : "no"), Cell(o.status)],
                    actions: o.status == "open" && o.remaining > 0 ? [RowAction(label: "Refund unused & close", href: nil, postTo: "\(base)/orders/\(o.id!)/refund", danger: true)] : [])
            }, empty: "No order yet."), form: FormVM(heading: "", intro: nil, action: "\(base)/orders", fields: [
                Field("plan", "Plan", type: "select", options: planOptions), Field("quantity", "Quantity", type: "number", value: "10"),
                Field("unitPrice", "Unit price (\(r.currency))", value: "0.00"), Field("paid", "Paid", type: "checkbox")],
                                                 submitLabel: "Sell order", cancelHref: nil, formError: nil)))
        }
        var loginEmail: String? = nil
        if let userID = r.userID { loginEmail = try await SystemUserModel.find(userID, on: req.db)?.email }
        sections.append(Section(title: "Console login", intro: loginEmail.map { "The reseller logs in as \($0) and sees only its own world. Leave the password empty to keep it." }
                                    ?? "Give the reseller a login to its portal: its balance or stock, its customers and its balance log.",
                                form: FormVM(heading: "", intro: nil, action: "\(base)/login", fields: [
                                    Field("email", "E-mail", type: "email", value: loginEmail ?? ""), Field("password", "Password", type: "password", autocomplete: "new-password")],
                                             submitLabel: loginEmail == nil ? "Create login" : "Update login", cancelHref: nil, formError: nil)))
        let entries = try await LedgerEntryModel.query(on: req.db).filter(\.$resellerID == id).sort(\.$id, .descending).limit(200).all()
        let me = LedgerAccount.reseller(id)
        sections.append(Section(title: "Balance log", intro: "The newest 200 movements; the statement CSV has every one, with its accounts.",
                                table: .simple(["When", "Movement", "Why", "By"], entries.map { e in
            let incoming = e.toAccount == me || e.toAccount.hasPrefix("order:")
            return Row(cells: [Cell(ctx.dates.string(e.at)), Cell("\(incoming ? "+" : "−")\(e.amount) \(e.unit == "CREDITS" ? "credits" : "unit(s)")"),
                               Cell(e.reason), Cell(e.actorLabel)], actions: [])
        }, empty: "No movement yet.")))
        let vm = SectionsVM(heading: "Reseller \(id) — \(r.name)", intro: postpaid ? "Postpaid" : "Prepaid",
                            buttons: [Button(label: "Customers", href: "/crm/customers?reseller=\(id)", primary: false),
                                      Button(label: "Statement (CSV)", href: "/crm/resellers/\(id)/statement.csv", primary: false),
                                      Button(label: "This month (CSV)", href: "/crm/resellers/\(id)/statement.csv?month=\(ctx.month(ctx.env.now))", primary: false)],
                            tabs: ResellerPagesController.tabs(id, active: "Details"), sections: sections)
        return try await Layout.render(req, "sections", title: r.name, vm)
    }

    static func act(_ req: Request, _ success: String, _ body: (CRMContext, Int) async throws -> Void) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/crm/resellers/\(id)") {
            try await body(ctx, id)
            return success
        }
    }

    static func enable(_ req: Request) async throws -> Response { try await setEnabled(req, true) }
    static func disable(_ req: Request) async throws -> Response { try await setEnabled(req, false) }

    static func setEnabled(_ req: Request, _ enabled: Bool) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        try await ResellerService.setEnabled(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, enabled: enabled)
        req.flash(.success, enabled ? "Reseller enabled." : "Reseller disabled: it cannot sell; its customers keep their service.")
        return req.redirect(to: "/crm/resellers", redirectType: .normal)
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let r = try await ResellerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        return try await Layout.render(req, "confirm", title: "Delete reseller", ConfirmVM(
            heading: "Delete \(r.name)?", message: "Only a reseller without customers, credits or unused units can be deleted. Its balance log stays in the ledger.",
            action: "/crm/resellers/\(id)/delete", buttonLabel: "Delete reseller", cancelHref: "/crm/resellers"))
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/crm/resellers") {
            try await ResellerService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            return "Reseller deleted."
        }
    }

    static func statement(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let r = try await ResellerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await csvStatement(req, reseller: r, zone: ctx.zone)
    }

    /// `?month=2026-11` limits the statement to one calendar month in the deployment's zone.
    static func csvStatement(_ req: Request, reseller r: ResellerModel, zone: TimeZone) async throws -> Response {
        let (from, to) = try monthBounds(req, zone: zone)
        let csv = try await ResellerLedger.statementCSV(on: req.db, resellerID: r.requireID(), from: from, to: to)
        let response = Response(status: .ok, body: .init(string: csv))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.contentDisposition = .init(.attachment, filename: "statement-\(r.id!)\(from == nil ? "" : "-" + (req.query[String.self, at: "month"] ?? "")).csv")
        return response
    }

    /// `?month=2026-11` as [start, end) of that month in `zone`; (nil, nil) without the parameter.
    static func monthBounds(_ req: Request, zone: TimeZone) throws -> (Date?, Date?) {
        guard let month = req.query[String.self, at: "month"], !month.isEmpty else { return (nil, nil) }
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM"
        f.timeZone = zone
        guard let start = f.date(from: month) else { throw DomainError.validation(["month": "must look like 2026-11"]) }
        return (start, SubscriptionCalendar.calendar(zone).date(byAdding: .month, value: 1, to: start))
    }

    struct LoginForm: Content { var email: String?; var password: String? }

    static func setLogin(_ req: Request) async throws -> Response {
        let f = try req.content.decode(LoginForm.self)
        return try await act(req, "Login saved.") { ctx, id in
            try await ResellerService.setLogin(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, email: f.email ?? "", password: f.password ?? "")
        }
    }

    struct Form: Content { var plan: String?; var discount: String?; var amount: String?; var reason: String?; var quantity: String?; var unitPrice: String?; var paid: String? }

    static func planIDs(_ f: Form) throws -> (Int, Int) {
        let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
        guard parts.count == 2 else { throw DomainError.validation(["plan": "choose a plan"]) }
        return (parts[0], parts[1])
    }

    static func assign(_ req: Request) async throws -> Response {
        let f = try req.content.decode(Form.self)
        return try await act(req, "Plan assigned.") { ctx, id in
            let (product, plan) = try planIDs(f)
            try await ResellerService.assign(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: id, productID: product, planID: plan, discountPercent: f.discount ?? "")
        }
    }

    static func credits(_ req: Request) async throws -> Response {
        let f = try req.content.decode(Form.self)
        return try await act(req, "Balance updated.") { ctx, id in
            guard let amount = Int64(f.amount ?? "") else { throw DomainError.validation(["amount": "must be a whole number of credits"]) }
            _ = try await ResellerLedger.adjustCredits(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: id, amount: amount, reason: f.reason ?? "")
        }
    }

    static func order(_ req: Request) async throws -> Response {
        let f = try req.content.decode(Form.self)
        return try await act(req, "Order recorded.") { ctx, id in
            let (_, plan) = try planIDs(f)
            let r = try await ResellerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            guard let code = CurrencyCode(r.currency), let price = Money.parse(f.unitPrice ?? "", currency: code) else {
                throw DomainError.validation(["unitPrice": "must be an amount in \(r.currency)"])
            }
            _ = try await ResellerLedger.placeOrder(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: id, planID: plan,
                                                    quantity: Int(f.quantity ?? "") ?? 0, unitPrice: price.minorUnits, currency: r.currency, paid: Bool(checkbox: f.paid))
        }
    }

    static func refund(_ req: Request) async throws -> Response {
        let orderID = try req.parameters.require("orderID", as: Int.self)
        return try await act(req, "Unused units refunded; the order is closed.") { ctx, _ in
            _ = try await ResellerLedger.refundUnits(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, orderID: orderID, units: nil, cancel: true)
        }
    }
}
