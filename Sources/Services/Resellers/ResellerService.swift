import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Resellers and what they may sell. The money side lives in `ResellerLedger`.
public enum ResellerService {
    public struct Input: Sendable {
        public var name: String
        public var mobile: String = ""
        public var email: String = ""
        public var company: String = ""
        public var address: String = ""
        public var type: ResellerType
        public var currency: String = "CREDITS"
        public var allowAds: Bool = false
        public var allowCustomLogin: Bool = false
        public var creditLimit: Int64 = 0
        public init(name: String, type: ResellerType) {
            self.name = name
            self.type = type
        }
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: Input) async throws -> ResellerModel {
        try actor.require(.crm, in: deploymentID)
        try await validate(env, deploymentID: deploymentID, input).throwIfAny()
        let r = ResellerModel()
        r.deploymentID = deploymentID
        apply(input, to: r)
        r.enabled = true
        r.balance = 0
        try await env.write { db in
            try await r.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller",
                                          entityID: String(r.id!), action: "create",
                                          after: ["name": r.name, "type": r.resellerType, "currency": r.currency, "creditLimit": String(r.creditLimit)])
        }
        return r
    }

    static func validate(_ env: ServiceEnvironment, deploymentID: UUID, _ input: Input) async throws -> FieldErrors {
        var errors = FieldErrors()
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if !input.mobile.isEmpty && !Phone.isInternational(input.mobile) { errors.add("mobile", "must start with + and the country code") }
        if !input.email.isEmpty && !Validation.isEmail(input.email) { errors.add("email", "is not an e-mail address") }
        if input.creditLimit < 0 { errors.add("creditLimit", "must be 0 or more") }
        let currencies = try await CurrencyService.codes(env.db, deploymentID: deploymentID)
        if !currencies.contains(input.currency.uppercased()) { errors.add("currency", "must be one of this deployment's currencies") }
        if input.type == .postpaid && input.currency.uppercased() != CurrencyCode.credits.code {
            errors.add("currency", "postpaid resellers work in CREDITS (add it under CRM Settings › Currencies)")
        }
        return errors
    }

    static func apply(_ input: Input, to r: ResellerModel) {
        r.name = input.name.trimmingCharacters(in: .whitespaces)
        r.mobile = SearchKey.phone(input.mobile)
        r.email = input.email
        r.company = input.company
        r.address = input.address
        r.resellerType = input.type.rawValue
        r.currency = input.currency.uppercased()
        r.allowAds = input.allowAds
        r.allowCustomLogin = input.allowCustomLogin
        r.creditLimit = input.creditLimit
    }

    /// "Update Reseller": contact data and settings. Switching between prepaid and postpaid is
    /// refused while credits or unused units are left, so no value is stranded in the old kind.
    public static func update(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, input: Input) async throws -> ResellerModel {
        let r = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        try actor.require(.crm, in: deploymentID)
        var errors = try await validate(env, deploymentID: deploymentID, input)
        if input.type.rawValue != r.resellerType {
            let open = try await ResellerOrderModel.query(on: env.db).filter(\.$resellerID == id).filter(\.$status == "open").all().contains { $0.remaining > 0 }
            if r.balance != 0 || open { errors.add("type", "settle the balance and refund unused units before switching between prepaid and postpaid") }
        }
        try errors.throwIfAny()
        let before = snapshot(r)
        apply(input, to: r)
        try await env.write { db in
            try await r.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller",
                                          entityID: String(id), action: "update", before: before, after: snapshot(r))
        }
        return r
    }

    static func snapshot(_ r: ResellerModel) -> [String: String?] {
        ["name": r.name, "mobile": r.mobile, "email": r.email, "company": r.company, "address": r.address, "type": r.resellerType,
         "currency": r.currency, "allowAds": String(r.allowAds), "allowCustomLogin": String(r.allowCustomLogin), "creditLimit": String(r.creditLimit)]
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> ResellerModel {
        if let own = actor.resellerID {
            // The reseller portal: a reseller reaches itself and nothing else.
            guard own == id, actor.canAccess(deployment: deploymentID) else { throw DomainError.notFound("The reseller") }
        } else {
            try actor.require(.crm, in: deploymentID)
        }
        guard let r = try await ResellerModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The reseller")
        }
        return r
    }

    /// Disabling stops the reseller's logins and sales, not its customers' service.
    public static func setEnabled(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, enabled: Bool) async throws {
        try actor.require(.crm, in: deploymentID)
        let r = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        r.enabled = enabled
        try await env.write { db in
            try await r.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller",
                                          entityID: String(id), action: enabled ? "enable" : "disable")
        }
    }

    /// Lets the reseller sell one plan of a product, at a discount (percent with up to two decimals).
    public static func assign(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, productID: Int, planID: Int, discountPercent: String) async throws {
        try actor.require(.crm, in: deploymentID)
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        guard let bp = ResellerPricing.basisPoints(percent: discountPercent) else {
            throw DomainError.validation(["discount": "must be a percentage between 0 and 100, e.g. 10 or 12.5"])
        }
        guard try await ProductModel.query(on: env.db).filter(\.$id == productID).filter(\.$deploymentID == deploymentID).first() != nil,
              try await PaymentPlanModel.query(on: env.db).filter(\.$id == planID).filter(\.$productID == productID).filter(\.$extraPackageID == nil).first() != nil else {
            throw DomainError.validation(["planId": "is not a plan of that product"])
        }
        try await env.write { db in
            try await ResellerProductModel.query(on: db).filter(\.$resellerID == resellerID).filter(\.$planID == planID).delete()
            let a = ResellerProductModel()
            a.resellerID = resellerID
            a.productID = productID
            a.planID = planID
            a.discountBasisPoints = bp
            try await a.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller",
                                          entityID: String(resellerID), action: "assign_plan",
                                          after: ["productId": String(productID), "planId": String(planID), "discountBp": String(bp)])
        }
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [ResellerModel] {
        try actor.require(.crm, in: deploymentID)
        return try await ResellerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$id).all()
    }

    public static func customerCounts(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> [Int: Int] {
        let rows = try await env.db.sql.raw("""
            SELECT reseller_id AS r, COUNT(*) AS n FROM customers
            WHERE deployment_id = \(bind: deploymentID) AND reseller_id IS NOT NULL AND deleted_at IS NULL GROUP BY reseller_id
            """).all()
        var out: [Int: Int] = [:]
        for row in rows { out[try row.decode(column: "r", as: Int.self)] = try row.decode(column: "n", as: Int.self) }
        return out
    }

    public static func assignments(_ env: ServiceEnvironment, resellerID: Int) async throws -> [ResellerProductModel] {
        try await ResellerProductModel.query(on: env.db).filter(\.$resellerID == resellerID).all()
    }

    /// Refused while the reseller still has customers (trash included), credits or unused
    /// prepaid units: move the customers (Customers › Bulk edit) and settle the balance first.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        try actor.require(.crm, in: deploymentID)
        let r = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let customers = try await CustomerModel.query(on: env.db).filter(\.$resellerID == id).count()
        let open = try await ResellerOrderModel.query(on: env.db).filter(\.$resellerID == id).filter(\.$status == "open").all().filter { $0.remaining > 0 }
        var reasons: [String] = []
        if customers > 0 { reasons.append("\(customers) customer(s) (move them with Customers › Bulk edit)") }
        if r.balance != 0 { reasons.append("a balance of \(r.balance) credits (deduct or add it to zero)") }
        if !open.isEmpty { reasons.append("unused units on \(open.count) order(s) (refund or cancel them)") }
        guard reasons.isEmpty else {
            throw DomainError(.conflict, code: "reseller_in_use", "\(r.name) still has " + reasons.joined(separator: ", ") + ".")
        }
        try await env.write { db in
            try await r.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller",
                                          entityID: String(id), action: "delete", before: ["name": r.name])
        }
    }

    /// Gives the reseller its console login (role reseller, scoped to this deployment), or changes
    /// its e-mail and password.
    public static func setLogin(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, email: String, password: String) async throws {
        let r = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        try actor.require(.crm, in: deploymentID)
        if let userID = r.userID, let user = try await SystemUserModel.find(userID, on: env.db) {
            var errors = FieldErrors()
            let normalised = Validation.normalisedEmail(email)
            if !Validation.isEmail(normalised) { errors.add("email", "must be an e-mail address") }
            if !password.isEmpty, let problem = PasswordPolicy.problem(with: password) { errors.add("password", problem) }
            if let other = try await SystemUserModel.query(on: env.db).filter(\.$email == normalised).first(), other.id != userID {
                errors.add("email", "is already used by another account")
            }
            try errors.throwIfAny()
            user.email = normalised
            if !password.isEmpty { user.passwordHash = try env.hasher.hash(password); user.sessionEpoch += 1 }
            try await env.write { db in
                try await user.save(on: db)
                try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(id),
                                              action: "update_login", after: ["email": normalised, "password": password.isEmpty ? nil : "changed"])
            }
            return
        }
        let user = try await SystemUserService.createAccount(env, actor: actor, input: .init(
            name: r.name, email: email, password: password, role: Role.reseller.rawValue, deploymentIDs: [deploymentID]))
        r.userID = user.id
        try await env.write { db in
            try await r.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(id),
                                          action: "create_login", after: ["email": user.email])
        }
    }
}
