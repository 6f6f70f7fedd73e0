import Domain
import FluentKit
import Foundation
import Storage

/// Customer operations the business API needs beyond the console's: finding a customer the way
/// billing systems name it, renewing by a length instead of a plan, changing the login.
extension CustomerService {
    /// The customer's current contact data, as a base for partial updates.
    public static func contact(of c: CustomerModel) -> Contact {
        var o = Contact()
        o.title = c.title; o.firstName = c.firstName; o.lastName = c.lastName; o.street = c.street; o.zip = c.zip; o.city = c.city
        o.state = c.state; o.country = c.country; o.phone = c.phone; o.mobile = c.mobile; o.email = c.email; o.facility = c.facility
        o.comment = c.comment; o.mappingID = c.mappingID ?? ""; o.resellerID = c.resellerID; o.dealerID = c.dealerID
        return o
    }

    /// A customer by login (`userid`) and/or external mapping id, as billing systems address
    /// them. A password, when given, must match (401 otherwise). Resellers find only their own.
    public static func locate(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, login: String?, password: String?,
                              mappingID: String?) async throws -> CustomerModel {
        try requireAccess(actor, deploymentID: deploymentID, resellerMayAct: true)
        guard login != nil || mappingID != nil else {
            throw DomainError.validation(["userid": "give the customer's userid or customermappingid"])
        }
        let q = CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$deletedAt == nil)
        if let login { q.filter(\.$login == login) }
        if let mappingID { q.filter(\.$mappingID == mappingID) }
        if let own = actor.resellerID { q.filter(\.$resellerID == own) }
        let found = try await q.limit(2).all()
        guard let c = found.first else { throw DomainError.notFound("The customer") }
        if found.count > 1 {
            throw DomainError(.conflict, code: "ambiguous_customer", "Several customers have mapping id \(mappingID ?? ""); give the userid as well.")
        }
        if let password, !(try verifyPassword(env, customer: c, password: password)) {
            throw DomainError(.unauthorized, code: "wrong_password", "The customer's password does not match.")
        }
        return c
    }

    /// Renews by a length (RenewCustomer's months/days) rather than a plan: from the current
    /// expiry while it is ahead, or from now.
    public static func renew(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, by length: PlanLength, fromExpiry: Bool) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        guard length.count > 0 else { throw DomainError.validation(["months": "give months or days greater than 0"]) }
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let before = snapshot(c)
        let now = env.now
        if c.startsAt == nil { c.startsAt = now }
        let base = SubscriptionCalendar.renewalBase(currentExpiry: c.expiresAt, now: now, fromExpiry: fromExpiry)
        c.expiresAt = SubscriptionCalendar.add(length, to: base, in: zone(d))
        try await save(env, actor: actor, c, action: "renew", before: before)
        return c
    }

    /// ChangeLoginDetails: a new login and password together (the manual's rules for both).
    public static func changeLogin(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, login: String, password: String) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        var errors = FieldErrors()
        let newLogin = login.trimmingCharacters(in: .whitespaces)
        if let p = Credentials.loginProblem(newLogin) { errors.add("new_userid", p) }
        else if newLogin != c.login, try await loginExists(env.db, deploymentID: deploymentID, login: newLogin) { errors.add("new_userid", "is already used by another customer") }
        if let p = Credentials.passwordProblem(password) { errors.add("new_password", p) }
        try errors.throwIfAny()
        let before = snapshot(c)
        c.login = newLogin
        c.passwordHash = try env.subscriberHasher.hash(password)
        try await save(env, actor: actor, c, action: "change_login", before: before)
        return c
    }

    /// The plan of a product that lasts exactly `length`, for calls that name a length.
    public static func plan(of productID: Int, lasting length: PlanLength, on db: any Database) async throws -> PaymentPlanModel? {
        try await PaymentPlanModel.query(on: db).filter(\.$productID == productID).filter(\.$extraPackageID == nil)
            .filter(\.$lengthCount == length.count).filter(\.$lengthUnit == length.unit.rawValue).sort(\.$id).first()
    }
}

extension CustomerService {
    /// GetCustomerStatusByReseller: one page (1-based) of a reseller's customers — or of the
    /// customers without a reseller — oldest first, optionally of one status.
    public static func pageByReseller(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int?, status: CustomerStatus?,
                                      page: Int, size: Int) async throws -> (customers: [CustomerModel], total: Int) {
        try requireAccess(actor, deploymentID: deploymentID, resellerMayAct: true)
        if let own = actor.resellerID, resellerID != own { throw DomainError.notFound("The reseller") }
        guard (1...1_000_000).contains(page) else { throw DomainError.validation(["page": "must be between 1 and 1000000"]) }
        if let resellerID, try await ResellerModel.query(on: env.db).filter(\.$id == resellerID).filter(\.$deploymentID == deploymentID).first() == nil {
            throw DomainError.notFound("The reseller")
        }
        func scoped() -> QueryBuilder<CustomerModel> {
            let q = CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$deletedAt == nil)
            if let resellerID { q.filter(\.$resellerID == resellerID) } else { q.filter(\.$resellerID == nil) }
            if let status { q.filter(\.$status == status.rawValue) }
            return q
        }
        let total = try await scoped().count()
        let rows = try await scoped().sort(\.$id).range(((page - 1) * size)..<(page * size)).all()
        return (rows, total)
    }
}
