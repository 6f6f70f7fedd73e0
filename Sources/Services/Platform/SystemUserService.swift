import Domain
import FluentKit
import Foundation
import Storage

/// Top panel › System Users: the accounts that log in to the console, their roles and the
/// deployments they may work in.
public enum SystemUserService {
    public struct Input: Sendable {
        public var name: String
        public var email: String
        /// Required on create; on update, empty means "keep the current password".
        public var password: String
        public var role: String
        public var deploymentIDs: [UUID]
        public var active: Bool

        public init(name: String, email: String, password: String, role: String, deploymentIDs: [UUID], active: Bool = true) {
            self.name = name
            self.email = email
            self.password = password
            self.role = role
            self.deploymentIDs = deploymentIDs
            self.active = active
        }
    }

    public static let sortable: [String: String] = ["name": "name", "email": "email", "role": "role", "lastLogin": "last_login_at", "created": "created_at"]

    public static func list(_ env: ServiceEnvironment, actor: Principal, request: ListRequest) async throws -> PageResult<SystemUserModel> {
        try actor.require(.manageSystemUsers)
        let q = SystemUserModel.query(on: env.db).with(\.$deployments)
        if !request.search.isEmpty {
            let term = request.search
            q.group(.or) { g in
                g.filterContains(\.$email, term.lowercased(), on: env.db)
                g.filterContains(\.$name, term, on: env.db)
            }
        }
        if let role = request.filters["role"], Role(rawValue: role) != nil { q.filter(\.$role == role) }
        if let status = request.filters["status"] {
            if status == "active" { q.filter(\.$active == true) }
            if status == "inactive" { q.filter(\.$active == false) }
        }
        let dir: DatabaseQuery.Sort.Direction = request.descending ? .descending : .ascending
        switch request.sort {
        case "email": q.sort(\.$email, dir)
        case "role": q.sort(\.$role, dir)
        case "lastLogin": q.sort(\.$lastLoginAt, dir)
        case "created": q.sort(\.$createdAt, dir)
        default: q.sort(\.$name, dir)
        }
        q.sort(\.$id)
        return try await q.page(request)
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, id: UUID) async throws -> SystemUserModel {
        try actor.require(.manageSystemUsers)
        guard let u = try await SystemUserModel.query(on: env.db).filter(\.$id == id).with(\.$deployments).first() else {
            throw DomainError.notFound("The user")
        }
        return u
    }

    /// Validates everything the form can get wrong and reports it per field.
    static func validate(_ env: ServiceEnvironment, _ input: Input, existing: SystemUserModel?, allowedRoles: [Role] = Role.systemUserRoles) async throws -> (email: String, role: Role) {
        var errors = FieldErrors()
        let email = Validation.normalisedEmail(input.email)
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if !Validation.isEmail(email) { errors.add("email", "must be an e-mail address") }
        if existing == nil || !input.password.isEmpty {
            if let p = PasswordPolicy.problem(with: input.password) { errors.add("password", p) }
        }
        let role = Role(rawValue: input.role)
        if role == nil || !allowedRoles.contains(role!) { errors.add("role", "must be one of " + allowedRoles.map(\.rawValue).joined(separator: ", ")) }
        if let role, !role.seesAllDeployments, input.deploymentIDs.isEmpty {
            errors.add("deploymentIds", "must include at least one deployment for this role")
        }
        if errors.all["email"] == nil,
           let other = try await SystemUserModel.query(on: env.db).filter(\.$email == email).first(),
           other.id != existing?.id {
            errors.add("email", "is already used by another account")
        }
        let known = try await DeploymentModel.query(on: env.db).filter(\.$id ~~ input.deploymentIDs).count()
        if known != Set(input.deploymentIDs).count { errors.add("deploymentIds", "contains a deployment that does not exist") }
        try errors.throwIfAny()
        return (email, role!)
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, input: Input) async throws -> SystemUserModel {
        try actor.require(.manageSystemUsers)
        return try await createAccount(env, actor: actor, input: input, allowedRoles: Role.systemUserRoles)
    }

    /// Creates any account, including reseller logins (made from the reseller's page by CRM
    /// staff); callers check their own permission first.
    static func createAccount(_ env: ServiceEnvironment, actor: Principal, input: Input, allowedRoles: [Role] = [.reseller]) async throws -> SystemUserModel {
        let (email, role) = try await validate(env, input, existing: nil, allowedRoles: allowedRoles)
        let hash = try env.hasher.hash(input.password)
        let user = SystemUserModel(email: email, name: input.name.trimmingCharacters(in: .whitespaces),
                                   passwordHash: hash, role: role.rawValue, active: input.active)
        let deployments = role.seesAllDeployments ? [] : input.deploymentIDs
        let now = env.now
        try await env.write { db in
            try await user.create(on: db)
            try await attach(user, deployments, on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                          entityID: user.id!.uuidString, action: "create",
                                          after: snapshot(user, deployments, passwordSet: true))
        }
        return user
    }

    public static func update(_ env: ServiceEnvironment, actor: Principal, id: UUID, input: Input) async throws -> SystemUserModel {
        let user = try await find(env, actor: actor, id: id)
        let (email, role) = try await validate(env, input, existing: user)
        let demotesOwner = user.role == Role.owner.rawValue && user.active && (role != .owner || !input.active)
        if demotesOwner { try await requireAnotherOwner(env, besides: id) }
        if id == actor.userID && !input.active {
            throw DomainError(.conflict, code: "cannot_deactivate_self", "You cannot deactivate your own account.")
        }
        let before = snapshot(user, user.deployments.compactMap(\.id), passwordSet: false)
        user.name = input.name.trimmingCharacters(in: .whitespaces)
        user.email = email
        user.role = role.rawValue
        user.active = input.active
        let passwordChanged = !input.password.isEmpty
        if passwordChanged {
            user.passwordHash = try env.hasher.hash(input.password)
            user.sessionEpoch += 1
        }
        let deployments = role.seesAllDeployments ? [] : input.deploymentIDs
        let now = env.now
        try await env.write { db in
            try await user.save(on: db)
            try await SystemUserDeploymentModel.query(on: db).filter(\.$user.$id == id).delete()
            try await attach(user, deployments, on: db)
            var after = snapshot(user, deployments, passwordSet: false)
            if passwordChanged { after["password"] = "changed" }
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                          entityID: id.uuidString, action: "update", before: before, after: after)
        }
        return user
    }

    public static func delete(_ env: ServiceEnvironment, actor: Principal, id: UUID) async throws {
        let user = try await find(env, actor: actor, id: id)
        if id == actor.userID {
            throw DomainError(.conflict, code: "cannot_delete_self", "You cannot delete your own account; ask another owner.")
        }
        if user.role == Role.owner.rawValue && user.active { try await requireAnotherOwner(env, besides: id) }
        let before = snapshot(user, user.deployments.compactMap(\.id), passwordSet: false)
        let now = env.now
        try await env.write { db in
            try await user.delete(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                          entityID: id.uuidString, action: "delete", before: before)
        }
    }

    /// Clears a lock-out before it runs out by itself.
    public static func unlock(_ env: ServiceEnvironment, actor: Principal, id: UUID) async throws {
        let user = try await find(env, actor: actor, id: id)
        user.lockedUntil = nil
        user.failedLogins = 0
        let now = env.now
        try await env.write { db in
            try await user.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                          entityID: id.uuidString, action: "unlock")
        }
    }

    /// A user changes their own password (current one required); other sessions end.
    public static func changeOwnPassword(_ env: ServiceEnvironment, actor: Principal, current: String, new: String) async throws {
        guard let id = actor.userID, let user = try await SystemUserModel.find(id, on: env.db) else {
            throw DomainError.notFound("The user")
        }
        var errors = FieldErrors()
        if !(try env.hasher.verify(current, user.passwordHash)) { errors.add("currentPassword", "is not your current password") }
        if let p = PasswordPolicy.problem(with: new) { errors.add("newPassword", p) }
        try errors.throwIfAny()
        user.passwordHash = try env.hasher.hash(new)
        user.sessionEpoch += 1
        let now = env.now
        try await env.write { db in
            try await user.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                          entityID: id.uuidString, action: "change_password", after: ["password": "changed"])
        }
    }

    static func requireAnotherOwner(_ env: ServiceEnvironment, besides id: UUID) async throws {
        let others = try await SystemUserModel.query(on: env.db)
            .filter(\.$role == Role.owner.rawValue).filter(\.$active == true).filter(\.$id != id).count()
        if others == 0 {
            throw DomainError(.conflict, code: "last_owner", "This is the last active owner; make another account owner first.")
        }
    }

    static func attach(_ user: SystemUserModel, _ deploymentIDs: [UUID], on db: any Database) async throws {
        for d in Set(deploymentIDs) {
            let link = SystemUserDeploymentModel()
            link.$user.id = try user.requireID()
            link.$deployment.id = d
            try await link.create(on: db)
        }
    }

    static func snapshot(_ u: SystemUserModel, _ deployments: [UUID], passwordSet: Bool) -> [String: String?] {
        var s: [String: String?] = ["name": u.name, "email": u.email, "role": u.role, "active": String(u.active),
                                    "deployments": deployments.map(\.uuidString).sorted().joined(separator: ",")]
        if passwordSet { s["password"] = "set" }
        return s
    }

    /// `tvms admin create`: the bootstrap path, used before anyone can log in.
    public static func bootstrapCreate(_ env: ServiceEnvironment, email: String, password: String, role: Role, name: String?) async throws -> SystemUserModel {
        let ids = role.seesAllDeployments ? [] : try await DeploymentModel.query(on: env.db).all().compactMap(\.id)
        return try await create(env, actor: .system("cli"), input: Input(
            name: name ?? email.split(separator: "@").first.map(String.init) ?? email,
            email: email, password: password, role: role.rawValue, deploymentIDs: ids))
    }
}
