import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Top panel › System Users.
enum SystemUsersController {
    static func register(_ console: any RoutesBuilder) {
        let users = console.grouped("system-users").grouped(RequirePermission(permission: .manageSystemUsers))
        users.get(use: list)
        users.get("new", use: newForm)
        users.post(use: create)
        users.get(":id", "edit", use: editForm)
        users.post(":id", use: update)
        users.get(":id", "delete", use: confirmDelete)
        users.post(":id", "delete", use: delete)
        users.post(":id", "unlock", use: unlock)
    }

    static func list(_ req: Request) async throws -> Response {
        let env = req.serviceEnvironment
        let tq = TableQuery(req, path: "/system-users", filterNames: ["role", "status"])
        let result = try await SystemUserService.list(env, actor: req.actor, request: tq.listRequest)
        let dates = try await req.dateDisplay()
        let now = env.now
        let rows = result.items.map { u -> Row in
            let id = u.id!.uuidString
            let locked = u.lockedUntil.map { $0 > now } ?? false
            var actions = [RowAction(label: "Edit", href: "/system-users/\(id)/edit", postTo: nil, danger: false)]
            if locked { actions.append(RowAction(label: "Unlock", href: nil, postTo: "/system-users/\(id)/unlock", danger: false)) }
            actions.append(RowAction(label: "Delete", href: "/system-users/\(id)/delete", postTo: nil, danger: true))
            let role = Role(rawValue: u.role)
            return Row(cells: [
                Cell(u.name, href: "/system-users/\(id)/edit"),
                Cell(u.email, mono: true),
                Cell(role?.label ?? u.role, badge: u.role),
                Cell(role?.seesAllDeployments == true ? "All" : u.deployments.map(\.name).sorted().joined(separator: ", ")),
                Cell(locked ? "Locked" : (u.active ? "Active" : "Inactive"), badge: locked ? "danger" : (u.active ? "ok" : "muted")),
                Cell(dates.string(u.lastLoginAt)),
            ], actions: actions)
        }
        let roleOptions = [FilterOption(value: "", label: "All roles", selected: tq.params["role"] == nil)]
            + Role.systemUserRoles.map { FilterOption(value: $0.rawValue, label: $0.label, selected: tq.params["role"] == $0.rawValue) }
        let statusOptions = [("", "Any status"), ("active", "Active"), ("inactive", "Inactive")]
            .map { FilterOption(value: $0.0, label: $0.1, selected: (tq.params["status"] ?? "") == $0.0) }
        let table = TableVM(
            heading: "System Users",
            intro: "Accounts that log in to this console. Owners see every deployment; other roles only the deployments ticked for them.",
            buttons: [Button(label: "Add user", href: "/system-users/new", primary: true)],
            filters: [Filter(name: "q", label: "Search name or e-mail", type: "text", value: tq.params["q"] ?? "", options: []),
                      Filter(name: "role", label: "Role", type: "select", value: tq.params["role"] ?? "", options: roleOptions),
                      Filter(name: "status", label: "Status", type: "select", value: tq.params["status"] ?? "", options: statusOptions)],
            filterAction: "/system-users",
            columns: [tq.column("Name", key: "name", defaultKey: "name"), tq.column("E-mail", key: "email", defaultKey: "name"),
                      tq.column("Role", key: "role", defaultKey: "name"), tq.column("Deployments", key: nil, defaultKey: "name"),
                      tq.column("Status", key: nil, defaultKey: "name"), tq.column("Last login", key: "lastLogin", defaultKey: "name")],
            rows: rows, emptyText: "No user matches these filters.", pager: tq.pager(result, noun: "users"))
        return try await Layout.render(req, "table", title: "System Users", table)
    }

    struct UserForm: Content {
        var name: String?
        var email: String?
        var password: String?
        var role: String?
        var deploymentIds: [String]?
        var active: String?
    }

    static func form(_ req: Request, heading: String, action: String, _ f: UserForm, editing: Bool) async throws -> FormVM {
        let deployments = try await DeploymentModel.query(on: req.db).sort(\.$name).all()
        let chosen = Set(f.deploymentIds ?? [])
        var fields = [
            Field("name", "Name", value: f.name ?? "", required: true),
            Field("email", "E-mail", type: "email", value: f.email ?? "", required: true, autocomplete: "off"),
            Field("password", editing ? "New password" : "Password", type: "password",
                  help: editing ? "Leave empty to keep the current password. Changing it ends the user's sessions." : "At least \(PasswordPolicy.minimumLength) characters.",
                  required: !editing, autocomplete: "new-password"),
            Field("role", "Role", type: "select", value: f.role ?? "support",
                  options: Role.systemUserRoles.map { FieldOption(value: $0.rawValue, label: $0.label, selected: (f.role ?? "support") == $0.rawValue) },
                  help: "Owner: everything. Admin: CMS, CRM, UIT and settings of the ticked deployments. Content editor: CMS only. Support agent: customers and tickets.",
                  required: true),
            Field("deploymentIds[]", "Deployments", type: "checkboxes",
                  options: deployments.map { FieldOption(value: $0.id!.uuidString, label: "\($0.name) (\($0.cmsService))", selected: chosen.contains($0.id!.uuidString)) },
                  help: "Not needed for owners, who see every deployment."),
        ]
        if editing {
            fields.append(Field("active", "Active", type: "checkbox", value: f.active == nil ? "" : "on",
                                help: "Inactive accounts cannot log in or use their API tokens."))
        }
        return FormVM(heading: heading, intro: nil, action: action, fields: fields,
                      submitLabel: editing ? "Save changes" : "Create user", cancelHref: "/system-users", formError: nil)
    }

    static func input(_ f: UserForm, editing: Bool) -> SystemUserService.Input {
        SystemUserService.Input(name: f.name ?? "", email: f.email ?? "", password: f.password ?? "", role: f.role ?? "",
                                deploymentIDs: (f.deploymentIds ?? []).compactMap(UUID.init(uuidString:)),
                                active: editing ? f.active != nil : true)
    }

    static func newForm(_ req: Request) async throws -> Response {
        try await Layout.render(req, "form", title: "Add user", form(req, heading: "Add a system user", action: "/system-users", UserForm(), editing: false))
    }

    static func create(_ req: Request) async throws -> Response {
        let f = try req.content.decode(UserForm.self)
        do {
            let user = try await SystemUserService.create(req.serviceEnvironment, actor: req.actor, input: input(f, editing: false))
            req.flash(.success, "User \(user.email) created. Give them their password through a safe channel.")
            return req.redirect(to: "/system-users", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var vm = try await form(req, heading: "Add a system user", action: "/system-users", f, editing: false)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Add user", vm, status: .unprocessableEntity)
        }
    }

    static func editForm(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        let u = try await SystemUserService.find(req.serviceEnvironment, actor: req.actor, id: id)
        let f = UserForm(name: u.name, email: u.email, password: nil, role: u.role,
                         deploymentIds: u.deployments.map { $0.id!.uuidString }, active: u.active ? "on" : nil)
        return try await Layout.render(req, "form", title: "Edit user", form(req, heading: "Edit \(u.email)", action: "/system-users/\(id)", f, editing: true))
    }

    static func update(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        let f = try req.content.decode(UserForm.self)
        do {
            let user = try await SystemUserService.update(req.serviceEnvironment, actor: req.actor, id: id, input: input(f, editing: true))
            req.flash(.success, "User \(user.email) saved.")
            return req.redirect(to: "/system-users", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            var vm = try await form(req, heading: "Edit user", action: "/system-users/\(id)", f, editing: true)
            vm.apply(e)
            return try await Layout.render(req, "form", title: "Edit user", vm, status: e.kind == .invalid ? .unprocessableEntity : .conflict)
        }
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        let u = try await SystemUserService.find(req.serviceEnvironment, actor: req.actor, id: id)
        return try await Layout.render(req, "confirm", title: "Delete user", ConfirmVM(
            heading: "Delete \(u.email)?",
            message: "The account and its API tokens are removed and can no longer log in. Its entries in the User Logs stay.",
            action: "/system-users/\(id)/delete", buttonLabel: "Delete user", cancelHref: "/system-users"))
    }

    static func delete(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        return try await req.flashing(redirectTo: "/system-users") {
            try await SystemUserService.delete(req.serviceEnvironment, actor: req.actor, id: id)
            return "User deleted."
        }
    }

    static func unlock(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        try await SystemUserService.unlock(req.serviceEnvironment, actor: req.actor, id: id)
        req.flash(.success, "Account unlocked.")
        return req.redirect(to: "/system-users", redirectType: .normal)
    }
}
