import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Top panel › Super Hostname (owner only): super hostnames and, for each, the service ids the
/// app's Service ID screen accepts and the hostname each one opens.
enum SuperHostnameController {
    static func register(_ console: any RoutesBuilder) {
        let s = console.grouped("settings", "super-hostnames").grouped(RequirePermission(permission: .manageSystemUsers))
        s.get(use: list)
        s.post(use: create)
        s.get(":id", use: details)
        s.get(":id", "delete", use: confirmDelete)
        s.post(":id", "delete", use: delete)
        s.post(":id", "services", use: addService)
        s.post(":id", "services", ":mappingID", "remove", use: removeService)
    }

    struct CreateForm: Content { var hostname: String? }

    static func list(_ req: Request) async throws -> Response {
        try await listPage(req, form: nil, error: nil)
    }

    static func listPage(_ req: Request, form f: CreateForm?, error: DomainError?) async throws -> Response {
        let env = req.serviceEnvironment, actor = try req.actor
        var rows: [Row] = []
        for s in try await SuperHostnameService.list(env, actor: actor) {
            let entries = try await SuperHostnameService.entries(env, actor: actor, id: s.id!)
            rows.append(Row(cells: [Cell(s.hostname, href: "/settings/super-hostnames/\(s.id!)", mono: true), Cell(String(entries.count)),
                                    Cell(entries.prefix(5).map { "\($0.serviceID) → \($0.hostname)" }.joined(separator: ", "))],
                            actions: [RowAction(label: "Service ids", href: "/settings/super-hostnames/\(s.id!)", postTo: nil, danger: false)]))
        }
        var form = FormVM(heading: "", intro: nil, action: "/settings/super-hostnames", fields: [
            Field("hostname", "Super hostname", value: f?.hostname ?? "", help: "e.g. apps.example.com — the address the shared app build is configured with.", required: true),
        ], submitLabel: "Add super hostname", cancelHref: nil, formError: nil)
        if let error { form.apply(error) }
        let vm = SectionsVM(heading: "Super Hostname",
                            intro: "One app build for several operators or brands: an app configured with a super hostname first asks for a service id, then continues as the hostname that id maps to.",
                            buttons: [], tabs: [], sections: [Section(title: nil, table: .simple(["Super hostname", "Service ids", "Maps"], rows, empty: "No super hostname yet.")),
                                                              Section(title: "Add a super hostname", form: form)])
        return try await Layout.render(req, "sections", title: "Super Hostname", vm, status: error.map { $0.kind == .conflict ? .conflict : .unprocessableEntity } ?? .ok)
    }

    static func create(_ req: Request) async throws -> Response {
        let f = try req.content.decode(CreateForm.self)
        do {
            let s = try await SuperHostnameService.create(req.serviceEnvironment, actor: try req.actor, hostname: f.hostname ?? "")
            req.flash(.success, "Super hostname \(s.hostname) added. Now give it service ids.")
            return req.redirect(to: "/settings/super-hostnames/\(s.id!)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            return try await listPage(req, form: f, error: e)
        }
    }

    static func details(_ req: Request) async throws -> Response {
        let env = req.serviceEnvironment, actor = try req.actor
        let s = try await SuperHostnameService.find(env, actor: actor, id: try req.parameters.require("id", as: Int.self))
        let entries = try await SuperHostnameService.entries(env, actor: actor, id: s.id!)
        let base = "/settings/super-hostnames/\(s.id!)"
        let table = TableVM.simple(["Service id", "Hostname", "Deployment"], entries.map { e in
            Row(cells: [Cell(e.serviceID, mono: true), Cell(e.hostname, mono: true), Cell(e.deploymentName)],
                actions: [RowAction(label: "Remove", href: nil, postTo: "\(base)/services/\(e.mappingID)/remove", danger: true)])
        }, empty: "No service id yet: the app's Service ID screen accepts nothing.")
        let hosts = try await SuperHostnameService.hostnameChoices(env, actor: actor)
        let deployments = Dictionary(uniqueKeysWithValues: try await DeploymentModel.query(on: req.db).all().map { ($0.id!, $0.name) })
        let form = FormVM(heading: "", intro: "Service ids are unique on this super hostname; subscribers may type them in any letter case.", action: "\(base)/services", fields: [
            Field("serviceId", "Service id", help: "e.g. 1001", required: true),
            Field("hostname", "Opens hostname", type: "select",
                  options: hosts.map { FieldOption(value: String($0.id!), label: "\($0.hostname) (\(deployments[$0.deploymentID] ?? ""))", selected: false) }),
        ], submitLabel: "Add service id", cancelHref: nil, formError: nil)
        let vm = SectionsVM(heading: "Super hostname \(s.hostname)", intro: nil, buttons: [Button(label: "Super Hostname", href: "/settings/super-hostnames", primary: false)], tabs: [],
                            sections: [Section(title: "Service ids", table: table), Section(title: "Add a service id", form: form),
                                       Section(title: "Delete", intro: "Apps configured with \(s.hostname) stop working.",
                                               actions: [RowAction(label: "Delete super hostname", href: "\(base)/delete", postTo: nil, danger: true)])])
        return try await Layout.render(req, "sections", title: s.hostname, vm)
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let s = try await SuperHostnameService.find(req.serviceEnvironment, actor: try req.actor, id: try req.parameters.require("id", as: Int.self))
        let vm = ConfirmVM(heading: "Delete \(s.hostname)?",
                           message: "Apps configured with \(s.hostname) can no longer ask for a service id; its service ids are removed. The hostnames they opened stay.",
                           action: "/settings/super-hostnames/\(s.id!)/delete", buttonLabel: "Delete super hostname", cancelHref: "/settings/super-hostnames/\(s.id!)")
        return try await Layout.render(req, "confirm", title: "Delete \(s.hostname)", vm)
    }

    static func delete(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/settings/super-hostnames") {
            try await SuperHostnameService.delete(req.serviceEnvironment, actor: try req.actor, id: id)
            return "Super hostname deleted."
        }
    }

    struct ServiceForm: Content { var serviceId: String?; var hostname: String? }

    static func addService(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let f = try req.content.decode(ServiceForm.self)
        return try await req.flashing(redirectTo: "/settings/super-hostnames/\(id)") {
            try await SuperHostnameService.addService(req.serviceEnvironment, actor: try req.actor, id: id, serviceID: f.serviceId ?? "", hostnameID: Int(f.hostname ?? "") ?? 0)
            return "Service id \(f.serviceId ?? "") added."
        }
    }

    static func removeService(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: Int.self)
        let mappingID = try req.parameters.require("mappingID", as: Int.self)
        return try await req.flashing(redirectTo: "/settings/super-hostnames/\(id)") {
            try await SuperHostnameService.removeService(req.serviceEnvironment, actor: try req.actor, id: id, mappingID: mappingID)
            return "Service id removed."
        }
    }
}
