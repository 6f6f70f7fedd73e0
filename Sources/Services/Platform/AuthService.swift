import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Console logins (with lock-out and per-address throttling) and REST bearer tokens.
public enum AuthService {
    /// Verified against when the e-mail is unknown, so a wrong e-mail costs as long as a wrong
    /// password and response times do not reveal which accounts exist.
    static let decoyHashes = DecoyHash()

    public static let wrongCredentials = DomainError(.unauthorized, code: "invalid_credentials", "Wrong e-mail or password.")

    public static func login(_ env: ServiceEnvironment, email rawEmail: String, password: String, ip: String?) async throws -> SystemUserModel {
        let policy = env.lockout
        let now = env.now
        // Only failed attempts count against an address: an office behind one NAT address can log
        // in all day, a password-guesser cannot.
        let throttleKey = ip.map { "login:\($0)" }
        if let throttleKey, try await RateLimiter.count(env, key: throttleKey, window: policy.addressWindow) >= policy.attemptsPerAddressPerWindow {
            throw DomainError(.rateLimited, code: "rate_limited",
                              "Too many login attempts from your address. Wait a few minutes and try again.")
        }
        func failed() async throws {
            if let throttleKey { _ = try await RateLimiter.hit(env, key: throttleKey, window: policy.addressWindow) }
        }
        let email = Validation.normalisedEmail(rawEmail)
        guard let user = try await SystemUserModel.query(on: env.db).filter(\.$email == email).first(), user.active else {
            _ = try? env.hasher.verify(password, decoyHashes.value(env.hasher))
            try await failed()
            throw wrongCredentials
        }
        let actor = Principal(kind: .user, userID: user.id, label: user.email, role: Role(rawValue: user.role), deploymentIDs: [], ip: ip)
        if let until = user.lockedUntil, until > now {
            try await failed()
            throw lockedError(until: until, now: now)
        }
        guard try env.hasher.verify(password, user.passwordHash) else {
            try await failed()
            let failures = user.failedLogins + 1
            let locks = failures >= policy.maxFailures
            user.failedLogins = locks ? 0 : failures
            if locks { user.lockedUntil = now.addingTimeInterval(policy.lockDuration) }
            let lockedUntil = user.lockedUntil
            try await env.write { db in
                try await user.save(on: db)
                try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                              entityID: user.id!.uuidString, action: locks ? "locked" : "login_failed",
                                              after: ["failedLogins": String(failures)])
            }
            if locks, let lockedUntil { throw lockedError(until: lockedUntil, now: now) }
            throw wrongCredentials
        }
        if Role(rawValue: user.role) == .reseller { _ = try await AuthService.actor(for: user, on: env.db, ip: ip) } // refuses disabled resellers
        user.failedLogins = 0
        user.lockedUntil = nil
        user.lastLoginAt = now
        try await env.write { db in
            try await user.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "system_user",
                                          entityID: user.id!.uuidString, action: "login")
        }
        return user
    }

    static func lockedError(until: Date, now: Date) -> DomainError {
        let minutes = max(1, Int((until.timeIntervalSince(now) / 60).rounded(.up)))
        return DomainError(.locked, code: "account_locked",
                           "This account is locked after too many failed logins. Try again in \(minutes) minute\(minutes == 1 ? "" : "s"), or ask an owner to unlock it.")
    }

    /// The actor a logged-in user acts as, with the deployments granted to it.
    public static func actor(for user: SystemUserModel, kind: Principal.Kind = .user, on db: any Database, ip: String?) async throws -> Principal {
        let ids = try await SystemUserDeploymentModel.query(on: db).filter(\.$user.$id == user.requireID()).all().map { $0.$deployment.id }
        var p = Principal(kind: kind, userID: user.id, label: user.email, role: Role(rawValue: user.role), deploymentIDs: Set(ids), ip: ip)
        if p.role == .reseller {
            // A reseller login acts only while its reseller exists and is enabled.
            guard let r = try await ResellerModel.query(on: db).filter(\.$userID == user.requireID()).filter(\.$enabled == true).first() else {
                throw DomainError(.forbidden, code: "reseller_disabled", "This reseller account is disabled. Contact the operator.")
            }
            p.kind = .reseller
            p.resellerID = r.id
            p.label = user.email + " (reseller \(r.name))"
        }
        return p
    }

    // MARK: REST tokens

    public struct IssuedToken: Sendable {
        public var model: APITokenModel
        /// The secret itself: returned once, never stored.
        public var token: String
    }

    public static func issueToken(_ env: ServiceEnvironment, actor: Principal, name: String, expiresInDays: Int?) async throws -> IssuedToken {
        guard let userID = actor.userID else { throw DomainError(.forbidden, code: "forbidden", "Only accounts can own tokens.") }
        try actor.require(.useRestAPI)
        var errors = FieldErrors()
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { errors.add("name", "is required") }
        if trimmed.count > 80 { errors.add("name", "must be at most 80 characters") }
        if let d = expiresInDays, !(1...3650).contains(d) { errors.add("expiresInDays", "must be between 1 and 3650 days") }
        try errors.throwIfAny()
        let token = Secrets.generate(prefix: "tvms_pat_")
        let now = env.now
        let model = APITokenModel(userID: userID, name: trimmed, tokenHash: Secrets.digest(token), hint: Secrets.hint(token),
                                  expiresAt: expiresInDays.map { now.addingTimeInterval(Double($0) * 86_400) })
        try await env.write { db in
            try await model.create(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "api_token",
                                          entityID: model.id!.uuidString, action: "create",
                                          after: ["name": trimmed, "expiresAt": model.expiresAt.map { ISO8601DateFormatter().string(from: $0) }])
        }
        return IssuedToken(model: model, token: token)
    }

    /// The account behind a bearer token, or nil when the token is unknown, revoked, expired or
    /// its account is disabled.
    public static func authenticate(_ env: ServiceEnvironment, bearer: String) async throws -> (SystemUserModel, APITokenModel)? {
        let digest = Secrets.digest(bearer)
        guard let token = try await APITokenModel.query(on: env.db).filter(\.$tokenHash == digest).with(\.$user).first(),
              Secrets.equalDigests(token.tokenHash, digest), token.revokedAt == nil, token.user.active else { return nil }
        let now = env.now
        if let exp = token.expiresAt, exp <= now { return nil }
        // Write "last used" at most once a minute per token, not on every request.
        if token.lastUsedAt.map({ now.timeIntervalSince($0) > 60 }) ?? true {
            try await env.db.sql.update(APITokenModel.schema).set("last_used_at", to: now)
                .where("id", .equal, token.requireID()).run()
        }
        return (token.user, token)
    }

    public static func tokens(_ env: ServiceEnvironment, actor: Principal) async throws -> [APITokenModel] {
        guard let userID = actor.userID else { return [] }
        return try await APITokenModel.query(on: env.db).filter(\.$user.$id == userID).sort(\.$createdAt, .descending).all()
    }

    /// Revokes one of the caller's tokens (owners may revoke anyone's). Idempotent.
    public static func revokeToken(_ env: ServiceEnvironment, actor: Principal, id: UUID) async throws {
        guard let token = try await APITokenModel.find(id, on: env.db),
              token.$user.id == actor.userID || actor.may(.manageSystemUsers) else {
            throw DomainError.notFound("The token")
        }
        guard token.revokedAt == nil else { return }
        token.revokedAt = env.now
        let now = env.now
        try await env.write { db in
            try await token.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: nil, entityType: "api_token",
                                          entityID: id.uuidString, action: "revoke", after: ["name": token.name])
        }
    }
}

/// A bcrypt hash of a random string, made once per process with the live hasher's cost.
final class DecoyHash: @unchecked Sendable {
    private let lock = NSLock()
    private var cached: String?
    func value(_ hasher: PasswordHashing) -> String {
        lock.withLock {
            if let c = cached { return c }
            let h = (try? hasher.hash(UUID().uuidString)) ?? ""
            cached = h
            return h
        }
    }
}

/// Fixed-window counters in the database, so every node behind a load balancer counts together.
public enum RateLimiter {
    /// Adds one hit to `key` in the current window and returns the window's count.
    public static func hit(_ env: ServiceEnvironment, key: String, window: TimeInterval) async throws -> Int {
        let windowEpoch = Int64((env.now.timeIntervalSince1970 / window).rounded(.down) * window)
        return try await env.write { db in
            let rows = try await db.sql.raw("""
                INSERT INTO rate_limits (key, window_epoch, count) VALUES (\(bind: key), \(bind: windowEpoch), 1)
                ON CONFLICT (key, window_epoch) DO UPDATE SET count = rate_limits.count + 1
                RETURNING count
                """).all()
            return try rows.first?.decode(column: "count", as: Int.self) ?? 1
        }
    }

    /// The current window's count for `key`, without adding a hit.
    public static func count(_ env: ServiceEnvironment, key: String, window: TimeInterval) async throws -> Int {
        let windowEpoch = Int64((env.now.timeIntervalSince1970 / window).rounded(.down) * window)
        let row = try await env.db.sql.raw("SELECT count FROM rate_limits WHERE key = \(bind: key) AND window_epoch = \(bind: windowEpoch)").first()
        return try row?.decode(column: "count", as: Int.self) ?? 0
    }

    /// Drops windows that ended before `before`.
    public static func prune(_ env: ServiceEnvironment, before: Date) async throws {
        try await env.db.sql.delete(from: "rate_limits").where("window_epoch", .lessThan, Int64(before.timeIntervalSince1970)).run()
    }
}
