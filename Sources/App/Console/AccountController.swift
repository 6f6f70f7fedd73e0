import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The signed-in user's own page: REST API tokens (create, revoke) and password change.
enum AccountController {
    static func register(_ console: any RoutesBuilder) {
        console.get("account", use: page)
        console.post("account", "tokens", use: createToken)
        console.post("account", "tokens", ":id", "revoke", use: revoke)
        console.post("account", "password", use: changePassword)
    }

    struct AccountVM: Encodable {
        var tokens: TableVM
        var tokenForm: FormVM
        var passwordForm: FormVM
        var canUseAPI: Bool
    }

    static func vm(_ req: Request, tokenForm: FormVM? = nil, passwordForm: FormVM? = nil) async throws -> AccountVM {
        let actor = try req.actor
        let env = req.serviceEnvironment
        let dates = try await req.dateDisplay()
        let now = env.now
        let tokens = try await AuthService.tokens(env, actor: actor)
        let rows = tokens.map { t -> Row in
            let state = t.revokedAt != nil ? "revoked" : ((t.expiresAt.map { $0 <= now } ?? false) ? "expired" : "active")
            return Row(cells: [Cell(t.name), Cell(t.hint, mono: true), Cell(state, badge: state == "active" ? "ok" : "muted"),
                               Cell(dates.string(t.createdAt)), Cell(t.expiresAt.map(dates.string) ?? "never"), Cell(dates.string(t.lastUsedAt))],
                       actions: state == "active" ? [RowAction(label: "Revoke", href: nil, postTo: "/account/tokens/\(t.id!)/revoke", danger: true)] : [])
        }
        let table = TableVM(heading: "API tokens", intro: "Bearer tokens for the REST API (/api/v1). A token acts with your role and deployments; it is shown once when created.",
                            buttons: [], filters: [], filterAction: "/account",
                            columns: ["Name", "Token", "State", "Created", "Expires", "Last used"].map { Column(label: $0, sortHref: nil, indicator: "") },
                            rows: rows, emptyText: "You have no API tokens.", pager: Pager(summary: "\(tokens.count) token\(tokens.count == 1 ? "" : "s")", prevHref: nil, nextHref: nil))
        return AccountVM(
            tokens: table,
            tokenForm: tokenForm ?? FormVM(heading: "New API token", intro: nil, action: "/account/tokens", fields: [
                Field("name", "Name", help: "What the token is for, e.g. \"billing sync\".", required: true),
                Field("expiresInDays", "Expires after (days)", type: "number", value: "90", help: "Leave empty for a token that does not expire."),
            ], submitLabel: "Create token", cancelHref: nil, formError: nil),
            passwordForm: passwordForm ?? FormVM(heading: "Change password", intro: nil, action: "/account/password", fields: [
                Field("currentPassword", "Current password", type: "password", required: true, autocomplete: "current-password"),
                Field("newPassword", "New password", type: "password", help: "At least \(PasswordPolicy.minimumLength) characters. Your other sessions end.", required: true, autocomplete: "new-password"),
            ], submitLabel: "Change password", cancelHref: nil, formError: nil),
            canUseAPI: actor.may(.useRestAPI))
    }

    static func page(_ req: Request) async throws -> Response {
        try await Layout.render(req, "account", title: "My account", vm(req))
    }

    struct TokenForm: Content { var name: String?; var expiresInDays: String? }

    static func createToken(_ req: Request) async throws -> Response {
        let f = try req.content.decode(TokenForm.self)
        let days = f.expiresInDays.flatMap { $0.isEmpty ? nil : $0 }
        do {
            guard days == nil || Int(days!) != nil else { throw DomainError.validation(["expiresInDays": "must be a whole number of days"]) }
            let issued = try await AuthService.issueToken(req.serviceEnvironment, actor: req.actor, name: f.name ?? "", expiresInDays: days.flatMap(Int.init))
            return try await Layout.render(req, "secret", title: "API token created", SecretVM(
                heading: "API token \"\(issued.model.name)\" created",
                message: "Copy it now: it is shown only this once. Send it as Authorization: Bearer <token>.",
                secret: issued.token, details: [], continueHref: "/account"))
        } catch let e as DomainError where e.kind == .invalid {
            var model = try await vm(req)
            model.tokenForm.fields[0].value = f.name ?? ""
            model.tokenForm.fields[1].value = f.expiresInDays ?? ""
            model.tokenForm.apply(e)
            return try await Layout.render(req, "account", title: "My account", model, status: .unprocessableEntity)
        }
    }

    static func revoke(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        try await AuthService.revokeToken(req.serviceEnvironment, actor: req.actor, id: id)
        req.flash(.success, "Token revoked. Requests with it are refused from now on.")
        return req.redirect(to: "/account", redirectType: .normal)
    }

    struct PasswordForm: Content { var currentPassword: String?; var newPassword: String? }

    static func changePassword(_ req: Request) async throws -> Response {
        let f = try req.content.decode(PasswordForm.self)
        do {
            try await SystemUserService.changeOwnPassword(req.serviceEnvironment, actor: req.actor, current: f.currentPassword ?? "", new: f.newPassword ?? "")
            // Keep this session, end all others (they carry the old epoch).
            let user = try await SystemUserModel.find(req.actor.userID, on: req.db)
            req.session.data["epoch"] = user.map { String($0.sessionEpoch) }
            req.flash(.success, "Password changed. Your other sessions have ended.")
            return req.redirect(to: "/account", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            var model = try await vm(req)
            model.passwordForm.apply(e)
            return try await Layout.render(req, "account", title: "My account", model, status: .unprocessableEntity)
        }
    }
}
