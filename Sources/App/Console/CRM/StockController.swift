import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CRM › Dealers, Stocks › Models and Stocks: set-top-box distributors, the device models the
/// operator keeps, and every box from import to a customer's living room.
enum StockController {
    static func register(_ console: any RoutesBuilder) {
        let crm = console.grouped("crm").grouped(RequirePermission(permission: .crm))
        crm.get("dealers", use: dealers)
        crm.get("dealers", "new", use: newDealer)
        crm.post("dealers", use: createDealer)
        crm.get("dealers", ":id", use: dealer)
        crm.post("dealers", ":id", use: updateDealer)
        crm.post("dealers", ":id", "delete", use: deleteDealer)
        crm.get("models", use: models)
        crm.post("models", use: createModel)
        crm.post("models", ":id", "delete", use: deleteModel)
        crm.get("stock", use: stock)
        crm.get("stock", "import", use: importForm)
        crm.on(.POST, "stock", "import", body: .collect(maxSize: "20mb"), use: importFile)
        crm.get("stock", ":id", use: item)
        crm.post("stock", ":id", "assign", use: assign)
        crm.post("stock", ":id", "unassign", use: unassign)
        crm.post("stock", ":id", "state", use: setState)
    }

    // MARK: Dealers

    struct DealerForm: Content { var name: String?; var contact: String?; var email: String?; var phone: String?; var address: String?; var enabled: String? }

    static func dealerVM(action: String, _ f: DealerForm, heading: String, submit: String) -> FormVM {
        FormVM(heading: heading, intro: "A dealer distributes set-top boxes; customers and boxes can belong to one.", action: action, fields: [
            Field("name", "Name", value: f.name ?? "", required: true), Field("contact", "Contact person", value: f.contact ?? ""),
            Field("email", "E-mail", type: "email", value: f.email ?? ""), Field("phone", "Phone", value: f.phone ?? "", help: "International form, e.g. +31201234567."),
            Field("address", "Address", type: "textarea", value: f.address ?? ""), Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
        ], submitLabel: submit, cancelHref: "/crm/dealers", formError: nil)
    }

    static func dealerInput(_ f: DealerForm) -> StockService.DealerInput {
        var input = StockService.DealerInput(name: f.name ?? "")
        input.contact = f.contact ?? ""; input.email = f.email ?? ""; input.phone = f.phone ?? ""; input.address = f.address ?? ""
        input.enabled = Bool(checkbox: f.enabled)
        return input
    }

    static func dealers(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let list = try await StockService.dealers(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let (boxes, customers) = try await StockService.dealerUsage(ctx.env, deploymentID: ctx.deploymentID)
        let rows = list.map { d in
            Row(cells: [Cell(String(d.id!), mono: true), Cell(d.name, href: "/crm/dealers/\(d.id!)"), Cell(d.contact), Cell(d.phone), Cell(d.email),
                        Cell(String(boxes[d.id!] ?? 0), href: "/crm/stock?dealer=\(d.id!)"), Cell(String(customers[d.id!] ?? 0), href: "/crm/customers?dealer=\(d.id!)"),
                        Cell(d.enabled ? "Enabled" : "Disabled", badge: d.enabled ? "ok" : "muted")],
                actions: [RowAction(label: "Details", href: "/crm/dealers/\(d.id!)", postTo: nil, danger: false)])
        }
        let table = TableVM(heading: "Dealers", intro: "Distributors of set-top boxes.", buttons: [Button(label: "Add a Dealer", href: "/crm/dealers/new", primary: true)],
                            filters: [], filterAction: "/crm/dealers",
                            columns: ["ID", "Name", "Contact", "Phone", "E-mail", "Boxes", "Customers", "Status"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: "No dealer yet.", pager: Pager(summary: "\(rows.count) dealers", prevHref: nil, nextHref: nil))
        return try await Layout.render(req, "table", title: "Dealers", table)
    }

    static func newDealer(_ req: Request) async throws -> Response {
        _ = try await req.crm()
        return try await Layout.render(req, "form", title: "Add a Dealer", dealerVM(action: "/crm/dealers", DealerForm(enabled: "on"), heading: "Add a Dealer", submit: "Create Dealer"))
    }

    static func createDealer(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(DealerForm.self)
        do {
            let d = try await StockService.saveDealer(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: nil, input: dealerInput(f))
            req.flash(.success, "\(d.name) created.")
            return req.redirect(to: "/crm/dealers", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = dealerVM(action: "/crm/dealers", f, heading: "Add a Dealer", submit: "Create Dealer")
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add a Dealer", vm, status: .unprocessableEntity)
        }
    }

    static func dealerPage(_ req: Request, _ d: DealerModel, form: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        let vm = SectionsVM(heading: "Dealer \(d.id!) — \(d.name)", intro: nil,
                            buttons: [Button(label: "Boxes", href: "/crm/stock?dealer=\(d.id!)", primary: false),
                                      Button(label: "Customers", href: "/crm/customers?dealer=\(d.id!)", primary: false)], tabs: [],
                            sections: [Section(title: nil, form: form),
                                       Section(title: "Delete", intro: "Only a dealer without boxes and customers can be deleted.",
                                               actions: [RowAction(label: "Delete dealer", href: nil, postTo: "/crm/dealers/\(d.id!)/delete", danger: true)])])
        return try await Layout.render(req, "sections", title: d.name, vm, status: status)
    }

    static func dealer(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let d = try await StockService.dealer(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let f = DealerForm(name: d.name, contact: d.contact, email: d.email, phone: d.phone, address: d.address, enabled: d.enabled ? "on" : nil)
        return try await dealerPage(req, d, form: dealerVM(action: "/crm/dealers/\(d.id!)", f, heading: "", submit: "Update Dealer"))
    }

    static func updateDealer(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let d = try await StockService.dealer(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let f = try req.content.decode(DealerForm.self)
        do {
            _ = try await StockService.saveDealer(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: d.id!, input: dealerInput(f))
            req.flash(.success, "Dealer updated.")
            return req.redirect(to: "/crm/dealers/\(d.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = dealerVM(action: "/crm/dealers/\(d.id!)", f, heading: "", submit: "Update Dealer")
            vm.apply(e)
            return try await dealerPage(req, d, form: vm, status: .unprocessableEntity)
        }
    }

    static func deleteDealer(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        do {
            try await StockService.deleteDealer(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            req.flash(.success, "Dealer deleted.")
            return req.redirect(to: "/crm/dealers", redirectType: .normal)
        } catch let e as DomainError where e.kind == .conflict {
            req.flash(.error, e.flashText)
            return req.redirect(to: "/crm/dealers/\(id)", redirectType: .normal)
        }
    }

    // MARK: Models

    struct ModelForm: Content { var name: String?; var vendor: String?; var kind: String? }

    static func models(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await modelsPage(req, ctx, ModelForm(), error: nil)
    }

    static func modelsPage(_ req: Request, _ ctx: CRMContext, _ f: ModelForm, error: DomainError?) async throws -> Response {
        let list = try await StockService.models(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let boxes = try await StockService.modelUsage(ctx.env, deploymentID: ctx.deploymentID)
        let table = TableVM.simple(["ID", "Model", "Vendor", "Kind", "Boxes"], list.map { m in
            Row(cells: [Cell(String(m.id!), mono: true), Cell(m.name), Cell(m.vendor), Cell(m.kind), Cell(String(boxes[m.id!] ?? 0), href: "/crm/stock?model=\(m.id!)")],
                actions: [RowAction(label: "Delete", href: nil, postTo: "/crm/models/\(m.id!)/delete", danger: true)])
        }, empty: "No model yet: add the boxes you stock, e.g. MAG 524.")
        var form = FormVM(heading: "", intro: nil, action: "/crm/models", fields: [
            Field("name", "Model", value: f.name ?? "", required: true), Field("vendor", "Vendor", value: f.vendor ?? ""),
            Field("kind", "Kind", type: "select", options: StockService.modelKinds.map { FieldOption(value: $0, label: $0, selected: $0 == (f.kind ?? "stb")) }),
        ], submitLabel: "Add model", cancelHref: nil, formError: nil)
        if let error { form.apply(error) }
        let vm = SectionsVM(heading: "Stocks › Models", intro: "The device models you keep in stock.", buttons: [Button(label: "Stock", href: "/crm/stock", primary: false)],
                            tabs: [], sections: [Section(title: nil, table: table), Section(title: "Add a model", form: form)])
        return try await Layout.render(req, "sections", title: "Models", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func createModel(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(ModelForm.self)
        do {
            let m = try await StockService.createModel(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, name: f.name ?? "", vendor: f.vendor ?? "", kind: f.kind ?? "")
            req.flash(.success, "\(m.name) added.")
            return req.redirect(to: "/crm/models", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await modelsPage(req, ctx, f, error: e)
        }
    }

    static func deleteModel(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/crm/models") {
            try await StockService.deleteModel(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            return "Model deleted."
        }
    }

    // MARK: Stock

    static func stock(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        var filter = StockService.Filter()
        filter.state = req.query[String.self, at: "state"].flatMap(StockState.init(rawValue:))
        filter.dealerID = req.query[Int.self, at: "dealer"]
        filter.modelID = req.query[Int.self, at: "model"]
        filter.search = req.query[String.self, at: "q"] ?? ""
        let items = try await StockService.items(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, filter: filter)
        let models = try await StockService.models(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let dealers = try await StockService.dealers(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let modelNames = Dictionary(uniqueKeysWithValues: models.map { ($0.id!, $0.name) })
        let dealerNames = Dictionary(uniqueKeysWithValues: dealers.map { ($0.id!, $0.name) })
        let counts = try await StockService.counts(ctx.env, deploymentID: ctx.deploymentID)
        let rows = items.map { i in
            Row(cells: [Cell(String(i.id!), href: "/crm/stock/\(i.id!)", mono: true), Cell(i.mac.isEmpty ? "—" : i.mac.uppercased(), mono: true), Cell(i.serial, mono: true),
                        Cell(modelNames[i.modelID] ?? "#\(i.modelID)"), Cell(i.dealerID.flatMap { dealerNames[$0] } ?? "—"),
                        Cell(StockState(rawValue: i.state)?.label ?? i.state, badge: stateBadge(i.state)),
                        i.customerID.map { Cell(String($0), href: "/crm/customers/\($0)") } ?? Cell("—")],
                actions: [RowAction(label: "Details", href: "/crm/stock/\(i.id!)", postTo: nil, danger: false)])
        }
        let summary = StockState.allCases.map { "\($0.label): \(counts[$0] ?? 0)" }.joined(separator: " · ")
        let table = TableVM(heading: "Stocks", intro: summary,
                            buttons: [Button(label: "Import MACs", href: "/crm/stock/import", primary: true), Button(label: "Models", href: "/crm/models", primary: false),
                                      Button(label: "Dealers", href: "/crm/dealers", primary: false)],
                            filters: [Filter(name: "q", label: "MAC or serial", type: "text", value: filter.search, options: []),
                                      Filter(name: "state", label: "State", type: "select", value: filter.state?.rawValue ?? "",
                                             options: [FilterOption(value: "", label: "Any", selected: filter.state == nil)]
                                                + StockState.allCases.map { FilterOption(value: $0.rawValue, label: $0.label, selected: $0 == filter.state) }),
                                      Filter(name: "model", label: "Model", type: "select", value: "",
                                             options: [FilterOption(value: "", label: "Any", selected: filter.modelID == nil)]
                                                + models.map { FilterOption(value: String($0.id!), label: $0.name, selected: $0.id == filter.modelID) }),
                                      Filter(name: "dealer", label: "Dealer", type: "select", value: "",
                                             options: [FilterOption(value: "", label: "Any", selected: filter.dealerID == nil)]
                                                + dealers.map { FilterOption(value: String($0.id!), label: $0.name, selected: $0.id == filter.dealerID) })],
                            filterAction: "/crm/stock",
                            columns: ["ID", "MAC", "Serial", "Model", "Dealer", "State", "Customer"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: models.isEmpty ? "No box yet. Add a model first, then import MACs." : "No box matches.",
                            pager: Pager(summary: items.count == 500 ? "newest 500 shown; filter to narrow" : "\(items.count) boxes", prevHref: nil, nextHref: nil))
        return try await Layout.render(req, "table", title: "Stocks", table)
    }

    static func stateBadge(_ s: String) -> String {
        switch StockState(rawValue: s) {
        case .inStock: "ok"
        case .assigned: "info"
        case .faulty: "danger"
        default: "muted"
        }
    }

    static func importVM(_ ctx: CRMContext, error: String? = nil) async throws -> FormVM {
        let models = try await StockService.models(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let dealers = try await StockService.dealers(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        return FormVM(heading: "Import MACs",
                      intro: "A CSV file (UTF-8) with one box per line. With a header row, columns mac, serial, model, dealer and note in any order; without one, mac,serial. Every line is checked first: if any is wrong, nothing is imported.",
                      action: "/crm/stock/import", fields: [
                        Field("file", "CSV file", type: "file", required: true),
                        Field("model", "Model", type: "select", options: [FieldOption(value: "", label: "— from the file —", selected: false)]
                                + models.map { FieldOption(value: String($0.id!), label: $0.name, selected: false) }, help: "Used for lines without a model column."),
                        Field("dealer", "Dealer", type: "select", options: [FieldOption(value: "", label: "none", selected: true)]
                                + dealers.map { FieldOption(value: String($0.id!), label: $0.name, selected: false) }),
                      ], submitLabel: "Check and import", cancelHref: "/crm/stock", formError: error, multipart: true)
    }

    static func importForm(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await Layout.render(req, "form", title: "Import MACs", importVM(ctx))
    }

    struct Upload: Content { var file: File?; var model: String?; var dealer: String? }

    static func importFile(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let upload = try req.content.decode(Upload.self)
        guard let file = upload.file, file.data.readableBytes > 0 else {
            return try await Layout.render(req, "form", title: "Import MACs", importVM(ctx, error: "Choose a CSV file."), status: .unprocessableEntity)
        }
        do {
            guard let text = String(data: Data(buffer: file.data), encoding: .utf8) else {
                throw DomainError(.invalid, code: "bad_encoding", "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")
            }
            let result = try await StockService.importCSV(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, rows: CSV.parse(text),
                                                          defaultModelID: Int(upload.model ?? ""), defaultDealerID: Int(upload.dealer ?? ""))
            if !result.errors.isEmpty {
                return try await ImportReport.refused(req, errors: result.errors, filename: file.filename, uploadAgain: try await importVM(ctx))
            }
            req.flash(.success, "\(result.added) box(es) added to stock.")
            return req.redirect(to: "/crm/stock?state=in_stock", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await Layout.render(req, "form", title: "Import MACs", importVM(ctx, error: e.fields.values.first.map { "\(e.fields.keys.first!) \($0)" } ?? e.message),
                                           status: .unprocessableEntity)
        }
    }

    static func item(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let i = try await StockService.item(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let model = try await DeviceModelModel.find(i.modelID, on: req.db)
        let dealer = i.dealerID == nil ? nil : try await DealerModel.find(i.dealerID!, on: req.db)
        let state = StockState(rawValue: i.state)
        var sections = [Section(title: nil, details: [
            KeyValue(key: "MAC", value: i.mac.isEmpty ? "—" : i.mac.uppercased(), mono: true), KeyValue(key: "Serial", value: i.serial.isEmpty ? "—" : i.serial, mono: true),
            KeyValue(key: "Model", value: model.map { "\($0.name) (\($0.vendor))" } ?? "", mono: false), KeyValue(key: "Dealer", value: dealer?.name ?? "—", mono: false),
            KeyValue(key: "State", value: state?.label ?? i.state, mono: false), KeyValue(key: "Customer", value: i.customerID.map(String.init) ?? "—", mono: false),
            KeyValue(key: "Note", value: i.note, mono: false), KeyValue(key: "Last change", value: ctx.dates.string(i.updatedAt), mono: false),
        ])]
        let base = "/crm/stock/\(i.id!)"
        if state?.assignable == true {
            sections.append(Section(title: "Assign to a customer", intro: "The box becomes the customer's hard-linked device (MAC and serial), within the product's device limit.",
                                    form: FormVM(heading: "", intro: nil, action: "\(base)/assign", fields: [Field("customer", "Customer ID", type: "number", required: true)],
                                                 submitLabel: "Assign", cancelHref: nil, formError: nil)))
        }
        if state == .assigned {
            sections.append(Section(title: "Take back", intro: "Removes the device from the customer.", form: FormVM(heading: "", intro: nil, action: "\(base)/unassign", fields: [
                Field("state", "Now", type: "select", options: [StockState.returned, .faulty, .inStock].map { FieldOption(value: $0.rawValue, label: $0.label, selected: false) })],
                submitLabel: "Unassign", cancelHref: nil, formError: nil, danger: true)))
        } else {
            sections.append(Section(title: "Change state", actions: StockState.settable.filter { $0 != state }.map {
                RowAction(label: "Mark \($0.label.lowercased())", href: nil, postTo: "\(base)/state?to=\($0.rawValue)", danger: $0 == .faulty)
            }))
        }
        let vm = SectionsVM(heading: "Box \(i.id!)", intro: nil, buttons: [Button(label: "Stock", href: "/crm/stock", primary: false)], tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "Box \(i.id!)", vm)
    }

    struct AssignForm: Content { var customer: String?; var state: String? }

    static func stockAct(_ req: Request, _ body: (CRMContext, Int) async throws -> String) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/crm/stock/\(id)") { try await body(ctx, id) }
    }

    static func assign(_ req: Request) async throws -> Response {
        let f = try req.content.decode(AssignForm.self)
        return try await stockAct(req) { ctx, id in
            guard let customer = Int(f.customer ?? "") else { throw DomainError.validation(["customer": "must be a customer ID"]) }
            _ = try await StockService.assign(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, customerID: customer)
            return "Box assigned to customer \(customer)."
        }
    }

    static func unassign(_ req: Request) async throws -> Response {
        let f = try req.content.decode(AssignForm.self)
        return try await stockAct(req) { ctx, id in
            _ = try await StockService.unassign(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, to: StockState(rawValue: f.state ?? "") ?? .returned)
            return "Box taken back."
        }
    }

    static func setState(_ req: Request) async throws -> Response {
        let to = req.query[String.self, at: "to"].flatMap(StockState.init(rawValue:))
        return try await stockAct(req) { ctx, id in
            guard let to else { throw DomainError.validation(["state": "unknown state"]) }
            _ = try await StockService.setState(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, state: to)
            return "Box marked \(to.label.lowercased())."
        }
    }
}
