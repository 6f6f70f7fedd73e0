import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Console login and logout.
enum AuthController {
    struct LoginVM: Encodable {
        var csrf: String
        var email: String
        var next: String
        var error: String?
        var flashes: [FlashVM]
        var brand: BrandVM
    }

    struct LoginForm: Content {
        var email: String?
        var password: String?
        var next: String?
    }

    static func register(_ console: any RoutesBuilder) {
        console.get("login", use: page)
        console.post("login", use: login)
        console.post("logout", use: logout)
    }

    static func page(_ req: Request) async throws -> Response {
        if try await ConsoleAuthMiddleware.currentUser(req) != nil { return req.redirect(to: "/") }
        return try await render(req, email: "", next: req.query[String.self, at: "next"] ?? "", error: nil, status: .ok)
    }

    static func render(_ req: Request, email: String, next: String, error: String?, status: HTTPStatus) async throws -> Response {
        let vm = LoginVM(csrf: req.csrfToken, email: email, next: next, error: error, flashes: req.takeFlashes(), brand: try await req.consoleBrand(resellerID: nil))
        let response = try await req.view.render("login", vm).encodeResponse(for: req)
        response.status = status
        return response
    }

    static func login(_ req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let email = form.email ?? ""
        do {
            let user = try await AuthService.login(req.serviceEnvironment, email: email, password: form.password ?? "", ip: req.clientIP)
            // A fresh session id on login, so an id planted before login (fixation) is worthless.
            if let old = req.session.id {
                try? await req.application.sessions.driver.deleteSession(old, for: req).get()
                req.session.id = nil
            }
            req.session.data["uid"] = user.id!.uuidString
            req.session.data["epoch"] = String(user.sessionEpoch)
            req.session.data["seen"] = String(req.application.tvms.clock.now().timeIntervalSince1970)
            return req.redirect(to: safeNext(form.next), redirectType: .normal)
        } catch let error as DomainError {
            let status: HTTPStatus = error.kind == .rateLimited ? .tooManyRequests : (error.kind == .locked ? .locked : .unauthorized)
            return try await render(req, email: email, next: form.next ?? "", error: error.message, status: status)
        }
    }

    static func logout(_ req: Request) async throws -> Response {
        if let user = try await ConsoleAuthMiddleware.currentUser(req) {
            let env = req.serviceEnvironment
            let actor = try await AuthService.actor(for: user, on: req.db, ip: req.clientIP)
            try await env.write { db in
                try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: nil, entityType: "system_user",
                                              entityID: user.id!.uuidString, action: "logout")
            }
        }
        req.session.destroy()
        return req.redirect(to: "/login", redirectType: .normal)
    }

    /// Only local paths: `next` must not send a user to another site after login.
    static func safeNext(_ next: String?) -> String {
        guard let n = next, n.hasPrefix("/"), !n.hasPrefix("//"), !n.contains("\\") else { return "/" }
        return n
    }
}
