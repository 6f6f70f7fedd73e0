import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CRM Settings › Currencies.
enum CurrenciesController {
    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("crm", "currencies").grouped(RequirePermission(permission: .crm))
        r.get(use: page)
        r.post(use: add)
        r.post(":code", "default", use: makeDefault)
        r.post(":code", "delete", use: delete)
    }

    static func page(_ req: Request) async throws -> Response {
        try await render(req, form: nil)
    }

    static func render(_ req: Request, form: FormVM?, status: HTTPStatus = .ok) async throws -> Response {
        let ctx = try await req.crm()
        let list = try await CurrencyService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let rows = list.map { c -> Row in
            var actions: [RowAction] = []
            if !c.isDefault && c.code != "CREDITS" { actions.append(RowAction(label: "Make default", href: nil, postTo: "/crm/currencies/\(c.code)/default", danger: false)) }
            if !c.isDefault { actions.append(RowAction(label: "Delete", href: nil, postTo: "/crm/currencies/\(c.code)/delete", danger: true)) }
            return Row(cells: [Cell(c.code, mono: true), Cell(c.name), Cell(c.symbol), Cell(c.isDefault ? "Default" : (c.code == "CREDITS" ? "Resellers" : ""), badge: c.isDefault ? "ok" : nil),
                               Cell(String(CurrencyCode(c.code)?.minorDigits ?? 2))], actions: actions)
        }
        let vm = SectionsVM(heading: "Currencies", intro: "Prices are kept per currency in integer minor units. CREDITS is the unit postpaid resellers buy and spend.",
                            buttons: [], tabs: [], sections: [
                                Section(title: nil, table: .simple(["Code", "Name", "Symbol", "", "Decimals"], rows, empty: "No currency yet.")),
                                Section(title: "Add a currency", form: form ?? FormVM(heading: "", intro: nil, action: "/crm/currencies", fields: [
                                    Field("code", "Code", help: "ISO 4217 (EUR, USD, GBP…) or CREDITS.", required: true),
                                    Field("name", "Name", help: "Optional; filled in for common codes."),
                                    Field("symbol", "Symbol"),
                                ], submitLabel: "Add currency", cancelHref: nil, formError: nil)),
                            ])
        return try await Layout.render(req, "sections", title: "Currencies", vm, status: status)
    }

    struct AddForm: Content { var code: String?; var name: String?; var symbol: String? }

    static func add(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let f = try req.content.decode(AddForm.self)
        do {
            let c = try await CurrencyService.add(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, code: f.code ?? "", name: f.name, symbol: f.symbol)
            req.flash(.success, "\(c.code) added.")
            return req.redirect(to: "/crm/currencies", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var form = FormVM(heading: "", intro: nil, action: "/crm/currencies", fields: [
                Field("code", "Code", value: f.code ?? "", required: true), Field("name", "Name", value: f.name ?? ""), Field("symbol", "Symbol", value: f.symbol ?? ""),
            ], submitLabel: "Add currency", cancelHref: nil, formError: nil)
            form.apply(e)
            return try await render(req, form: form, status: .unprocessableEntity)
        }
    }

    static func makeDefault(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let code = try req.parameters.require("code")
        try await CurrencyService.setDefault(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, code: code)
        req.flash(.success, "\(code) is now the default currency.")
        return req.redirect(to: "/crm/currencies", redirectType: .normal)
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.crm()
        let code = try req.parameters.require("code")
        return try await req.flashing(redirectTo: "/crm/currencies") {
            try await CurrencyService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, code: code)
            return "\(code) removed."
        }
    }
}
