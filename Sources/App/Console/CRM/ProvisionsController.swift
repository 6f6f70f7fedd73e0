import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CRM › Products › API Provisions: the operator's billing endpoints for pay-per-view, the calls
/// TVMS made to each, and a test purchase to try one out.
enum ProvisionsController {
    static func register(_ console: any RoutesBuilder) {
        let p = console.grouped("crm", "provisions").grouped(RequirePermission(permission: .crm))
        p.get(use: list)
        p.post(use: create)
        p.get(":id", use: details)
        p.post(":id", "purchase", use: testPurchase)
    }

    struct ProvisionForm: Content {
        var name: String?; var contentType: String?; var url: String?; var method: String?; var keyMapping: String?; var extraParams: String?
        var successRule: String?; var failureRule: String?; var timeoutMS: String?; var maxAttempts: String?
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        return try await listPage(req, ctx, ProvisionForm(), error: nil)
    }

    static func listPage(_ req: Request, _ ctx: CRMContext, _ f: ProvisionForm, error: DomainError?) async throws -> Response {
        let all = try await ProvisionService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let table = TableVM.simple(["ID", "Name", "Type", "Endpoint", "Retries"], all.map { p in
            Row(cells: [Cell(String(p.id!), mono: true), Cell(p.name, href: "/crm/provisions/\(p.id!)"), Cell(p.contentType), Cell("\(p.method) \(p.url)", mono: true),
                        Cell("\(p.maxAttempts) attempts, \(p.timeoutMS) ms each")], actions: [RowAction(label: "Details", href: "/crm/provisions/\(p.id!)", postTo: nil, danger: false)])
        }, empty: "No API provision yet.")
        var form = FormVM(heading: "", intro: "TVMS calls this endpoint when a subscriber buys a pay-per-view title and opens access only when the answer counts as success.",
                          action: "/crm/provisions", fields: [
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("contentType", "API type", type: "select", options: ProvisionService.contentTypes.map { FieldOption(value: $0, label: $0.capitalized, selected: $0 == (f.contentType ?? "movies")) }),
            Field("url", "Base URL", value: f.url ?? "", help: "e.g. https://www.operator.com/rentals", required: true),
            Field("method", "Method", type: "select", options: ProvisionService.methods.map { FieldOption(value: $0, label: $0 == "POST-JSON" ? "POST (JSON body)" : $0 == "POST" ? "POST (form body)" : "GET (query string)", selected: $0 == (f.method ?? "POST")) }),
            Field("keyMapping", "Keys", type: "textarea", value: f.keyMapping ?? "userid=customer\ncontent_id=movie\namount=price\nreference=ref",
                  help: "One per line: TVMS value=your parameter name. Values: \(ProvisionFields.all.joined(separator: ", ")).", required: true),
            Field("extraParams", "Fixed parameters", type: "textarea", value: f.extraParams ?? "", help: "One per line: name=value (e.g. an API key of your billing)."),
            Field("successRule", "Success when", value: f.successRule ?? "", help: "Empty: any 2xx answer. status=ok: a JSON field. Any other text: the answer contains it."),
            Field("failureRule", "Failure when", value: f.failureRule ?? "", help: "Same forms; checked first. Non-2xx answers are failures (5xx are retried)."),
            Field("timeoutMS", "Timeout (ms)", type: "number", value: f.timeoutMS ?? "5000"),
            Field("maxAttempts", "Attempts", type: "number", value: f.maxAttempts ?? "3", help: "Retries happen only on timeouts, connection errors and 5xx answers."),
        ], submitLabel: "Add API provision", cancelHref: nil, formError: nil)
        if let error { form.apply(error) }
        let vm = SectionsVM(heading: "API Provisions", intro: "Pay-per-view purchases charged by your own billing.", buttons: [Button(label: "Products", href: "/crm/products", primary: false)],
                            tabs: [], sections: [Section(title: nil, table: table), Section(title: "Add an API provision", form: form)])
        return try await Layout.render(req, "sections", title: "API Provisions", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func create(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(ProvisionForm.self)
        do {
            var input = ProvisionService.Input(name: f.name ?? "", contentType: f.contentType ?? "", url: f.url ?? "", method: f.method ?? "",
                                               keyMapping: f.keyMapping ?? "", extraParams: f.extraParams ?? "", successRule: f.successRule ?? "", failureRule: f.failureRule ?? "")
            input.timeoutMS = Int(f.timeoutMS ?? "") ?? 0
            input.maxAttempts = Int(f.maxAttempts ?? "") ?? 0
            let p = try await ProvisionService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: input)
            req.flash(.success, "\(p.name) added.")
            return req.redirect(to: "/crm/provisions/\(p.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await listPage(req, ctx, f, error: e)
        }
    }

    static func details(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let p = try await ProvisionService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let calls = try await ProvisionService.calls(ctx.env, provisionID: p.id!)
        let sections = [
            Section(title: nil, details: [
                KeyValue(key: "Endpoint", value: "\(p.method) \(p.url)", mono: true), KeyValue(key: "API type", value: p.contentType, mono: false),
                KeyValue(key: "Keys", value: ProvisionService.lines(p.keyMapping).replacingOccurrences(of: "\n", with: " · "), mono: true),
                KeyValue(key: "Fixed parameters", value: ProvisionService.lines(p.extraParams).isEmpty ? "none" : "\(ProvisionService.lines(p.extraParams).split(separator: "\n").count) (values not shown)", mono: false),
                KeyValue(key: "Success when", value: p.successRule.isEmpty ? "any 2xx answer" : p.successRule, mono: true),
                KeyValue(key: "Failure when", value: p.failureRule.isEmpty ? "non-2xx answer" : p.failureRule, mono: true),
                KeyValue(key: "Retries", value: "\(p.maxAttempts) attempts, \(p.timeoutMS) ms each", mono: false),
            ]),
            Section(title: "Test purchase", intro: "Buys a title for a customer through this provision, exactly as the TV app's purchase will.",
                    form: FormVM(heading: "", intro: nil, action: "/crm/provisions/\(p.id!)/purchase", fields: [
                        Field("customer", "Customer ID", type: "number", required: true), Field("content", "Content id", value: "movie-1", required: true),
                        Field("title", "Title", value: "Test title"), Field("price", "Price", value: "3.99"), Field("currency", "Currency", value: ctx.deployment.defaultCurrency),
                        Field("hours", "Access window (hours)", type: "number", value: "48"),
                    ], submitLabel: "Buy", cancelHref: nil, formError: nil)),
            Section(title: "Calls", intro: "The newest 100 calls TVMS made and their outcome.",
                    table: .simple(["Started", "Customer", "Content", "Reference", "Outcome", "Attempts", "HTTP", "Answer", "ms"], calls.map { c in
                        Row(cells: [Cell(ctx.dates.string(c.startedAt)), Cell(c.customerID.map(String.init) ?? "—"), Cell(c.contentRef, mono: true), Cell(c.reference, mono: true),
                                    Cell(c.outcome, badge: c.outcome == "success" ? "ok" : "danger"), Cell(String(c.attempts)), Cell(c.httpStatus.map(String.init) ?? "—", mono: true),
                                    Cell(c.responseExcerpt), Cell(String(c.durationMS))], actions: [])
                    }, empty: "No call yet.")),
        ]
        let vm = SectionsVM(heading: "API provision \(p.id!) — \(p.name)", intro: nil, buttons: [Button(label: "API Provisions", href: "/crm/provisions", primary: false)],
                            tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: p.name, vm)
    }

    struct PurchaseForm: Content { var customer: String?; var content: String?; var title: String?; var price: String?; var currency: String?; var hours: String? }

    static func testPurchase(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let id = try req.parameters.require("id", as: Int.self)
        let f = try req.content.decode(PurchaseForm.self)
        return try await req.flashing(redirectTo: "/crm/provisions/\(id)") {
            guard let customer = Int(f.customer ?? "") else { throw DomainError.validation(["customer": "must be a customer ID"]) }
            let currency = (f.currency ?? "").uppercased()
            guard let code = CurrencyCode(currency), let price = Money.parse(f.price ?? "", currency: code) else {
                throw DomainError.validation(["price": "must be an amount in \(currency)"])
            }
            guard let hours = Int(f.hours ?? ""), (1...8784).contains(hours) else { throw DomainError.validation(["hours": "must be between 1 and 8784"]) }
            let purchase = try await ProvisionService.purchase(ctx.env, http: req.outboundHTTP, actor: ctx.actor, deploymentID: ctx.deploymentID, provisionID: id, purchase: .init(
                customerID: customer, contentType: "movies", contentRef: f.content ?? "", title: f.title ?? "", price: price.minorUnits, currency: currency,
                window: PPVWindow(count: hours, unit: .hours)))
            return "Paid: customer \(customer) may watch \(purchase.contentRef) until \(ctx.dates.string(purchase.accessUntil))."
        }
    }
}

extension Request {
    /// Outgoing HTTP for the services (provision calls), through Vapor's client.
    var outboundHTTP: any OutboundHTTP { VaporOutboundHTTP(client: client) }
}
