import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// REST `/api/v1`: JSON over bearer tokens, cursor pagination, one error shape.
enum V1Controller {
    static func register(_ app: Application) {
        let base = app.grouped("api", "v1")
        let catalogue = app.apiCatalogue
        let open = APIRoutes(builder: base, catalogue: catalogue, authenticated: false)
        let api = APIRoutes(builder: base.grouped(BearerAuthMiddleware(), IdempotencyMiddleware()), catalogue: catalogue, authenticated: true)

        open.add(.init(method: .POST, components: ["auth", "login"], summary: "Exchange e-mail and password for a bearer token (lock-out and throttling apply)",
                       tag: "Auth", requestSchema: "LoginRequest", responseStatus: 201, responseSchema: "IssuedToken"), use: login)
        api.add(.init(method: .GET, components: ["me"], summary: "The account behind the token", tag: "Auth", responseSchema: "Me"), use: me)

        api.add(.init(method: .GET, components: ["tokens"], summary: "Your API tokens", tag: "Tokens", responseSchema: "TokenList"), use: listTokens)
        api.add(.init(method: .POST, components: ["tokens"], summary: "Create a token (the secret is returned once)", tag: "Tokens",
                      requestSchema: "TokenRequest", responseStatus: 201, responseSchema: "IssuedToken"), use: createToken)
        api.add(.init(method: .DELETE, components: ["tokens", ":id"], summary: "Revoke a token", tag: "Tokens", responseStatus: 204), use: revokeToken)

        api.add(.init(method: .GET, components: ["deployments"], summary: "Deployments you may see", tag: "Deployments",
                      query: pageQuery, responseSchema: "DeploymentList"), use: listDeployments)
        api.add(.init(method: .POST, components: ["deployments"], summary: "Create a deployment (owner)", tag: "Deployments",
                      requestSchema: "DeploymentCreate", responseStatus: 201, responseSchema: "DeploymentCreated"), use: createDeployment)
        api.add(.init(method: .GET, components: ["deployments", ":deploymentId"], summary: "One deployment", tag: "Deployments", responseSchema: "Deployment"), use: getDeployment)
        api.add(.init(method: .PATCH, components: ["deployments", ":deploymentId"], summary: "Change time zone, currency or company info", tag: "Deployments",
                      requestSchema: "DeploymentUpdate", responseSchema: "Deployment"), use: updateDeployment)
        api.add(.init(method: .POST, components: ["deployments", ":deploymentId", "auth-token"], summary: "Rotate the business-API token", tag: "Deployments",
                      responseSchema: "AuthToken"), use: rotateToken)

        api.add(.init(method: .GET, components: ["system-users"], summary: "System users (owner)", tag: "System users",
                      query: pageQuery, responseSchema: "SystemUserList"), use: listUsers)
        api.add(.init(method: .POST, components: ["system-users"], summary: "Create a system user (owner)", tag: "System users",
                      requestSchema: "SystemUserWrite", responseStatus: 201, responseSchema: "SystemUser"), use: createUser)
        api.add(.init(method: .GET, components: ["system-users", ":id"], summary: "One system user", tag: "System users", responseSchema: "SystemUser"), use: getUser)
        api.add(.init(method: .PATCH, components: ["system-users", ":id"], summary: "Change a system user", tag: "System users",
                      requestSchema: "SystemUserWrite", responseSchema: "SystemUser"), use: updateUser)
        api.add(.init(method: .DELETE, components: ["system-users", ":id"], summary: "Delete a system user", tag: "System users", responseStatus: 204), use: deleteUser)

        api.add(.init(method: .GET, components: ["audit-log"], summary: "User Logs, newest first", tag: "Audit",
                      query: pageQuery + [("actorId", "Filter by account id"), ("entityType", "Filter by entity type"), ("entityId", "Filter by entity id"),
                                          ("deploymentId", "Filter by deployment"), ("from", "ISO 8601 instant, inclusive"), ("to", "ISO 8601 instant, exclusive")],
                      responseSchema: "AuditRecordList"), use: auditLog)

        api.add(.init(method: .GET, components: ["jobs"], summary: "Background jobs, newest first", tag: "Jobs",
                      query: pageQuery + [("status", "queued, running, succeeded or failed"), ("kind", "Job kind")], responseSchema: "JobList"), use: listJobs)
        api.add(.init(method: .POST, components: ["jobs", ":id", "retry"], summary: "Queue a failed job again", tag: "Jobs", responseStatus: 204), use: retryJob)
    }

    static let pageQuery = [("limit", "Page size, 1–500 (default 50)"), ("cursor", "nextCursor of the previous page")]

    // MARK: DTOs

    /// `nextCursor` is always present: `null` on the last page, as the OpenAPI document says.
    struct ListResponse<T: Content>: Content {
        var data: [T]
        var nextCursor: String?
        enum CodingKeys: String, CodingKey { case data, nextCursor }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(data, forKey: .data)
            try c.encode(nextCursor, forKey: .nextCursor)
        }
    }

    struct MeDTO: Content { var id: UUID; var email: String; var name: String; var role: String; var deploymentIds: [UUID]; var permissions: [String] }

    struct TokenDTO: Content {
        var id: UUID; var name: String; var hint: String
        var createdAt: Date?; var expiresAt: Date?; var revokedAt: Date?; var lastUsedAt: Date?
        init(_ t: APITokenModel) {
            id = t.id!; name = t.name; hint = t.hint; createdAt = t.createdAt; expiresAt = t.expiresAt; revokedAt = t.revokedAt; lastUsedAt = t.lastUsedAt
        }
    }

    struct IssuedTokenDTO: Content { var id: UUID; var name: String; var token: String; var expiresAt: Date? }

    struct DeploymentDTO: Content {
        var id: UUID; var name: String; var cmsService: String; var crmService: String; var timeZone: String; var defaultCurrency: String
        var companyName: String; var companyAddress: String; var companyEmail: String; var companyPhone: String; var companyWebsite: String
        var authTokenHint: String; var authTokenRotatedAt: Date?
        init(_ d: DeploymentModel) {
            id = d.id!; name = d.name; cmsService = d.cmsService; crmService = d.crmService; timeZone = d.timeZone
            defaultCurrency = d.defaultCurrency; companyName = d.companyName; companyAddress = d.companyAddress
            companyEmail = d.companyEmail; companyPhone = d.companyPhone; companyWebsite = d.companyWebsite
            authTokenHint = d.authTokenHint; authTokenRotatedAt = d.authTokenRotatedAt
        }
    }

    struct SystemUserDTO: Content {
        var id: UUID; var email: String; var name: String; var role: String; var active: Bool; var deploymentIds: [UUID]
        var lockedUntil: Date?; var lastLoginAt: Date?
        init(_ u: SystemUserModel, deploymentIDs: [UUID]) {
            id = u.id!; email = u.email; name = u.name; role = u.role; active = u.active; deploymentIds = deploymentIDs
            lockedUntil = u.lockedUntil; lastLoginAt = u.lastLoginAt
        }
    }

    struct AuditDTO: Content {
        var id: Int; var at: Date; var actorKind: String; var actorId: String?; var actorLabel: String; var ip: String?
        var deploymentId: UUID?; var entityType: String; var entityId: String; var action: String
        var before: [String: String?]?; var after: [String: String?]?
        init(_ r: AuditRecordModel) {
            id = r.id!; at = r.at; actorKind = r.actorKind; actorId = r.actorID; actorLabel = r.actorLabel; ip = r.ip
            deploymentId = r.deploymentID; entityType = r.entityType; entityId = r.entityID; action = r.action
            before = r.beforeJSON.flatMap { try? JSONDecoder().decode([String: String?].self, from: Data($0.utf8)) }
            after = r.afterJSON.flatMap { try? JSONDecoder().decode([String: String?].self, from: Data($0.utf8)) }
        }
    }

    struct JobDTO: Content {
        var id: Int; var kind: String; var status: String; var attempts: Int; var maxAttempts: Int; var runAt: Date
        var startedAt: Date?; var finishedAt: Date?; var lastError: String?; var result: String?; var lockedBy: String?; var scheduleName: String?
        init(_ j: JobModel) {
            id = j.id!; kind = j.kind; status = j.status; attempts = j.attempts; maxAttempts = j.maxAttempts; runAt = j.runAt
            startedAt = j.startedAt; finishedAt = j.finishedAt; lastError = j.lastError; result = j.result; lockedBy = j.lockedBy; scheduleName = j.scheduleName
        }
    }

    static func json<T: Content>(_ req: Request, _ value: T, status: HTTPStatus = .ok) async throws -> Response {
        let r = try await value.encodeResponse(status: status, for: req)
        return r
    }

    static func limit(_ req: Request) -> Int { PageSize.clamp(req.query[Int.self, at: "limit"]) }

    static func cursor(_ req: Request) throws -> PageCursor? {
        guard let raw = req.query[String.self, at: "cursor"], !raw.isEmpty else { return nil }
        guard let c = PageCursor.decode(raw) else {
            throw DomainError(.invalid, code: "bad_cursor", "The cursor is not one this API returned; start again without it.")
        }
        return c
    }

    /// Keyset page over UUID ids: stable under inserts, same cost on every page.
    static func uuidPage<M: Model>(_ q: QueryBuilder<M>, _ req: Request) async throws -> ([M], String?) where M.IDValue == UUID {
        if let c = try cursor(req) {
            guard let after = UUID(uuidString: c.id) else { throw DomainError(.invalid, code: "bad_cursor", "The cursor is not valid.") }
            q.filter(\._$id > after)
        }
        let n = limit(req)
        let rows = try await q.sort(\._$id).limit(n + 1).all()
        let page = Array(rows.prefix(n))
        let next = rows.count > n ? page.last.map { PageCursor(sortValue: "", id: $0.id!.uuidString).encoded } : nil
        return (page, next)
    }

    // MARK: Auth and tokens

    struct LoginBody: Content { var email: String; var password: String; var tokenName: String?; var expiresInDays: Int? }

    static func login(_ req: Request) async throws -> Response {
        let body = try req.content.decode(LoginBody.self)
        let env = req.serviceEnvironment
        let user = try await AuthService.login(env, email: body.email, password: body.password, ip: req.clientIP)
        var actor = try await AuthService.actor(for: user, kind: .api, on: req.db, ip: req.clientIP)
        actor.label = user.email + " (API)"
        let issued = try await AuthService.issueToken(env, actor: actor, name: body.tokenName ?? "API login", expiresInDays: body.expiresInDays ?? 30)
        return try await json(req, IssuedTokenDTO(id: issued.model.id!, name: issued.model.name, token: issued.token, expiresAt: issued.model.expiresAt), status: .created)
    }

    static func me(_ req: Request) async throws -> Response {
        let u = try req.requireConsoleUser()
        let role = Role(rawValue: u.user.role)
        return try await json(req, MeDTO(id: u.user.id!, email: u.user.email, name: u.user.name, role: u.user.role,
                                         deploymentIds: Array(u.actor.deploymentIDs).sorted { $0.uuidString < $1.uuidString },
                                         permissions: Permission.allCases.filter { role?.allows($0) == true }.map(\.rawValue)))
    }

    static func listTokens(_ req: Request) async throws -> Response {
        let tokens = try await AuthService.tokens(req.serviceEnvironment, actor: req.actor)
        return try await json(req, ListResponse(data: tokens.map(TokenDTO.init), nextCursor: nil))
    }

    struct TokenBody: Content { var name: String; var expiresInDays: Int? }

    static func createToken(_ req: Request) async throws -> Response {
        let body = try req.content.decode(TokenBody.self)
        let issued = try await AuthService.issueToken(req.serviceEnvironment, actor: req.actor, name: body.name, expiresInDays: body.expiresInDays)
        return try await json(req, IssuedTokenDTO(id: issued.model.id!, name: issued.model.name, token: issued.token, expiresAt: issued.model.expiresAt), status: .created)
    }

    static func revokeToken(_ req: Request) async throws -> Response {
        try await AuthService.revokeToken(req.serviceEnvironment, actor: req.actor, id: req.parameters.require("id", as: UUID.self))
        return Response(status: .noContent)
    }

    // MARK: Deployments

    static func listDeployments(_ req: Request) async throws -> Response {
        let actor = try req.actor
        try actor.require(.viewHome)
        let q = DeploymentModel.query(on: req.db)
        if !actor.seesAllDeployments { q.filter(\.$id ~~ Array(actor.deploymentIDs)) }
        let (page, next) = try await uuidPage(q, req)
        return try await json(req, ListResponse(data: page.map(DeploymentDTO.init), nextCursor: next))
    }

    struct DeploymentCreateBody: Content { var name: String; var cmsService: String; var crmService: String; var timeZone: String; var defaultCurrency: String }
    struct DeploymentCreatedDTO: Content { var deployment: DeploymentDTO; var authToken: String }

    static func createDeployment(_ req: Request) async throws -> Response {
        let b = try req.content.decode(DeploymentCreateBody.self)
        let created = try await DeploymentService.create(req.serviceEnvironment, actor: req.actor, input: .init(
            name: b.name, cmsService: b.cmsService, crmService: b.crmService, timeZone: b.timeZone, defaultCurrency: b.defaultCurrency))
        return try await json(req, DeploymentCreatedDTO(deployment: DeploymentDTO(created.deployment), authToken: created.authToken), status: .created)
    }

    static func getDeployment(_ req: Request) async throws -> Response {
        let d = try await DeploymentService.find(req.serviceEnvironment, actor: req.actor, id: req.parameters.require("deploymentId", as: UUID.self))
        return try await json(req, DeploymentDTO(d))
    }

    static func updateDeployment(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("deploymentId", as: UUID.self)
        let env = req.serviceEnvironment
        let actor = try req.actor
        let d = try await DeploymentService.find(env, actor: actor, id: id)
        let patch = try req.content.decode(DeploymentSettingsPatch.self)
        let updated = try await DeploymentService.updateSettings(env, actor: actor, id: id, settings: patch.applied(to: d))
        return try await json(req, DeploymentDTO(updated))
    }

    struct AuthTokenDTO: Content { var authToken: String }

    static func rotateToken(_ req: Request) async throws -> Response {
        let token = try await DeploymentService.rotateAuthToken(req.serviceEnvironment, actor: req.actor, id: req.parameters.require("deploymentId", as: UUID.self))
        return try await json(req, AuthTokenDTO(authToken: token))
    }

    // MARK: System users

    static func userDTO(_ u: SystemUserModel, on db: any Database) async throws -> SystemUserDTO {
        let ids = try await SystemUserDeploymentModel.query(on: db).filter(\.$user.$id == u.requireID()).all().map { $0.$deployment.id }
        return SystemUserDTO(u, deploymentIDs: ids.sorted { $0.uuidString < $1.uuidString })
    }

    static func listUsers(_ req: Request) async throws -> Response {
        try req.actor.require(.manageSystemUsers)
        let (page, next) = try await uuidPage(SystemUserModel.query(on: req.db).with(\.$deployments), req)
        return try await json(req, ListResponse(data: page.map { SystemUserDTO($0, deploymentIDs: $0.deployments.compactMap(\.id)) }, nextCursor: next))
    }

    struct UserBody: Content { var email: String?; var name: String?; var password: String?; var role: String?; var deploymentIds: [UUID]?; var active: Bool? }

    static func createUser(_ req: Request) async throws -> Response {
        let b = try req.content.decode(UserBody.self)
        let u = try await SystemUserService.create(req.serviceEnvironment, actor: req.actor, input: .init(
            name: b.name ?? "", email: b.email ?? "", password: b.password ?? "", role: b.role ?? "", deploymentIDs: b.deploymentIds ?? [], active: b.active ?? true))
        return try await json(req, userDTO(u, on: req.db), status: .created)
    }

    static func getUser(_ req: Request) async throws -> Response {
        let u = try await SystemUserService.find(req.serviceEnvironment, actor: req.actor, id: req.parameters.require("id", as: UUID.self))
        return try await json(req, SystemUserDTO(u, deploymentIDs: u.deployments.compactMap(\.id)))
    }

    static func updateUser(_ req: Request) async throws -> Response {
        let id = try req.parameters.require("id", as: UUID.self)
        let env = req.serviceEnvironment
        let current = try await SystemUserService.find(env, actor: req.actor, id: id)
        let b = try req.content.decode(UserBody.self)
        let u = try await SystemUserService.update(env, actor: req.actor, id: id, input: .init(
            name: b.name ?? current.name, email: b.email ?? current.email, password: b.password ?? "", role: b.role ?? current.role,
            deploymentIDs: b.deploymentIds ?? current.deployments.compactMap(\.id), active: b.active ?? current.active))
        return try await json(req, userDTO(u, on: req.db))
    }

    static func deleteUser(_ req: Request) async throws -> Response {
        try await SystemUserService.delete(req.serviceEnvironment, actor: req.actor, id: req.parameters.require("id", as: UUID.self))
        return Response(status: .noContent)
    }

    // MARK: Audit and jobs

    static func intCursor(_ req: Request) throws -> Int? {
        guard let c = try cursor(req) else { return nil }
        guard let id = Int(c.id) else { throw DomainError(.invalid, code: "bad_cursor", "The cursor is not valid.") }
        return id
    }

    static func auditLog(_ req: Request) async throws -> Response {
        let iso = ISO8601DateFormatter()
        let filter = AuditService.Filter(
            deploymentID: req.query[String.self, at: "deploymentId"].flatMap(UUID.init(uuidString:)),
            actorID: req.query[String.self, at: "actorId"], entityType: req.query[String.self, at: "entityType"],
            entityID: req.query[String.self, at: "entityId"],
            from: req.query[String.self, at: "from"].flatMap(iso.date(from:)), to: req.query[String.self, at: "to"].flatMap(iso.date(from:)))
        let n = limit(req)
        let rows = try await AuditService.list(req.serviceEnvironment, actor: req.actor, filter: filter, beforeID: intCursor(req), limit: n + 1)
        let page = Array(rows.prefix(n))
        let next = rows.count > n ? page.last.map { PageCursor(sortValue: "", id: String($0.id!)).encoded } : nil
        return try await json(req, ListResponse(data: page.map(AuditDTO.init), nextCursor: next))
    }

    static func listJobs(_ req: Request) async throws -> Response {
        let actor = try req.actor
        try actor.require(.viewJobs)
        let q = JobModel.query(on: req.db)
        if !actor.seesAllDeployments {
            q.group(.or) { $0.filter(\.$deploymentID == nil).filter(\.$deploymentID ~~ Array(actor.deploymentIDs)) }
        }
        if let s = req.query[String.self, at: "status"], !s.isEmpty { q.filter(\.$status == s) }
        if let k = req.query[String.self, at: "kind"], !k.isEmpty { q.filter(\.$kind == k) }
        if let before = try intCursor(req) { q.filter(\.$id < before) }
        let n = limit(req)
        let rows = try await q.sort(\.$id, .descending).limit(n + 1).all()
        let page = Array(rows.prefix(n))
        let next = rows.count > n ? page.last.map { PageCursor(sortValue: "", id: String($0.id!)).encoded } : nil
        return try await json(req, ListResponse(data: page.map(JobDTO.init), nextCursor: next))
    }

    static func retryJob(_ req: Request) async throws -> Response {
        try await JobQueue.retry(req.serviceEnvironment, actor: req.actor, id: req.parameters.require("id", as: Int.self))
        return Response(status: .noContent)
    }
}
