import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CRM › Customers: the table, add, details tabs and every action on one customer.
enum CustomersController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("crm", "customers").grouped(RequirePermission(permission: .crm))
        r.get(use: list)
        r.get("new", use: newForm)
        r.get("credentials", use: showCredentials)
        r.post(use: create)
        r.get(":id", use: details)
        r.post(":id", use: updateContact)
        r.post(":id", "message", use: message)
        r.post(":id", "password", use: resetPassword)
        r.post(":id", "renew", use: renew)
        r.post(":id", "extend", use: extend)
        r.post(":id", "change-product", use: changeProduct)
        r.post(":id", "cancel", use: cancel)
        r.post(":id", "disable", use: disable)
        r.post(":id", "enable", use: enable)
        r.post(":id", "trash", use: trash)
        r.post(":id", "restore", use: restore)
        r.get(":id", "purge", use: confirmPurge)
        r.post(":id", "purge", use: purge)
        r.post(":id", "devices", use: linkDevice)
        r.post(":id", "devices", ":deviceID", "connect", use: connectDevice)
        r.post(":id", "devices", ":deviceID", "disconnect", use: disconnectDevice)
        r.post(":id", "devices", ":deviceID", "delete", use: deleteDevice)
        r.post(":id", "wallet", use: wallet)
        r.post(":id", "ppv", use: buyPPV)
        r.post(":id", "extras", use: addExtra)
        r.post(":id", "extras", ":entryID", "delete", use: removeExtra)
    }

    // MARK: List

    static let filterNames = ["status", "product", "reseller", "trash", "before", "after"]

    static func query(_ req: Request) -> CustomerService.Query {
        var q = CustomerService.Query()
        q.search = req.query[String.self, at: "q"] ?? ""
        q.status = req.query[String.self, at: "status"].flatMap { $0.isEmpty ? nil : $0 }
        q.productID = req.query[Int.self, at: "product"]
        q.resellerID = req.query[Int.self, at: "reseller"]
        q.trashed = req.query[String.self, at: "trash"] == "1"
        q.beforeID = req.query[Int.self, at: "before"]
        q.afterID = req.query[Int.self, at: "after"]
        q.limit = 50
        return q
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let q = query(req)
        let page = try await CustomerService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, query: q)
        let products = try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let names = Dictionary(uniqueKeysWithValues: products.map { ($0.id!, $0.name) })
        let tq = TableQuery(req, path: "/crm/customers", filterNames: filterNames)
        let rows = page.customers.map { c -> Row in
            let status = CustomerStatus(rawValue: c.status)
            return Row(cells: [Cell("", checkbox: q.trashed ? nil : String(c.id!)), Cell(String(c.id!), href: "/crm/customers/\(c.id!)", mono: true),
                               Cell(c.login), Cell([c.firstName, c.lastName].filter { !$0.isEmpty }.joined(separator: " ")),
                               Cell(names[c.productID] ?? "#\(c.productID)"),
                               Cell(status?.label ?? c.status, badge: badge(status)),
                               Cell(c.expiresAt.map { ctx.day($0) } ?? "at first login"),
                               Cell(c.mobile.isEmpty ? c.email : c.mobile), Cell(c.resellerID.map { "#\($0)" } ?? "—")],
                       actions: [RowAction(label: "Details", href: "/crm/customers/\(c.id!)", postTo: nil, danger: false)])
        }
        let statusOptions = [FilterOption(value: "", label: "Any status", selected: q.status == nil)]
            + CustomerStatus.allCases.map { FilterOption(value: $0.rawValue, label: $0.label, selected: q.status == $0.rawValue) }
        let productOptions = [FilterOption(value: "", label: "Any product", selected: q.productID == nil)]
            + products.map { FilterOption(value: String($0.id!), label: $0.name, selected: q.productID == $0.id) }
        var bulkAll = tq
        bulkAll.path = "/crm/customers/bulk"
        let table = TableVM(
            heading: q.trashed ? "Customers — trash" : "Customers",
            intro: q.trashed ? "Deleted customers. Restore them, or purge them for good from their details page." : nil,
            buttons: [Button(label: "Add customer", href: "/crm/customers/new", primary: true),
                      Button(label: "Add range", href: "/crm/customers/range", primary: false),
                      Button(label: "Import", href: "/crm/customers/import", primary: false),
                      Button(label: "Count", href: "/crm/customers/count", primary: false),
                      Button(label: "Export CSV", href: tq.href(["before": nil, "after": nil]).replacingOccurrences(of: "/crm/customers", with: "/crm/customers/export.csv"), primary: false),
                      Button(label: q.trashed ? "Back to customers" : "Trash", href: q.trashed ? "/crm/customers" : "/crm/customers?trash=1", primary: false)],
            filters: [Filter(name: "q", label: "Search login, name, e-mail, phone, MAC, mapping id or number", type: "text", value: q.search, options: []),
                      Filter(name: "status", label: "Status", type: "select", value: q.status ?? "", options: statusOptions),
                      Filter(name: "product", label: "Product", type: "select", value: q.productID.map(String.init) ?? "", options: productOptions),
                      Filter(name: "reseller", label: "Reseller id", type: "text", value: q.resellerID.map(String.init) ?? "", options: [])]
                + (q.trashed ? [Filter(name: "trash", label: "", type: "hidden", value: "1", options: [])] : []),
            filterAction: "/crm/customers",
            columns: ["", "ID", "Login", "Name", "Product", "Status", "Expires", "Contact", "Reseller"].map { Column(label: $0, sortHref: nil, indicator: "") },
            rows: rows, emptyText: q.search.isEmpty ? "No customer here yet." : "No customer matches \"\(q.search)\".",
            pager: Pager(summary: "\(page.customers.count) shown, newest first",
                         prevHref: page.hasNewer ? tq.href(["after": page.customers.first.map { String($0.id!) }, "before": nil]) : nil,
                         nextHref: page.hasOlder ? tq.href(["before": page.customers.last.map { String($0.id!) }, "after": nil]) : nil),
            bulk: q.trashed ? nil : BulkVM(action: "/crm/customers/bulk", buttonLabel: "Bulk edit selected",
                                           allHref: bulkAll.href(["before": nil, "after": nil, "all": "1"]), allLabel: "Bulk edit everything this filter matches"))
        return try await Layout.render(req, "table", title: "Customers", table)
    }

    static func badge(_ s: CustomerStatus?) -> String {
        switch s {
        case .active: "ok"
        case .trial: "info"
        case .expired, .disabled: "danger"
        default: "muted"
        }
    }

    // MARK: Add

    struct CustomerForm: Content {
        var plan: String?
        var currency: String?
        var title: String?; var firstName: String?; var lastName: String?; var street: String?; var zip: String?; var city: String?
        var state: String?; var country: String?; var phone: String?; var mobile: String?; var email: String?; var facility: String?
        var comment: String?; var mappingId: String?; var resellerId: String?; var dealerId: String?
        var login: String?; var password: String?; var startFromFirstLogin: String?

        var contact: CustomerService.Contact {
            var c = CustomerService.Contact()
            c.title = title ?? ""; c.firstName = firstName ?? ""; c.lastName = lastName ?? ""; c.street = street ?? ""; c.zip = zip ?? ""
            c.city = city ?? ""; c.state = state ?? ""; c.country = country ?? ""; c.phone = phone ?? ""; c.mobile = mobile ?? ""
            c.email = email ?? ""; c.facility = facility ?? ""; c.comment = comment ?? ""; c.mappingID = mappingId ?? ""
            c.resellerID = resellerId.flatMap { Int($0) }; c.dealerID = dealerId.flatMap { Int($0) }
            return c
        }

        init(_ c: CustomerModel? = nil) {
            title = c?.title; firstName = c?.firstName; lastName = c?.lastName; street = c?.street; zip = c?.zip; city = c?.city
            state = c?.state; country = c?.country; phone = c?.phone; mobile = c?.mobile; email = c?.email; facility = c?.facility
            comment = c?.comment; mappingId = c?.mappingID; resellerId = c?.resellerID.map(String.init); dealerId = c?.dealerID.map(String.init)
        }

        /// "productId:planId"
        var productAndPlan: (Int, Int)? {
            let parts = (plan ?? "").split(separator: ":").compactMap { Int($0) }
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }
    }

    static func contactFields(_ f: CustomerForm) -> [Field] {
        [Field("title", "Title", type: "select", value: f.title ?? "", options: ["", "Mr", "Mrs", "Ms", "Mx"].map { FieldOption(value: $0, label: $0.isEmpty ? "—" : $0, selected: $0 == (f.title ?? "")) }),
         Field("firstName", "First name", value: f.firstName ?? ""), Field("lastName", "Last name", value: f.lastName ?? ""),
         Field("street", "Street", value: f.street ?? ""), Field("zip", "Postcode", value: f.zip ?? ""),
         Field("city", "City", value: f.city ?? "", help: "A real city: the apps' weather widget uses it."),
         Field("state", "State / region", value: f.state ?? ""),
         Field("country", "Country", type: "select", value: f.country ?? "",
               options: [FieldOption(value: "", label: "—", selected: (f.country ?? "").isEmpty)] + Country.all.map { FieldOption(value: $0.code, label: $0.name, selected: $0.code == f.country) }),
         Field("phone", "Phone", value: f.phone ?? ""),
         Field("mobile", "Mobile", value: f.mobile ?? "", help: "International form, e.g. +31612345678, so SMS reach it."),
         Field("email", "E-mail", type: "email", value: f.email ?? ""), Field("facility", "Facility", value: f.facility ?? ""),
         Field("mappingId", "Mapping id", value: f.mappingId ?? "", help: "The customer's id in your billing system."),
         Field("resellerId", "Reseller id", type: "number", value: f.resellerId ?? ""), Field("dealerId", "Dealer id", type: "number", value: f.dealerId ?? ""),
         Field("comment", "Comment", type: "textarea", value: f.comment ?? "")]
    }

    /// Product/plan choices with price and the end date each would give if sold now.
    static func planOptions(_ ctx: CRMContext, selected: String?, sellableOnly: Bool = true) async throws -> [FieldOption] {
        var out: [FieldOption] = []
        for p in try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID) {
            let d = try await ProductService.details(of: p, on: ctx.env.db)
            for plan in d.plans(ofExtra: nil) where !sellableOnly || !(d.prices[plan.id!] ?? []).isEmpty {
                let end = try await CustomerService.previewExpiry(ctx.env, deploymentID: ctx.deploymentID, plan: plan)
                let key = "\(p.id!):\(plan.id!)"
                let ends = p.startFromFirstLogin ? "starts at first login" : "ends \(ctx.day(end))"
                out.append(FieldOption(value: key, label: "\(p.name) — \(plan.name) — \(ends) — \(ProductsController.pricesText(d, plan))", selected: key == selected))
            }
        }
        return out
    }

    static func addForm(_ ctx: CRMContext, _ f: CustomerForm) async throws -> FormVM {
        let currencies = try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).filter { $0.code != "CREDITS" }
        let cur = f.currency ?? ctx.deployment.defaultCurrency
        let options = try await planOptions(ctx, selected: f.plan)
        var fields = [
            Field("plan", "Product and plan", type: "select", value: f.plan ?? "", options: options,
                  help: options.isEmpty ? "No product can be sold yet: add a product with a priced plan first." : "The summary shows the price and the end date the plan gives if the customer starts today.", required: true),
            Field("currency", "Currency", type: "select", value: cur, options: currencies.map { FieldOption(value: $0.code, label: $0.code, selected: $0.code == cur) }, required: true),
            Field("startFromFirstLogin", "Start subscription from first login", type: "select", value: f.startFromFirstLogin ?? "",
                  options: [("", "As the product says"), ("yes", "Yes"), ("no", "No, start today")].map { FieldOption(value: $0.0, label: $0.1, selected: $0.0 == (f.startFromFirstLogin ?? "")) }),
        ]
        fields += contactFields(f)
        fields += [Field("login", "Custom username", value: f.login ?? "", help: "Optional. 6–99 letters, digits or !#@=()_.$+-. Generated when empty; cannot be changed later here.", autocomplete: "off"),
                   Field("password", "Custom password", value: f.password ?? "", help: "Optional. 4–24 letters, digits or !#@=()_$+-. Generated when empty.", autocomplete: "off")]
        return FormVM(heading: "Add a customer", intro: nil, action: "/crm/customers", fields: fields, submitLabel: "Add customer", cancelHref: "/crm/customers", formError: nil)
    }

    static func newForm(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await Layout.render(req, "form", title: "Add customer", addForm(ctx, CustomerForm()))
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(CustomerForm.self)
        do {
            guard let (productID, planID) = f.productAndPlan else { throw DomainError.validation(["plan": "choose a product and plan"]) }
            var input = CustomerService.NewCustomer(productID: productID, planID: planID, currency: f.currency ?? "", contact: f.contact)
            input.login = f.login ?? ""
            input.password = f.password ?? ""
            input.startFromFirstLogin = f.startFromFirstLogin == "yes" ? true : (f.startFromFirstLogin == "no" ? false : nil)
            let created = try await CustomerService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: input)
            return try await credentialsPage(req, ctx, created: [created], heading: "Customer \(created.customer.id!) created")
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await addForm(ctx, f)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add customer", vm, status: .unprocessableEntity)
        }
    }

    /// New credentials, kept in the session only until they are shown once.
    struct CredentialsSheet: Codable {
        struct Entry: Codable { var id: Int; var name: String; var facility: String; var login: String; var password: String; var expires: String; var status: String }
        var heading: String
        var entries: [Entry]
    }

    /// POST → redirect → GET: the credentials go into the session and are shown by
    /// `GET /crm/customers/credentials`, which removes them. A reload therefore neither creates the
    /// customers again nor shows the passwords twice.
    static func credentialsPage(_ req: Request, _ ctx: CRMContext, created: [CustomerService.Created], heading: String,
                                showAt: String = "/crm/customers/credentials") async throws -> Response {
        let sheet = CredentialsSheet(heading: heading, entries: created.map { c in
            .init(id: c.customer.id!, name: [c.customer.firstName, c.customer.lastName].filter { !$0.isEmpty }.joined(separator: " "),
                  facility: c.customer.facility, login: c.customer.login, password: c.password,
                  expires: c.customer.expiresAt.map { ctx.dates.string($0) } ?? "counted from the first login",
                  status: CustomerStatus(rawValue: c.customer.status)?.label ?? c.customer.status)
        })
        req.session.data["credentials"] = String(decoding: try JSONEncoder().encode(sheet), as: UTF8.self)
        return req.redirect(to: showAt, redirectType: .normal)
    }

    static func showCredentials(_ req: Request) async throws -> Response {
        _ = try await req.crm()
        return try await renderCredentials(req, customerPath: "/crm/customers")
    }

    /// Shows (and forgets) the credentials kept by `credentialsPage`; the caller checks access.
    static func renderCredentials(_ req: Request, customerPath: String) async throws -> Response {
        guard let raw = req.session.data["credentials"], let sheet = try? JSONDecoder().decode(CredentialsSheet.self, from: Data(raw.utf8)) else {
            req.flash(.info, "New credentials are shown only once. Make a new password on the customer's page if they were lost.")
            return req.redirect(to: customerPath, redirectType: .normal)
        }
        req.session.data["credentials"] = nil
        var csv = CSV.line(["customer_id", "name", "facility", "login", "password", "expires"]) + "\r\n"
        for e in sheet.entries { csv += CSV.line([String(e.id), e.name, e.facility, e.login, e.password, e.expires]) + "\r\n" }
        let download = Download(label: "Download credentials (CSV)", filename: "customers-credentials.csv",
                                href: "data:text/csv;base64," + Data(csv.utf8).base64EncodedString())
        var sections: [Section] = []
        if sheet.entries.count == 1, let e = sheet.entries.first {
            sections.append(Section(title: "Login details", intro: "Shown only now: passwords are stored as hashes. Give them to the customer, or make a new password later.",
                                    details: [KeyValue(key: "Username", value: e.login, mono: true), KeyValue(key: "Password", value: e.password, mono: true),
                                              KeyValue(key: "Status", value: e.status, mono: false), KeyValue(key: "Expires", value: e.expires, mono: false)],
                                    download: download))
        } else {
            sections.append(Section(title: "\(sheet.entries.count) customers", intro: "Download the credentials now: passwords are shown only once.",
                                    table: .simple(["ID", "Name", "Username", "Password"], sheet.entries.prefix(200).map {
                                        Row(cells: [Cell(String($0.id), href: "\(customerPath)/\($0.id)", mono: true), Cell($0.name), Cell($0.login, mono: true), Cell($0.password, mono: true)], actions: [])
                                    }, empty: ""), download: download))
        }
        let buttons = sheet.entries.count == 1 ? [Button(label: "Open customer", href: "\(customerPath)/\(sheet.entries[0].id)", primary: true)]
                                               : [Button(label: "Back to customers", href: customerPath, primary: true)]
        return try await Layout.render(req, "sections", title: sheet.heading, SectionsVM(heading: sheet.heading, intro: nil, buttons: buttons, tabs: [], sections: sections))
    }

    // MARK: Details

    static let tabs: [(String, String)] = [("information", "Information"), ("subscription", "Subscription"), ("content", "Content"), ("devices", "Devices"),
                                           ("wallet", "Wallet"), ("messages", "Messages"), ("profiles", "Profiles & reports"), ("logs", "Logs")]

    static func details(_ req: Request) async throws -> Response {
        try await renderDetails(req, tab: req.query[String.self, at: "tab"] ?? "information", forms: [:])
    }

    static func renderDetails(_ req: Request, tab: String, forms: [String: FormVM], status: HTTPStatus = .ok) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let c = try await CustomerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, includeTrashed: true)
        let product = try await ProductModel.find(c.productID, on: req.db)
        let base = "/crm/customers/\(id)"
        let effective = product.map { CustomerService.status(c, product: $0, now: ctx.env.now) } ?? .disabled
        var sections: [Section] = []
        switch tab {
        case "subscription":
            let d = try await ProductService.details(of: product!, on: req.db)
            let plan = d.plans.first { $0.id == c.planID }
            sections.append(Section(title: "Subscription", details: [
                KeyValue(key: "Product", value: product?.name ?? "", mono: false),
                KeyValue(key: "Plan", value: plan.map { "\($0.name) (\(ProductsController.pricesText(d, $0)))" } ?? "—", mono: false),
                KeyValue(key: "Status", value: effective.label, mono: false),
                KeyValue(key: "Start", value: c.startsAt.map { ctx.dates.string($0) } ?? "at first login", mono: false),
                KeyValue(key: "Expires", value: c.expiresAt.map { ctx.dates.string($0) } ?? "counted from the first login", mono: false),
                KeyValue(key: "Currency", value: c.currency, mono: false),
                KeyValue(key: "Renewal interval", value: c.renewalInterval == 1 ? "every month" : "every \(c.renewalInterval) months", mono: false)]))
            let planChoices = d.plans(ofExtra: nil).map { FieldOption(value: String($0.id!), label: "\($0.name) — \(ProductsController.pricesText(d, $0))", selected: $0.id == c.planID) }
            sections.append(Section(title: "Extend subscription", form: forms["renew"] ?? FormVM(heading: "", intro: "Adds one plan's length.", action: "\(base)/renew", fields: [
                Field("planId", "Plan", type: "select", options: planChoices),
                Field("from", "Count from", type: "select", options: [FieldOption(value: "expiry", label: "the current expiry date (nothing paid is lost)", selected: true),
                                                                      FieldOption(value: "today", label: "today", selected: false)]),
            ], submitLabel: "Extend subscription", cancelHref: nil, formError: nil)))
            sections.append(Section(title: "Extend expire date", form: forms["extend"] ?? FormVM(heading: "", intro: "Sets the expiry to the end of the chosen day (\(ctx.deployment.timeZone)).", action: "\(base)/extend", fields: [
                Field("date", "New expire date", type: "date", value: ctx.day(c.expiresAt))], submitLabel: "Extend date", cancelHref: nil, formError: nil)))
            let changeOptions = try await planOptions(ctx, selected: nil)
            sections.append(Section(title: "Change subscription", form: forms["change"] ?? FormVM(heading: "", intro: nil, action: "\(base)/change-product", fields: [
                Field("plan", "New product and plan", type: "select", options: changeOptions),
                Field("from", "Start", type: "select", options: [FieldOption(value: "today", label: "today", selected: true), FieldOption(value: "expiry", label: "after the current expiry", selected: false)]),
            ], submitLabel: "Change subscription", cancelHref: nil, formError: nil)))
            let extras = try await CustomerService.extraPackages(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            let extraNames = Dictionary(uniqueKeysWithValues: d.extraPackages.map { ($0.id!, $0.name) })
            let extraPlans = d.plans.filter { $0.extraPackageID != nil }
            sections.append(Section(title: "Extra TV packages", table: .simple(["Package", "Start", "Expires", "Synced", "Status"], extras.map { e in
                Row(cells: [Cell(extraNames[e.extraPackageID] ?? "#\(e.extraPackageID)"), Cell(ctx.dates.string(e.startsAt)), Cell(ctx.dates.string(e.expiresAt)),
                            Cell(e.synced ? "with subscription" : "own length"), Cell(e.expiresAt > ctx.env.now ? "active" : "expired", badge: e.expiresAt > ctx.env.now ? "ok" : "muted")],
                    actions: [RowAction(label: "Remove", href: nil, postTo: "\(base)/extras/\(e.id!)/delete", danger: true)])
            }, empty: "No extra package."), form: extraPlans.isEmpty ? nil : (forms["extra"] ?? FormVM(heading: "", intro: nil, action: "\(base)/extras", fields: [
                Field("planId", "Package and plan", type: "select", options: extraPlans.map { FieldOption(value: String($0.id!), label: "\(extraNames[$0.extraPackageID!] ?? "") — \($0.name) — \(ProductsController.pricesText(d, $0))", selected: false) }),
                Field("synced", "Sync with the subscription's expire date", type: "checkbox"),
            ], submitLabel: "Add TV package", cancelHref: nil, formError: nil))))
        case "devices":
            let devices = try await CustomerService.devices(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            let linked = devices.filter(\.linked), inUse = devices.filter { !$0.linked }
            sections.append(Section(title: "Devices in account", intro: "Set-top boxes linked to this account by MAC or serial. A disconnected device cannot log in.",
                                    table: .simple(["MAC", "Serial", "Model", "State"], linked.map { d in
                                        Row(cells: [Cell(d.mac, mono: true), Cell(d.serial, mono: true), Cell(d.model), Cell(d.connected ? "Connected" : "Disconnected", badge: d.connected ? "ok" : "danger")],
                                            actions: [RowAction(label: d.connected ? "Disconnect" : "Connect", href: nil, postTo: "\(base)/devices/\(d.id!)/\(d.connected ? "disconnect" : "connect")", danger: false),
                                                      RowAction(label: "Delete", href: nil, postTo: "\(base)/devices/\(d.id!)/delete", danger: true)])
                                    }, empty: "No linked device."),
                                    form: forms["device"] ?? FormVM(heading: "", intro: nil, action: "\(base)/devices", fields: [
                                        Field("mac", "MAC address"), Field("serial", "Serial number"), Field("model", "Model")], submitLabel: "Link device", cancelHref: nil, formError: nil)))
            sections.append(Section(title: "Devices in use", intro: "Every device that has logged in. \(product?.name ?? "The product") allows \(product?.maxDevices ?? 0); delete one to free a place.",
                                    table: .simple(["Model", "Type", "IP", "UUID", "App version", "Last seen"], inUse.map { d in
                                        Row(cells: [Cell(d.model), Cell(d.deviceType), Cell(d.ip, mono: true), Cell(d.uuid, mono: true), Cell(d.appVersion), Cell(ctx.dates.string(d.lastSeenAt))],
                                            actions: [RowAction(label: "Delete", href: nil, postTo: "\(base)/devices/\(d.id!)/delete", danger: true)])
                                    }, empty: "No device has logged in yet.")))
        case "content":
            // The same entitlement answer the apps get: what this customer can watch right now.
            let channels = try await Entitlements.channels(ctx.env, customer: c)
            let purchases = try await PPVPurchaseModel.query(on: req.db).filter(\.$customerID == id).sort(\.$id, .descending).limit(200).all()
            sections.append(Section(title: "Channels", intro: channels.isEmpty ? "Nothing to watch now: \(effective.label.lowercased()), or no package of its product and extra packages holds channels." : "\(channels.count) channel(s) from the packages of its product and running extra packages.",
                                    table: .simple(["No.", "Channel", "Age"], channels.map { ch in
                                        Row(cells: [Cell(String(ch.number), mono: true), Cell(ch.name, href: "/cms/channels/\(ch.id!)"), Cell(ch.ageRating == 0 ? "all" : "\(ch.ageRating)+")], actions: [])
                                    }, empty: "None.")))
            for kind in [ContentKind.movie, .series, .music, .course, .app] {
                let items = try await Entitlements.vod(ctx.env, customer: c, kind: kind, limit: 200)
                guard !items.isEmpty else { continue }
                let base = CMSSection.vod.first { $0.kind == kind }!.base
                sections.append(Section(title: kind.label, intro: "\(items.count == 200 ? "The first 200" : String(items.count)) from the packages of its product and running extra packages.",
                                        table: .simple(["Title", "Year"], items.map { m in
                                            Row(cells: [Cell(m.title, href: "\(base)/\(m.id!)"), Cell(m.year == 0 ? "—" : String(m.year), mono: true)], actions: [])
                                        }, empty: "None.")))
            }
            let buyForm: FormVM
            if let f = forms["ppv"] { buyForm = f } else { buyForm = try await ppvForm(req, ctx, customer: c, selected: nil) }
            sections.append(Section(title: "Pay-per-view purchases", table: .simple(["Bought", "Title", "Content", "Price", "Watchable until"], purchases.map { p in
                Row(cells: [Cell(ctx.dates.string(p.purchasedAt)), Cell(p.title), Cell(p.contentRef, mono: true), Cell(money(p.price, p.currency)),
                            Cell(ctx.dates.string(p.accessUntil), badge: p.accessUntil > ctx.env.now ? "ok" : "muted")], actions: [])
            }, empty: "No purchase."),
                                    form: buyForm))
        case "wallet":
            let moves = try await CustomerService.walletTransactions(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            sections.append(Section(title: "Wallet", details: [KeyValue(key: "Balance", value: money(c.walletBalance, c.currency), mono: false)],
                                    table: .simple(["When", "Amount", "Balance after", "Reason", "By"], moves.map { t in
                                        Row(cells: [Cell(ctx.dates.string(t.at)), Cell(money(t.amount, t.currency)), Cell(money(t.balanceAfter, t.currency)), Cell(t.reason), Cell(t.actorLabel)], actions: [])
                                    }, empty: "No movement yet."),
                                    form: forms["wallet"] ?? FormVM(heading: "", intro: "Use a negative amount to take money out. The balance cannot go below zero.", action: "\(base)/wallet", fields: [
                                        Field("amount", "Amount (\(c.currency))", required: true), Field("reason", "Reason", required: true)], submitLabel: "Record", cancelHref: nil, formError: nil)))
        case "messages":
            let list = try await CustomerService.messages(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            sections.append(Section(title: "Messages", intro: "Shown on the Messages screen of the customer's apps.",
                                    table: .simple(["Sent", "Subject", "Message", "Read"], list.map { m in
                                        Row(cells: [Cell(ctx.dates.string(m.at)), Cell(m.subject), Cell(m.body), Cell((m.readAt.map { ctx.dates.string($0) } ?? "not yet") + (m.hiddenAt == nil ? "" : " · deleted in the app"))], actions: [])
                                    }, empty: "No message sent."),
                                    form: forms["message"] ?? FormVM(heading: "", intro: nil, action: "\(base)/message", fields: [
                                        Field("subject", "Subject", required: true), Field("body", "Message", type: "textarea", required: true)], submitLabel: "Send message", cancelHref: nil, formError: nil)))
        case "profiles":
            sections += try await CustomerPersonalSections.sections(ctx, customerID: id)
        case "logs":
            let records = try await AuditRecordModel.query(on: req.db).filter(\.$entityType == "customer").filter(\.$entityID == String(id))
                .filter(\.$deploymentID == ctx.deploymentID).sort(\.$id, .descending).limit(200).all()
            sections.append(Section(title: "Logs", table: .simple(["When", "Who", "Action", "Before", "After"], records.map { r in
                Row(cells: [Cell(ctx.dates.string(r.at)), Cell(r.actorLabel), Cell(r.action, badge: "muted"),
                            Cell(UserLogsController.summary(r.beforeJSON), mono: true), Cell(UserLogsController.summary(r.afterJSON), mono: true)], actions: [])
            }, empty: "No record.")))
        default:
            var f = forms["contact"] ?? FormVM(heading: "", intro: nil, action: base, fields: contactFields(CustomerForm(c)), submitLabel: "Update customer", cancelHref: nil, formError: nil)
            f.heading = ""
            sections.append(Section(title: "Client login", details: [
                KeyValue(key: "Customer number", value: String(id), mono: true),
                KeyValue(key: "Username", value: c.login, mono: true),
                KeyValue(key: "Password", value: "stored as a hash; make a new one to hand over", mono: false),
                KeyValue(key: "Status", value: effective.label, mono: false),
                KeyValue(key: "Created", value: ctx.dates.string(c.createdAt), mono: false),
            ], form: FormVM(heading: "", intro: nil, action: "\(base)/password", fields: [], submitLabel: "Create new password", cancelHref: nil, formError: nil)))
            sections.append(Section(title: "Information", form: f))
        }
        var buttons: [Button] = []
        let stateForms: [Section] = c.deletedAt != nil
            ? [Section(title: "In the trash", intro: "Deleted \(ctx.dates.string(c.deletedAt)). Restore it, or purge it for good.",
                       form: FormVM(heading: "", intro: nil, action: "\(base)/restore", fields: [], submitLabel: "Restore customer", cancelHref: nil, formError: nil))]
            : []
        if c.deletedAt != nil {
            buttons.append(Button(label: "Purge…", href: "\(base)/purge", primary: false))
        }
        let vm = SectionsVM(heading: "Customer \(id) — \(c.login)", intro: [c.firstName, c.lastName].filter { !$0.isEmpty }.joined(separator: " "),
                            buttons: buttons,
                            tabs: tabs.map { Tab(label: $0.1, href: "\(base)?tab=\($0.0)", active: $0.0 == tab) },
                            sections: stateForms + sections + (c.deletedAt == nil ? [lifecycleSection(base, c)] : []))
        return try await Layout.render(req, "sections", title: "Customer \(id)", vm, status: status)
    }

    /// Enable/disable, cancel and delete: at the foot of every tab.
    static func lifecycleSection(_ base: String, _ c: CustomerModel) -> Section {
        Section(title: "Account", intro: "Disable stops service at once and keeps the dates; enable restores it. Cancel ends the subscription now. Delete moves the customer to the trash.",
                actions: [
                    RowAction(label: c.disabled ? "Enable" : "Disable", href: nil, postTo: "\(base)/\(c.disabled ? "enable" : "disable")", danger: !c.disabled),
                    RowAction(label: "Cancel subscription", href: nil, postTo: "\(base)/cancel", danger: true),
                    RowAction(label: "Delete", href: nil, postTo: "\(base)/trash", danger: true),
                ])
    }

    // MARK: Actions

    /// Runs one action on a customer: success → flash and back to the tab; validation error → the
    /// tab again with that form's messages.
    static func act(_ req: Request, tab: String, formKey: String? = nil, form: ((CRMContext, Int) async throws -> FormVM)? = nil,
                    _ action: (CRMContext, Int) async throws -> String) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        do {
            let message = try await action(ctx, id)
            req.flash(.success, message)
            return req.redirect(to: "/crm/customers/\(id)?tab=\(tab)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid && formKey != nil && form != nil {
            var vm = try await form!(ctx, id)
            vm.apply(e)
            return try await renderDetails(req, tab: tab, forms: [formKey!: vm], status: .unprocessableEntity)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            req.flash(.error, e.flashText)
            return req.redirect(to: "/crm/customers/\(id)?tab=\(tab)", redirectType: .normal)
        }
    }

    static func updateContact(_ req: Request) async throws -> Response {
        let f = try req.content.decode(CustomerForm.self)
        return try await act(req, tab: "information", formKey: "contact", form: { _, id in
            FormVM(heading: "", intro: nil, action: "/crm/customers/\(id)", fields: contactFields(f), submitLabel: "Update customer", cancelHref: nil, formError: nil)
        }) { ctx, id in
            _ = try await CustomerService.updateContact(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, contact: f.contact)
            return "Customer updated."
        }
    }

    static func resetPassword(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let password = try await CustomerService.resetPassword(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        let c = try await CustomerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        return try await credentialsPage(req, ctx, created: [.init(customer: c, password: password)], heading: "New password for customer \(id)")
    }

    struct MessageForm: Content { var subject: String?; var body: String? }

    static func message(_ req: Request) async throws -> Response {
        let f = try req.content.decode(MessageForm.self)
        return try await act(req, tab: "messages", formKey: "message", form: { _, id in
            FormVM(heading: "", intro: nil, action: "/crm/customers/\(id)/message", fields: [
                Field("subject", "Subject", value: f.subject ?? ""), Field("body", "Message", type: "textarea", value: f.body ?? "")], submitLabel: "Send message", cancelHref: nil, formError: nil)
        }) { ctx, id in
            _ = try await CustomerService.sendMessage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, subject: f.subject ?? "", body: f.body ?? "")
            return "Message sent to the customer's apps."
        }
    }

    struct RenewForm: Content { var planId: String?; var from: String?; var date: String?; var plan: String? }

    static func renew(_ req: Request) async throws -> Response {
        let f = try req.content.decode(RenewForm.self)
        return try await act(req, tab: "subscription") { ctx, id in
            let c = try await CustomerService.renew(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, planID: f.planId.flatMap { Int($0) }, fromExpiry: f.from != "today")
            return "Subscription extended to \(ctx.dates.string(c.expiresAt))."
        }
    }

    static func extend(_ req: Request) async throws -> Response {
        let f = try req.content.decode(RenewForm.self)
        return try await act(req, tab: "subscription") { ctx, id in
            guard let date = ctx.endOfDay(f.date ?? "") else { throw DomainError.validation(["date": "pick a date"]) }
            let c = try await CustomerService.extend(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, to: date)
            return "Expire date set to \(ctx.dates.string(c.expiresAt))."
        }
    }

    static func changeProduct(_ req: Request) async throws -> Response {
        let f = try req.content.decode(RenewForm.self)
        return try await act(req, tab: "subscription") { ctx, id in
            let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { throw DomainError.validation(["plan": "choose a product and plan"]) }
            let c = try await CustomerService.changeProduct(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, productID: parts[0], planID: parts[1], fromExpiry: f.from == "expiry")
            return "Subscription changed; it now ends \(ctx.dates.string(c.expiresAt))."
        }
    }

    static func cancel(_ req: Request) async throws -> Response {
        try await act(req, tab: "subscription") { ctx, id in
            _ = try await CustomerService.cancel(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            return "Subscription cancelled: it ended now."
        }
    }

    static func disable(_ req: Request) async throws -> Response {
        try await act(req, tab: "information") { ctx, id in
            _ = try await CustomerService.setDisabled(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, disabled: true)
            return "Customer disabled."
        }
    }

    static func enable(_ req: Request) async throws -> Response {
        try await act(req, tab: "information") { ctx, id in
            _ = try await CustomerService.setDisabled(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, disabled: false)
            return "Customer enabled."
        }
    }

    static func trash(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        try await CustomerService.trash(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        req.flash(.success, "Customer \(id) moved to the trash.")
        return req.redirect(to: "/crm/customers", redirectType: .normal)
    }

    static func restore(_ req: Request) async throws -> Response {
        try await act(req, tab: "information") { ctx, id in
            try await CustomerService.restore(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            return "Customer restored."
        }
    }

    static func confirmPurge(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        return try await Layout.render(req, "confirm", title: "Purge customer", ConfirmVM(
            heading: "Purge customer \(id) for good?", message: "Its subscription, devices, wallet and messages are removed and cannot be restored. Its User Logs records stay.",
            action: "/crm/customers/\(id)/purge", buttonLabel: "Purge", cancelHref: "/crm/customers/\(id)"))
    }

    static func purge(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        try await CustomerService.purge(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        req.flash(.success, "Customer \(id) purged.")
        return req.redirect(to: "/crm/customers?trash=1", redirectType: .normal)
    }

    struct DeviceForm: Content { var mac: String?; var serial: String?; var model: String? }

    static func linkDevice(_ req: Request) async throws -> Response {
        let f = try req.content.decode(DeviceForm.self)
        return try await act(req, tab: "devices", formKey: "device", form: { _, id in
            FormVM(heading: "", intro: nil, action: "/crm/customers/\(id)/devices", fields: [
                Field("mac", "MAC address", value: f.mac ?? ""), Field("serial", "Serial number", value: f.serial ?? ""), Field("model", "Model", value: f.model ?? "")],
                   submitLabel: "Link device", cancelHref: nil, formError: nil)
        }) { ctx, id in
            _ = try await CustomerService.linkDevice(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, mac: f.mac ?? "", serial: f.serial ?? "", model: f.model ?? "")
            return "Device linked."
        }
    }

    static func connectDevice(_ req: Request) async throws -> Response { try await setConnected(req, true) }
    static func disconnectDevice(_ req: Request) async throws -> Response { try await setConnected(req, false) }

    static func setConnected(_ req: Request, _ connected: Bool) async throws -> Response {
        let deviceID = try req.parameters.require("deviceID", as: Int.self)
        return try await act(req, tab: "devices") { ctx, id in
            try await CustomerService.setDeviceConnected(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, deviceID: deviceID, connected: connected)
            return connected ? "Device connected." : "Device disconnected: it cannot log in."
        }
    }

    static func deleteDevice(_ req: Request) async throws -> Response {
        let deviceID = try req.parameters.require("deviceID", as: Int.self)
        return try await act(req, tab: "devices") { ctx, id in
            try await CustomerService.deleteDevice(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, deviceID: deviceID)
            return "Device removed."
        }
    }

    struct WalletForm: Content { var amount: String?; var reason: String? }

    static func wallet(_ req: Request) async throws -> Response {
        let f = try req.content.decode(WalletForm.self)
        return try await act(req, tab: "wallet", formKey: "wallet", form: { _, id in
            FormVM(heading: "", intro: nil, action: "/crm/customers/\(id)/wallet", fields: [
                Field("amount", "Amount", value: f.amount ?? ""), Field("reason", "Reason", value: f.reason ?? "")], submitLabel: "Record", cancelHref: nil, formError: nil)
        }) { ctx, id in
            let c = try await CustomerService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            guard let code = CurrencyCode(c.currency), let m = Money.parse(f.amount ?? "", currency: code) else {
                throw DomainError.validation(["amount": "must be an amount in \(c.currency), e.g. 5.00 or -2.50"])
            }
            let t = try await CustomerService.walletMove(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, amount: m.minorUnits,
                                                         reason: f.reason ?? "", idempotencyKey: nil)
            return "Recorded; the wallet now holds \(money(t.balanceAfter, t.currency))."
        }
    }

    struct PPVForm: Content { var item: String? }

    /// "Buy from the wallet": the PPV items on sale (up to 500, by title) with their price for
    /// this customer, as the app's PPV button would charge it.
    static func ppvForm(_ req: Request, _ ctx: CRMContext, customer c: CustomerModel, selected: String?) async throws -> FormVM {
        let onSale = try await VoDItemModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$ppvRuleID != nil).filter(\.$enabled == true)
            .sort(\.$searchTitle).limit(500).all()
        let channels = try await ChannelModel.query(on: req.db).filter(\.$deploymentID == ctx.deploymentID).filter(\.$ppvRuleID != nil).filter(\.$enabled == true).sort(\.$number).limit(200).all()
        let refs = channels.map { ContentRef.channel($0.id!) } + onSale.map { ContentRef(kind: $0.kind, id: $0.id!) }
        let prices = try await PPVService.prices(ctx.env, deploymentID: ctx.deploymentID, refs: refs)
        func label(_ ref: ContentRef, _ title: String) -> String {
            let p = prices[ref] ?? [:]
            return "\(title) — " + (p[c.currency].map { money($0, c.currency) } ?? "no \(c.currency) price")
        }
        let options = channels.map { FieldOption(value: ContentRef.channel($0.id!).description, label: label(.channel($0.id!), "Channel \($0.number) \($0.name)"), selected: ContentRef.channel($0.id!).description == selected) }
            + onSale.map { m in
                let ref = ContentRef(kind: m.kind, id: m.id!)
                return FieldOption(value: ref.description, label: label(ref, "\(VoDKind(rawValue: m.kind)?.label ?? m.kind): \(m.title)"), selected: ref.description == selected)
            }
        return FormVM(heading: "", intro: options.isEmpty ? "Nothing is sold by pay-per-view yet." : "Buy for the customer and pay from its wallet (\(money(c.walletBalance, c.currency))); the purchase opens for its rule's time.",
                      action: "/crm/customers/\(c.id!)/ppv", fields: [Field("item", "Title", type: "select", options: options)], submitLabel: "Buy from the wallet", cancelHref: nil, formError: nil)
    }

    static func buyPPV(_ req: Request) async throws -> Response {
        let f = try req.content.decode(PPVForm.self)
        return try await act(req, tab: "content") { ctx, id in
            guard let ref = ContentRef(f.item ?? "") else { throw DomainError.validation(["item": "choose a title"]) }
            let p: PPVPurchaseModel
            do {
                p = try await PPVService.buyWithWallet(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, customerID: id, ref: ref)
            } catch let e as DomainError where e.code == "customer_not_served" {
                throw DomainError(.conflict, code: e.code, e.message) // shown on the page, not as an error page
            }
            return "Bought \(p.title) for \(money(p.price, p.currency)); watchable until \(ctx.dates.string(p.accessUntil))."
        }
    }

    struct ExtraForm: Content { var planId: String?; var synced: String? }

    static func addExtra(_ req: Request) async throws -> Response {
        let f = try req.content.decode(ExtraForm.self)
        return try await act(req, tab: "subscription") { ctx, id in
            _ = try await CustomerService.addExtraPackage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id,
                                                          planID: Int(f.planId ?? "") ?? -1, synced: Bool(checkbox: f.synced))
            return "Extra package added."
        }
    }

    static func removeExtra(_ req: Request) async throws -> Response {
        let entryID = try req.parameters.require("entryID", as: Int.self)
        return try await act(req, tab: "subscription") { ctx, id in
            try await CustomerService.removeExtraPackage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, entryID: entryID)
            return "Extra package removed."
        }
    }
}
