import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Customers › Add range, Import, Bulk edit, Customers count, Export.
enum CustomerBulkController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("crm", "customers").grouped(RequirePermission(permission: .crm))
        r.get("range", use: rangeForm)
        r.post("range", use: addRange)
        r.get("import", use: importForm)
        r.on(.POST, "import", body: .collect(maxSize: "20mb"), use: importFile)
        r.get("bulk", use: bulkPage)
        r.post("bulk", "edit", use: bulkEdit)
        r.post("bulk", "trash", use: bulkTrash)
        r.get("count", use: count)
        r.get("export.csv", use: export)
    }

    // MARK: Range

    struct RangeForm: Content {
        var plan: String?; var currency: String?; var baseName: String?; var count: String?; var startNumber: String?
        var facility: String?; var city: String?; var country: String?; var resellerId: String?; var dealerId: String?; var startFromFirstLogin: String?
    }

    static func rangeVM(_ ctx: CRMContext, _ f: RangeForm) async throws -> FormVM {
        let currencies = try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).filter { $0.code != "CREDITS" }
        let cur = f.currency ?? ctx.deployment.defaultCurrency
        return FormVM(heading: "Add a range of customers", intro: "For hotels, hospitals, ships: one customer per room or cabin, numbered automatically, each with generated credentials and the same subscription.",
                      action: "/crm/customers/range", fields: [
                        Field("plan", "Product and plan", type: "select", value: f.plan ?? "", options: try await CustomersController.planOptions(ctx, selected: f.plan), required: true),
                        Field("currency", "Currency", type: "select", value: cur, options: currencies.map { FieldOption(value: $0.code, label: $0.code, selected: $0.code == cur) }),
                        Field("baseName", "Base name", value: f.baseName ?? "", help: "Numbered automatically: Room 1, Room 2, …", required: true),
                        Field("count", "Number of customers", type: "number", value: f.count ?? "10", help: "At most \(CustomerBulkService.maxRange).", required: true),
                        Field("startNumber", "First number", type: "number", value: f.startNumber ?? "1"),
                        Field("facility", "Facility", value: f.facility ?? "", help: "e.g. City Center hotel"),
                        Field("city", "City", value: f.city ?? ""),
                        Field("country", "Country", type: "select", value: f.country ?? "",
                              options: [FieldOption(value: "", label: "—", selected: (f.country ?? "").isEmpty)] + Country.all.map { FieldOption(value: $0.code, label: $0.name, selected: $0.code == f.country) }),
                        Field("resellerId", "Reseller id", type: "number", value: f.resellerId ?? ""),
                        Field("dealerId", "Dealer id", type: "number", value: f.dealerId ?? ""),
                        Field("startFromFirstLogin", "Start each subscription at its first login", type: "checkbox", value: f.startFromFirstLogin ?? ""),
                      ], submitLabel: "Create customers", cancelHref: "/crm/customers", formError: nil)
    }

    static func rangeForm(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await Layout.render(req, "form", title: "Add range", rangeVM(ctx, RangeForm()))
    }

    static func addRange(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(RangeForm.self)
        do {
            let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2 else { throw DomainError.validation(["plan": "choose a product and plan"]) }
            var input = CustomerBulkService.RangeInput(baseName: f.baseName ?? "", count: Int(f.count ?? "") ?? 0, productID: parts[0], planID: parts[1], currency: f.currency ?? "")
            input.startNumber = Int(f.startNumber ?? "") ?? 1
            input.contact.facility = f.facility ?? ""
            input.contact.city = f.city ?? ""
            input.contact.country = f.country ?? ""
            input.contact.resellerID = f.resellerId.flatMap { Int($0) }
            input.contact.dealerID = f.dealerId.flatMap { Int($0) }
            input.startFromFirstLogin = f.startFromFirstLogin == nil ? nil : true
            let created = try await CustomerBulkService.addRange(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: input)
            return try await CustomersController.credentialsPage(req, ctx, created: created, heading: "\(created.count) customers created")
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await rangeVM(ctx, f)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add range", vm, status: .unprocessableEntity)
        }
    }

    // MARK: Import

    static func importVM(error: String? = nil) -> FormVM {
        FormVM(heading: "Import customers", intro: "Upload a CSV (UTF-8) or Excel .xlsx file with a header row. Columns: \(CustomerBulkService.importColumns.joined(separator: ", ")). product and plan take an id or the exact name; empty login/password are generated. Every row is checked first: if any row is wrong nothing is imported.",
               action: "/crm/customers/import", fields: [Field("file", "File", type: "file", required: true)],
               submitLabel: "Check and import", cancelHref: "/crm/customers", formError: error, multipart: true)
    }

    static func importForm(_ req: Request) async throws -> Response {
        _ = try await req.crm()
        return try await Layout.render(req, "form", title: "Import customers", importVM())
    }

    struct Upload: Content { var file: File? }

    static func importFile(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let upload = try req.content.decode(Upload.self)
        guard let file = upload.file, file.data.readableBytes > 0 else {
            return try await Layout.render(req, "form", title: "Import customers", importVM(error: "Choose a CSV or .xlsx file."), status: .unprocessableEntity)
        }
        do {
            let rows = try CustomerBulkService.readUpload(filename: file.filename, data: Data(buffer: file.data))
            let result = try await CustomerBulkService.importRows(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, rows: rows)
            if !result.errors.isEmpty {
                return try await ImportReport.refused(req, errors: result.errors, filename: file.filename, uploadAgain: importVM())
            }
            return try await CustomersController.credentialsPage(req, ctx, created: result.created, heading: "\(result.created.count) customers imported")
        } catch let e as DomainError where e.kind == .invalid {
            return try await Layout.render(req, "form", title: "Import customers", importVM(error: e.message), status: .unprocessableEntity)
        }
    }

    // MARK: Bulk edit

    static func bulkPage(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let ids = (try? req.query.get([Int].self, at: "ids")) ?? []
        let all = req.query[String.self, at: "all"] == "1"
        let filter = CustomersController.query(req)
        guard !ids.isEmpty || all else {
            req.flash(.error, "Tick the customers to change first, or use \"Bulk edit everything this filter matches\".")
            return req.redirect(to: "/crm/customers", redirectType: .normal)
        }
        let targets = try await CustomerBulkService.targets(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ids: all ? nil : ids, filter: all ? filter : nil)
        // A selection travels as its ids; "everything this filter matches" travels as the filter,
        // so a large selection does not turn into a page of tens of thousands of hidden inputs.
        let hidden: [Field] = all
            ? [Field("all", "", type: "hidden", value: "1"), Field("filterQ", "", type: "hidden", value: filter.search),
               Field("filterStatus", "", type: "hidden", value: filter.status ?? ""),
               Field("filterProduct", "", type: "hidden", value: filter.productID.map(String.init) ?? ""),
               Field("filterReseller", "", type: "hidden", value: filter.resellerID.map(String.init) ?? "")]
            : targets.map { Field("ids[]", "", type: "hidden", value: String($0)) }
        let shown = targets.prefix(30).map { "#\($0)" }.joined(separator: ", ") + (targets.count > 30 ? " and \(targets.count - 30) more" : "")
        let vm = SectionsVM(heading: "Bulk edit \(targets.count) customer\(targets.count == 1 ? "" : "s")", intro: "Customers \(shown). Only the fields you fill in change; every customer gets its own entry in the User Logs.",
                            buttons: [], tabs: [], sections: [
                                Section(title: "Change", form: FormVM(heading: "", intro: nil, action: "/crm/customers/bulk/edit", fields: hidden + [
                                    Field("plan", "Move to product and plan", type: "select",
                                          options: [FieldOption(value: "", label: "— keep —", selected: true)] + (try await CustomersController.planOptions(ctx, selected: nil, sellableOnly: false))),
                                    Field("date", "Set expire date", type: "date"),
                                    Field("resellerId", "Set reseller id", type: "text", help: "A number, or \"none\" to give the customers back to the operator."),
                                    Field("dealerId", "Set dealer id", type: "text", help: "A number, or \"none\"."),
                                    Field("status", "Status", type: "select", options: [("", "— keep —"), ("disable", "Disable"), ("enable", "Enable")].map { FieldOption(value: $0.0, label: $0.1, selected: $0.0.isEmpty) }),
                                ], submitLabel: "Apply to \(targets.count) customer\(targets.count == 1 ? "" : "s")", cancelHref: "/crm/customers", formError: nil)),
                                Section(title: "Delete", intro: "Moves them to the trash, from where they can be restored.",
                                        form: FormVM(heading: "", intro: nil, action: "/crm/customers/bulk/trash", fields: hidden,
                                                     submitLabel: "Move \(targets.count) to the trash", cancelHref: nil, formError: nil, danger: true)),
                            ])
        return try await Layout.render(req, "sections", title: "Bulk edit", vm)
    }

    struct BulkForm: Content {
        var ids: [Int]?
        var all: String?; var filterQ: String?; var filterStatus: String?; var filterProduct: String?; var filterReseller: String?
        var plan: String?; var date: String?; var resellerId: String?; var dealerId: String?; var status: String?

        func targets(_ ctx: CRMContext) async throws -> [Int] {
            guard all == "1" else { return try await CustomerBulkService.targets(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ids: ids ?? [], filter: nil) }
            var q = CustomerService.Query()
            q.search = filterQ ?? ""
            q.status = filterStatus.flatMap { $0.isEmpty ? nil : $0 }
            q.productID = filterProduct.flatMap { Int($0) }
            q.resellerID = filterReseller.flatMap { Int($0) }
            return try await CustomerBulkService.targets(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ids: nil, filter: q)
        }
    }

    static func bulkEdit(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(BulkForm.self)
        var changes = CustomerBulkService.Changes()
        do {
            let parts = (f.plan ?? "").split(separator: ":").compactMap { Int($0) }
            if parts.count == 2 { changes.productID = parts[0]; changes.planID = parts[1] }
            if let d = f.date, !d.isEmpty {
                guard let date = ctx.endOfDay(d) else { throw DomainError.validation(["date": "is not a date"]) }
                changes.expiresAt = date
            }
            func ref(_ s: String?, _ field: String) throws -> Int?? {
                guard let s = s?.trimmingCharacters(in: .whitespaces), !s.isEmpty else { return nil }
                if s.lowercased() == "none" { return .some(nil) }
                guard let n = Int(s) else { throw DomainError.validation([field: "must be a number or none"]) }
                return .some(n)
            }
            changes.resellerID = try ref(f.resellerId, "resellerId")
            changes.dealerID = try ref(f.dealerId, "dealerId")
            if f.status == "disable" { changes.disabled = true }
            if f.status == "enable" { changes.disabled = false }
            let n = try await CustomerBulkService.edit(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ids: try await f.targets(ctx), changes: changes)
            req.flash(.success, "\(n) customer\(n == 1 ? "" : "s") changed.")
        } catch let e as DomainError where e.kind == .invalid {
            req.flash(.error, e.flashText)
        }
        return req.redirect(to: "/crm/customers", redirectType: .normal)
    }

    static func bulkTrash(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(BulkForm.self)
        let n = try await CustomerBulkService.trash(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ids: try await f.targets(ctx))
        req.flash(.success, "\(n) customer\(n == 1 ? "" : "s") moved to the trash.")
        return req.redirect(to: "/crm/customers", redirectType: .normal)
    }

    // MARK: Count and export

    static func count(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let counts = try await CustomerService.counts(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let products = try await ProductService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let total = counts.status.values.reduce(0, +)
        let statusRows = CustomerStatus.allCases.map { s in
            Row(cells: [Cell(s.label, href: "/crm/customers?status=\(s.rawValue)"), Cell(String(counts.status[s.rawValue] ?? 0))], actions: [])
        }
        let productRows = products.map { p in Row(cells: [Cell(p.name, href: "/crm/customers?product=\(p.id!)"), Cell(String(counts.product[p.id!] ?? 0))], actions: []) }
        let resellerRows = counts.reseller.sorted { ($0.key ?? 0) < ($1.key ?? 0) }.map { k, n in
            Row(cells: [Cell(k.map { "Reseller #\($0)" } ?? "Operator (direct)", href: k.map { "/crm/customers?reseller=\($0)" }), Cell(String(n))], actions: [])
        }
        let vm = SectionsVM(heading: "Customers count", intro: "\(total) customers (the trash not included).", buttons: [], tabs: [], sections: [
            Section(title: "By status", table: .simple(["Status", "Customers"], statusRows, empty: "")),
            Section(title: "By product", table: .simple(["Product", "Customers"], productRows, empty: "No product.")),
            Section(title: "By reseller", table: .simple(["Seller", "Customers"], resellerRows, empty: "No customer.")),
        ])
        return try await Layout.render(req, "sections", title: "Customers count", vm)
    }

    static func export(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let csv = try await CustomerBulkService.exportCSV(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, filter: CustomersController.query(req))
        let response = Response(status: .ok, body: .init(string: csv))
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.contentDisposition = .init(.attachment, filename: "customers.csv")
        return response
    }
}
