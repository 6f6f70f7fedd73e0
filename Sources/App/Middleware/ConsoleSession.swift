import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The logged-in console user of this request and the actor it acts as.
struct ConsoleUser: Sendable {
    var user: SystemUserModel
    var actor: Principal
}

extension Request {
    private struct ConsoleUserKey: StorageKey { typealias Value = ConsoleUser }

    var consoleUser: ConsoleUser? {
        get { storage[ConsoleUserKey.self] }
        set { storage[ConsoleUserKey.self] = newValue }
    }

    func requireConsoleUser() throws -> ConsoleUser {
        guard let u = consoleUser else { throw Abort(.unauthorized) }
        return u
    }

    var actor: Principal { get throws { try requireConsoleUser().actor } }

    /// The session's CSRF token, made on first use. One token per session (synchroniser-token
    /// pattern); forms carry it in the hidden `_csrf` field.
    var csrfToken: String {
        if let t = session.data["csrf"] { return t }
        let t = Secrets.generate(prefix: "", bytes: 24)
        session.data["csrf"] = t
        return t
    }

    enum FlashKind: String { case success, error, info }

    /// A one-time message shown on the next rendered page (after POST → redirect → GET).
    func flash(_ kind: FlashKind, _ message: String) {
        var list = (session.data["flash"].flatMap { try? JSONDecoder().decode([[String]].self, from: Data($0.utf8)) }) ?? []
        list.append([kind.rawValue, message])
        session.data["flash"] = String(decoding: (try? JSONEncoder().encode(list)) ?? Data(), as: UTF8.self)
    }

    func takeFlashes() -> [FlashVM] {
        guard let raw = session.data["flash"] else { return [] }
        session.data["flash"] = nil
        let list = (try? JSONDecoder().decode([[String]].self, from: Data(raw.utf8))) ?? []
        return list.compactMap { $0.count == 2 ? FlashVM(kind: $0[0], message: $0[1]) : nil }
    }
}

/// On every console request: a CSRF token exists, and every state-changing request carries it.
struct CSRFMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let expected = request.csrfToken
        if request.method != .GET && request.method != .HEAD {
            // A body larger than one network read (an upload, a form with many ticked boxes) is
            // still streaming when middleware runs: collect it so its _csrf field can be read —
            // up to the largest console upload for files, the routes' default for forms.
            if request.body.data == nil {
                let limit = request.headers.contentType?.type == "multipart" ? 20 * 1024 * 1024 : 4 * 1024 * 1024
                _ = try await request.body.collect(max: limit).get()
            }
            let sent = (try? request.content.get(String.self, at: "_csrf")) ?? request.headers.first(name: "X-CSRF-Token") ?? ""
            guard !sent.isEmpty, Secrets.equalDigests(sent, expected) else { throw HTTPError.csrf }
        }
        return try await next.respond(to: request)
    }
}

/// Console pages need a logged-in, active user whose password has not changed since the session
/// began and whose session has not idled out; otherwise the browser is sent to the login page.
struct ConsoleAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let user = try await ConsoleAuthMiddleware.currentUser(request) else {
            let next = request.url.path == "/" ? "" : "?next=" + (request.url.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_"))) ?? "")
            return request.redirect(to: "/login" + next, redirectType: .normal)
        }
        do {
            request.consoleUser = ConsoleUser(user: user, actor: try await AuthService.actor(for: user, on: request.db, ip: request.clientIP))
        } catch let e as DomainError where e.kind == .forbidden {
            // A reseller disabled by the operator: its sessions end with it.
            request.session.data["uid"] = nil
            request.flash(.error, e.message)
            return request.redirect(to: "/login", redirectType: .normal)
        }
        return try await next.respond(to: request)
    }

    static func currentUser(_ request: Request) async throws -> SystemUserModel? {
        guard let raw = request.session.data["uid"], let id = UUID(uuidString: raw) else { return nil }
        let now = request.application.tvms.clock.now()
        let idle = request.application.tvms.config.sessionIdleHours * 3600
        if let seen = request.session.data["seen"].flatMap(Double.init), now.timeIntervalSince1970 - seen > idle {
            request.session.data["uid"] = nil
            request.flash(.info, "Your session ended after a period without activity. Please log in again.")
            return nil
        }
        guard let user = try await SystemUserModel.find(id, on: request.db), user.active,
              String(user.sessionEpoch) == request.session.data["epoch"] else {
            request.session.data["uid"] = nil
            return nil
        }
        // Refresh the idle clock at most once a minute to spare session writes.
        if request.session.data["seen"].flatMap(Double.init).map({ now.timeIntervalSince1970 - $0 > 60 }) ?? true {
            request.session.data["seen"] = String(now.timeIntervalSince1970)
        }
        return user
    }
}

/// A console section needs this permission.
struct RequirePermission: AsyncMiddleware {
    let permission: Permission
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try request.actor.require(permission)
        return try await next.respond(to: request)
    }
}

/// REST v1: `Authorization: Bearer <token>`; the token's account becomes the request's actor.
struct BearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let bearer = request.headers.bearerAuthorization?.token,
              let (user, _) = try await AuthService.authenticate(request.serviceEnvironment, bearer: bearer) else {
            throw HTTPError.unauthenticated
        }
        var actor = try await AuthService.actor(for: user, kind: .api, on: request.db, ip: request.clientIP)
        actor.label = user.email + " (API)"
        guard actor.may(.useRestAPI) else {
            throw DomainError(.forbidden, code: "forbidden", "Your role cannot use the REST API.")
        }
        request.consoleUser = ConsoleUser(user: user, actor: actor)
        return try await next.respond(to: request)
    }
}
