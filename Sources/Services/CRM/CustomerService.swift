import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// CRM › Customers: subscribers, their subscription, devices, wallet, extra packages, messages,
/// and the trash.
public enum CustomerService {
    /// Contact and reference data; shared by add, edit, range and import.
    public struct Contact: Sendable, Equatable {
        public var title = "", firstName = "", lastName = "", street = "", zip = "", city = "", state = "", country = ""
        public var phone = "", mobile = "", email = "", facility = "", comment = "", mappingID = ""
        public var resellerID: Int? = nil
        public var dealerID: Int? = nil
        public init() {}
    }

    public struct NewCustomer: Sendable {
        public var productID: Int
        public var planID: Int
        public var currency: String
        public var contact: Contact
        /// Custom credentials; generated when empty.
        public var login: String = ""
        public var password: String = ""
        /// nil = the product's setting.
        public var startFromFirstLogin: Bool? = nil
        public var renewalInterval: Int = 1
        public init(productID: Int, planID: Int, currency: String, contact: Contact = Contact()) {
            self.productID = productID
            self.planID = planID
            self.currency = currency
            self.contact = contact
        }
    }

    /// A created customer and the password to hand over: shown once, stored only as a hash.
    public struct Created: Sendable {
        public var customer: CustomerModel
        public var password: String
        public init(customer: CustomerModel, password: String) {
            self.customer = customer
            self.password = password
        }
    }

    // MARK: Reading

    /// Operator staff with CRM access, or (`resellerMayAct`) a reseller for its own customers only.
    static func requireAccess(_ actor: Principal, deploymentID: UUID, resellerMayAct: Bool) throws {
        if actor.resellerID != nil && resellerMayAct {
            guard actor.canAccess(deployment: deploymentID) else { throw DomainError.notFound("The customer") }
            return
        }
        try actor.require(.crm, in: deploymentID)
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, includeTrashed: Bool = false,
                            resellerMayAct: Bool = false) async throws -> CustomerModel {
        try requireAccess(actor, deploymentID: deploymentID, resellerMayAct: resellerMayAct)
        let q = CustomerModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID)
        // A reseller reaching another seller's customer gets "not found", never "forbidden".
        if let own = actor.resellerID { q.filter(\.$resellerID == own) }
        if !includeTrashed { q.filter(\.$deletedAt == nil) }
        guard let c = try await q.first() else { throw DomainError.notFound("The customer") }
        return c
    }

    public struct Query: Sendable {
        public var search: String = ""
        public var status: String? = nil
        public var productID: Int? = nil
        public var resellerID: Int? = nil
        public var trashed: Bool = false
        /// Keyset: newest first; `before` = the smallest id of the previous page.
        public var beforeID: Int? = nil
        /// Keyset backwards: `after` = the largest id of the next page.
        public var afterID: Int? = nil
        public var limit: Int = 50
        public init() {}
    }

    public struct Page: Sendable {
        public var customers: [CustomerModel]
        public var hasOlder: Bool
        public var hasNewer: Bool
    }

    /// Newest first, keyset-paged on the customer number; search is an indexed prefix match on
    /// login, first name, last name, e-mail, phone/mobile, exact mapping id, customer number or a
    /// device MAC. Cost does not grow with the page number.
    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, query: Query) async throws -> Page {
        try requireAccess(actor, deploymentID: deploymentID, resellerMayAct: true)
        var query = query
        if let own = actor.resellerID { query.resellerID = own }
        let sql = env.db.sql
        var select = sql.select().column("id").from(CustomerModel.schema)
            .where("deployment_id", .equal, SQLBind(deploymentID))
        select = query.trashed ? select.where("deleted_at", .isNot, SQLLiteral.null) : select.where("deleted_at", .is, SQLLiteral.null)
        if let s = query.status, CustomerStatus(rawValue: s) != nil { select = select.where("status", .equal, SQLBind(s)) }
        if let p = query.productID { select = select.where("product_id", .equal, SQLBind(p)) }
        if let r = query.resellerID { select = select.where("reseller_id", .equal, SQLBind(r)) }
        let term = query.search.trimmingCharacters(in: .whitespaces)
        if !term.isEmpty {
            let text = SearchKey.text(term)
            let phone = SearchKey.phone(term)
            select = select.where(SQLColumn("id"), .in, SQLGroupExpression(searchIDs(deploymentID: deploymentID, term: term, text: text, phone: phone, mac: SearchKey.mac(term))))
        }
        let limit = max(1, min(query.limit, 500))
        if let after = query.afterID {
            let ids = try await select.where("id", .greaterThan, SQLBind(after)).orderBy("id", .ascending).limit(limit + 1)
                .all().map { try $0.decode(column: "id", as: Int.self) }
            let page = try await load(env, Array(ids.prefix(limit)))
            return Page(customers: page, hasOlder: true, hasNewer: ids.count > limit)
        }
        if let before = query.beforeID { select = select.where("id", .lessThan, SQLBind(before)) }
        let ids = try await select.orderBy("id", .descending).limit(limit + 1).all().map { try $0.decode(column: "id", as: Int.self) }
        return Page(customers: try await load(env, Array(ids.prefix(limit))), hasOlder: ids.count > limit, hasNewer: query.beforeID != nil)
    }

    /// Rows for a page of ids (found by the index-only query above), newest first.
    static func load(_ env: ServiceEnvironment, _ ids: [Int]) async throws -> [CustomerModel] {
        guard !ids.isEmpty else { return [] }
        return try await CustomerModel.query(on: env.db).filter(\.$id ~~ ids).sort(\.$id, .descending).all()
    }

    /// The ids matching a search, as a UNION of index range scans that each include the
    /// deployment: both databases answer every branch from its own (deployment_id, column) index,
    /// where one big OR made SQLite scan the whole table.
    static func searchIDs(deploymentID: UUID, term: String, text: String, phone: String, mac: String?) -> SQLQueryString {
        func prefix(_ column: String, _ value: String) -> SQLQueryString {
            "SELECT id FROM customers WHERE deployment_id = \(bind: deploymentID) AND \(ident: column) >= \(bind: value) AND \(ident: column) < \(bind: SearchKey.prefixEnd(value))"
        }
        var parts: [SQLQueryString] = [
            prefix("login", term),
            prefix("search_first", text),
            prefix("search_last", text),
            prefix("search_email", text),
            "SELECT id FROM customers WHERE deployment_id = \(bind: deploymentID) AND mapping_id = \(bind: term)",
        ]
        if phone.filter(\.isNumber).count >= 3 { parts.append(prefix("search_phone", phone)) }
        if let n = Int(term) { parts.append("SELECT id FROM customers WHERE id = \(bind: n)") }
        if let mac { parts.append("SELECT customer_id AS id FROM customer_devices WHERE mac = \(bind: mac)") }
        return parts.joined(separator: " UNION ")
    }

    /// Customers Count: by status, by product, by reseller (trash excluded).
    public static func counts(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> (status: [String: Int], product: [Int: Int], reseller: [Int?: Int]) {
        try actor.require(.crm, in: deploymentID)
        let sql = env.db.sql
        func grouped<K: Decodable>(_ column: String, as: K.Type) async throws -> [(K, Int)] {
            try await sql.raw("SELECT \(unsafeRaw: column) AS k, COUNT(*) AS n FROM customers WHERE deployment_id = \(bind: deploymentID) AND deleted_at IS NULL GROUP BY \(unsafeRaw: column)")
                .all().map { (try $0.decode(column: "k", as: K.self), try $0.decode(column: "n", as: Int.self)) }
        }
        var status: [String: Int] = [:], product: [Int: Int] = [:], reseller: [Int?: Int] = [:]
        for (k, n) in try await grouped("status", as: String.self) { status[k] = n }
        for (k, n) in try await grouped("product_id", as: Int.self) { product[k] = n }
        for (k, n) in try await grouped("reseller_id", as: Int?.self) { reseller[k] = n }
        return (status, product, reseller)
    }

    // MARK: Creating

    struct Sale {
        var deployment: DeploymentModel
        var product: ProductModel
        var plan: PaymentPlanModel
    }

    /// Checks product, plan and currency together: the plan must belong to the product and have a
    /// price in the currency.
    static func checkSale(_ env: ServiceEnvironment, deploymentID: UUID, productID: Int, planID: Int, currency: String?, errors: inout FieldErrors) async throws -> Sale? {
        guard let deployment = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        guard let product = try await ProductModel.query(on: env.db).filter(\.$id == productID).filter(\.$deploymentID == deploymentID).first() else {
            errors.add("productId", "is not a product of this deployment"); return nil
        }
        guard let plan = try await PaymentPlanModel.query(on: env.db).filter(\.$id == planID).filter(\.$productID == productID)
            .filter(\.$extraPackageID == nil).first() else {
            errors.add("planId", "is not a payment plan of \(product.name)"); return nil
        }
        if let currency {
            let priced = try await PlanPriceModel.query(on: env.db).filter(\.$planID == planID).filter(\.$currency == currency).first() != nil
            if !priced { errors.add("currency", "\(plan.name) has no price in \(currency)") }
        }
        return Sale(deployment: deployment, product: product, plan: plan)
    }

    static func validateContact(_ c: Contact, product: ProductModel?, errors: inout FieldErrors) {
        if !c.email.isEmpty && !Validation.isEmail(c.email) { errors.add("email", "is not an e-mail address") }
        if !c.mobile.isEmpty && !Phone.isInternational(c.mobile) { errors.add("mobile", "must start with + and the country code") }
        if !c.country.isEmpty && !Country.isCode(c.country.uppercased()) { errors.add("country", "must be a two-letter ISO country code") }
        if let product, !product.allowedCountries.isEmpty, !c.country.isEmpty,
           !product.allowedCountries.split(separator: ",").contains(Substring(c.country.uppercased())) {
            errors.add("country", "\(product.name) is sold only in \(product.allowedCountries)")
        }
        if c.firstName.count > 100 || c.lastName.count > 100 { errors.add("lastName", "names are limited to 100 characters") }
    }

    static func apply(_ c: Contact, to m: CustomerModel) {
        m.title = c.title.trimmingCharacters(in: .whitespaces)
        m.firstName = c.firstName.trimmingCharacters(in: .whitespaces)
        m.lastName = c.lastName.trimmingCharacters(in: .whitespaces)
        m.street = c.street
        m.zip = c.zip
        m.city = c.city.trimmingCharacters(in: .whitespaces)
        m.state = c.state
        m.country = c.country.uppercased()
        m.phone = c.phone
        m.mobile = SearchKey.phone(c.mobile).isEmpty ? "" : SearchKey.phone(c.mobile)
        m.email = c.email.trimmingCharacters(in: .whitespaces)
        m.facility = c.facility
        m.comment = c.comment
        m.mappingID = c.mappingID.isEmpty ? nil : c.mappingID
        m.resellerID = c.resellerID
        m.dealerID = c.dealerID
        m.searchFirst = SearchKey.text(m.firstName)
        m.searchLast = SearchKey.text(m.lastName)
        m.searchEmail = SearchKey.text(m.email)
        m.searchPhone = SearchKey.phone(m.mobile.isEmpty ? m.phone : m.mobile)
    }

    /// Builds (but does not save) a customer for a validated sale.
    static func build(_ env: ServiceEnvironment, _ input: NewCustomer, sale: Sale, login: String, passwordHash: String, now: Date) -> CustomerModel {
        let c = CustomerModel()
        c.deploymentID = sale.deployment.id!
        apply(input.contact, to: c)
        c.login = login
        c.passwordHash = passwordHash
        c.customLogin = !input.login.isEmpty
        c.productID = sale.product.id!
        c.planID = sale.plan.id!
        c.currency = input.currency
        c.disabled = false
        c.startFromFirstLogin = input.startFromFirstLogin ?? sale.product.startFromFirstLogin
        c.renewalInterval = max(1, input.renewalInterval)
        c.walletBalance = 0
        c.parentalPINDigest = ""
        c.parentalMaxRating = 18
        c.pinFailures = 0
        c.loginFailures = 0
        if !c.startFromFirstLogin {
            c.startsAt = now
            c.expiresAt = SubscriptionCalendar.add(length(sale.plan), to: now, in: zone(sale.deployment))
        }
        c.status = status(c, product: sale.product, now: now).rawValue
        return c
    }

    static func length(_ plan: PaymentPlanModel) -> PlanLength {
        PlanLength(count: plan.lengthCount, unit: LengthUnit(rawValue: plan.lengthUnit) ?? .months)
    }

    static func zone(_ d: DeploymentModel) -> TimeZone { TimeZone(identifier: d.timeZone) ?? TimeZone(identifier: "UTC")! }

    public static func status(_ c: CustomerModel, product: ProductModel, now: Date) -> CustomerStatus {
        CustomerStatus.effective(disabled: c.disabled, startsAt: c.startsAt, expiresAt: c.expiresAt,
                                 trialProduct: product.subscriptionType == SubscriptionType.trial.rawValue, now: now)
    }

    /// The read-time answer to "may this customer be served now?", independent of the sweep.
    public static func isServed(_ env: ServiceEnvironment, customer c: CustomerModel) async throws -> Bool {
        guard c.deletedAt == nil, let product = try await ProductModel.find(c.productID, on: env.db) else { return false }
        return status(c, product: product, now: env.now).isServed
    }

    /// The end date a plan would give if sold now (the Add customer summary).
    public static func previewExpiry(_ env: ServiceEnvironment, deploymentID: UUID, plan: PaymentPlanModel) async throws -> Date {
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        return SubscriptionCalendar.add(length(plan), to: env.now, in: zone(d))
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: NewCustomer) async throws -> Created {
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        let sale = try await checkSale(env, deploymentID: deploymentID, productID: input.productID, planID: input.planID, currency: input.currency, errors: &errors)
        validateContact(input.contact, product: sale?.product, errors: &errors)
        let (login, password) = try await credentials(env, deploymentID: deploymentID, login: input.login, password: input.password, errors: &errors)
        try errors.throwIfAny()
        let hash = try env.subscriberHasher.hash(password)
        let now = env.now
        let c = build(env, input, sale: sale!, login: login, passwordHash: hash, now: now)
        try await env.write { db in
            try await c.create(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(c.id!), action: "create", after: snapshot(c))
        }
        return Created(customer: c, password: password)
    }

    /// Validates custom credentials or generates them; logins are unique per deployment.
    static func credentials(_ env: ServiceEnvironment, deploymentID: UUID, login: String, password: String, errors: inout FieldErrors,
                            taken: Set<String> = []) async throws -> (String, String) {
        var login = login.trimmingCharacters(in: .whitespaces)
        let password = password.isEmpty ? Credentials.generatePassword() : password
        if let p = Credentials.passwordProblem(password) { errors.add("password", p) }
        if login.isEmpty {
            for _ in 0..<20 {
                let candidate = Credentials.generateLogin()
                if !taken.contains(candidate), try await !loginExists(env.db, deploymentID: deploymentID, login: candidate) { login = candidate; break }
            }
        } else if let p = Credentials.loginProblem(login) {
            errors.add("login", p)
        } else if try await (taken.contains(login) ? true : loginExists(env.db, deploymentID: deploymentID, login: login)) {
            errors.add("login", "is already used by another customer")
        }
        return (login, password)
    }

    static func loginExists(_ db: any Database, deploymentID: UUID, login: String) async throws -> Bool {
        try await CustomerModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$login == login).first() != nil
    }

    // MARK: Changing

    public static func updateContact(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, contact: Contact) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        var errors = FieldErrors()
        let product = try await ProductModel.find(c.productID, on: env.db)
        validateContact(contact, product: product, errors: &errors)
        try errors.throwIfAny()
        let before = snapshot(c)
        apply(contact, to: c)
        try await save(env, actor: actor, c, action: "update", before: before)
        return c
    }

    /// Saves a customer with its recomputed status and an audit record, in one transaction.
    static func save(_ env: ServiceEnvironment, actor: Principal, _ c: CustomerModel, action: String, before: [String: String?]) async throws {
        if let e = c.expiresAt, e >= Limits.latestDate { throw DomainError.validation(["expiresAt": "would pass 2200; the subscription is long enough"]) }
        if let product = try await ProductModel.find(c.productID, on: env.db) {
            c.status = status(c, product: product, now: env.now).rawValue
        }
        try await env.write { db in
            try await c.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: c.deploymentID, entityType: "customer",
                                          entityID: String(c.id!), action: action, before: before, after: snapshot(c))
        }
    }

    /// Renews by one plan: from the current expiry while it is ahead (nothing paid is lost) or
    /// from now (`fromExpiry: false`, or when already expired).
    public static func renew(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, planID: Int? = nil, fromExpiry: Bool = true) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        var errors = FieldErrors()
        guard let sale = try await checkSale(env, deploymentID: deploymentID, productID: c.productID, planID: planID ?? c.planID ?? -1, currency: nil, errors: &errors) else {
            try errors.throwIfAny(); throw DomainError.notFound("The plan")
        }
        let before = snapshot(c)
        let now = env.now
        if c.startsAt == nil { c.startsAt = now }
        let base = SubscriptionCalendar.renewalBase(currentExpiry: c.expiresAt, now: now, fromExpiry: fromExpiry)
        c.expiresAt = SubscriptionCalendar.add(length(sale.plan), to: base, in: zone(sale.deployment))
        c.planID = sale.plan.id
        try await save(env, actor: actor, c, action: "renew", before: before)
        return c
    }

    /// Sets an explicit expiry ("Extend Expire Date"); it must lie after the start.
    public static func extend(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, to date: Date) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        if let s = c.startsAt, date <= s { throw DomainError.validation(["expiresAt": "must be after the subscription start"]) }
        guard date < Limits.latestDate else { throw DomainError.validation(["expiresAt": "must be before 2200"]) }
        let before = snapshot(c)
        if c.startsAt == nil { c.startsAt = env.now }
        c.expiresAt = date
        try await save(env, actor: actor, c, action: "extend", before: before)
        return c
    }

    /// Moves the customer to another product and plan, starting now or from the current expiry.
    public static func changeProduct(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, productID: Int, planID: Int, fromExpiry: Bool) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let before = snapshot(c)
        try await applyProductChange(env, c, deploymentID: deploymentID, productID: productID, planID: planID, fromExpiry: fromExpiry)
        try await save(env, actor: actor, c, action: "change_product", before: before)
        return c
    }

    /// Validates a product change and applies it to `c` in memory (the caller saves it, possibly
    /// together with a reseller charge). Returns the new plan.
    @discardableResult
    static func applyProductChange(_ env: ServiceEnvironment, _ c: CustomerModel, deploymentID: UUID, productID: Int, planID: Int, fromExpiry: Bool) async throws -> PaymentPlanModel {
        var errors = FieldErrors()
        let sale = try await checkSale(env, deploymentID: deploymentID, productID: productID, planID: planID, currency: c.currency, errors: &errors)
        try errors.throwIfAny()
        let now = env.now
        c.productID = productID
        c.planID = planID
        c.startsAt = c.startsAt ?? now
        let base = SubscriptionCalendar.renewalBase(currentExpiry: c.expiresAt, now: now, fromExpiry: fromExpiry)
        c.expiresAt = SubscriptionCalendar.add(length(sale!.plan), to: base, in: zone(sale!.deployment))
        c.status = status(c, product: sale!.product, now: now).rawValue
        return sale!.plan
    }

    /// Ends the subscription now; the customer shows as expired and can be renewed later.
    public static func cancel(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let before = snapshot(c)
        c.startsAt = c.startsAt ?? env.now
        c.expiresAt = env.now
        try await save(env, actor: actor, c, action: "cancel", before: before)
        return c
    }

    public static func setDisabled(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, disabled: Bool) async throws -> CustomerModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id, resellerMayAct: true)
        guard c.disabled != disabled else { return c }
        let before = snapshot(c)
        c.disabled = disabled
        try await save(env, actor: actor, c, action: disabled ? "disable" : "enable", before: before)
        return c
    }

    /// The first app login of a start-from-first-login customer starts its clock.
    public static func recordFirstLogin(_ env: ServiceEnvironment, customer c: CustomerModel) async throws {
        guard c.firstLoginAt == nil else { return }
        let before = snapshot(c)
        let now = env.now
        c.firstLoginAt = now
        if c.startsAt == nil, let planID = c.planID, let plan = try await PaymentPlanModel.find(planID, on: env.db),
           let d = try await DeploymentModel.find(c.deploymentID, on: env.db) {
            c.startsAt = now
            c.expiresAt = SubscriptionCalendar.add(length(plan), to: now, in: zone(d))
        }
        try await save(env, actor: .system("first login"), c, action: "first_login", before: before)
    }

    /// A new generated (or given) password, returned once.
    public static func resetPassword(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, password: String = "") async throws -> String {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let new = password.isEmpty ? Credentials.generatePassword() : password
        if let p = Credentials.passwordProblem(new) { throw DomainError.validation(["password": p]) }
        c.passwordHash = try env.subscriberHasher.hash(new)
        try await save(env, actor: actor, c, action: "reset_password", before: [:])
        return new
    }

    public static func verifyPassword(_ env: ServiceEnvironment, customer: CustomerModel, password: String) throws -> Bool {
        try env.subscriberHasher.verify(password, customer.passwordHash)
    }

    // MARK: Trash

    public static func trash(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let before = snapshot(c)
        c.deletedAt = env.now
        try await save(env, actor: actor, c, action: "trash", before: before)
    }

    public static func restore(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id, includeTrashed: true)
        guard c.deletedAt != nil else { return }
        c.deletedAt = nil
        try await save(env, actor: actor, c, action: "restore", before: ["deletedAt": "trashed"])
    }

    /// Removes a trashed customer for good, with its devices, wallet, extras and messages.
    public static func purge(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id, includeTrashed: true)
        guard c.deletedAt != nil else {
            throw DomainError(.conflict, code: "not_trashed", "Move the customer to the trash before purging it.")
        }
        try await env.write { db in
            try await c.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(id), action: "purge", before: snapshot(c))
        }
    }

    // MARK: Devices

    public static func devices(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> [CustomerDeviceModel] {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        return try await CustomerDeviceModel.query(on: env.db).filter(\.$customerID == id).sort(\.$id).all()
    }

    /// Hard-links a set-top box by MAC and/or serial ("Device in Account").
    public static func linkDevice(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, mac: String, serial: String, model: String) async throws -> CustomerDeviceModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let d = try await buildLinkedDevice(env, c, mac: mac, serial: serial, model: model)
        try await env.write { db in
            try await d.create(on: db)
            try await auditLinkedDevice(d, actor: actor, deploymentID: deploymentID, at: env.now, on: db)
        }
        return d
    }

    /// Validates a hard-linked device for `c` (MAC format, MAC free, device limit) and builds its
    /// row, not yet saved.
    static func buildLinkedDevice(_ env: ServiceEnvironment, _ c: CustomerModel, mac: String, serial: String, model: String) async throws -> CustomerDeviceModel {
        var errors = FieldErrors()
        let normalized = mac.isEmpty ? "" : (SearchKey.mac(mac) ?? "")
        if !mac.isEmpty && normalized.isEmpty { errors.add("mac", "is not a MAC address (12 hex digits)") }
        if mac.isEmpty && serial.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("mac", "give a MAC address or a serial number") }
        try errors.throwIfAny()
        if !normalized.isEmpty, let other = try await CustomerDeviceModel.query(on: env.db).filter(\.$mac == normalized).filter(\.$linked == true).first() {
            throw DomainError(.conflict, code: "device_taken", "MAC \(normalized) is already linked to customer \(other.customerID).")
        }
        try await checkDeviceLimit(env, c, linked: true)
        let d = CustomerDeviceModel()
        d.customerID = try c.requireID()
        d.linked = true
        d.connected = true
        d.mac = normalized
        d.serial = serial.trimmingCharacters(in: .whitespaces)
        d.model = model
        d.uuid = ""; d.deviceType = "stb"; d.ip = ""; d.appVersion = ""
        return d
    }

    static func auditLinkedDevice(_ d: CustomerDeviceModel, actor: Principal, deploymentID: UUID, at now: Date, on db: any Database) async throws {
        try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                      entityID: String(d.customerID), action: "link_device", after: ["mac": d.mac, "serial": d.serial])
    }

    /// Registers a device that logged in ("Devices in Use"), or refreshes it when known.
    public static func registerDeviceInUse(_ env: ServiceEnvironment, customer c: CustomerModel, uuid: String, model: String, type: String, ip: String, appVersion: String) async throws -> CustomerDeviceModel {
        let id = try c.requireID()
        if let known = try await CustomerDeviceModel.query(on: env.db).filter(\.$customerID == id).filter(\.$uuid == uuid).filter(\.$linked == false).first() {
            known.ip = ip; known.appVersion = appVersion; known.model = model; known.lastSeenAt = env.now
            try await env.write { db in try await known.save(on: db) }
            return known
        }
        try await checkDeviceLimit(env, c, linked: false)
        let d = CustomerDeviceModel()
        d.customerID = id
        d.linked = false
        d.connected = true
        d.mac = ""; d.serial = ""
        d.uuid = uuid; d.model = model; d.deviceType = type; d.ip = ip; d.appVersion = appVersion
        d.lastSeenAt = env.now
        try await env.write { db in
            try await d.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: .system("device login"), deploymentID: c.deploymentID, entityType: "customer",
                                          entityID: String(id), action: "device_added", after: ["uuid": uuid, "model": model, "type": type])
        }
        return d
    }

    /// The product's max devices caps each list (devices in use, hard-linked devices).
    static func checkDeviceLimit(_ env: ServiceEnvironment, _ c: CustomerModel, linked: Bool) async throws {
        guard let product = try await ProductModel.find(c.productID, on: env.db) else { return }
        let count = try await CustomerDeviceModel.query(on: env.db).filter(\.$customerID == c.requireID()).filter(\.$linked == linked).count()
        if count >= product.maxDevices {
            throw DomainError(.conflict, code: "device_limit",
                              "\(product.name) allows \(product.maxDevices) device\(product.maxDevices == 1 ? "" : "s"); remove one in the customer's Devices tab first.")
        }
    }

    public static func setDeviceConnected(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, deviceID: Int, connected: Bool) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        guard let d = try await CustomerDeviceModel.query(on: env.db).filter(\.$id == deviceID).filter(\.$customerID == id).first() else {
            throw DomainError.notFound("The device")
        }
        d.connected = connected
        try await env.write { db in
            try await d.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(id), action: connected ? "connect_device" : "disconnect_device", after: ["device": String(deviceID)])
        }
    }

    public static func deleteDevice(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, deviceID: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        guard let d = try await CustomerDeviceModel.query(on: env.db).filter(\.$id == deviceID).filter(\.$customerID == id).first() else {
            throw DomainError.notFound("The device")
        }
        try await env.write { db in
            try await d.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(id), action: "delete_device",
                                          before: ["device": String(deviceID), "mac": d.mac.isEmpty ? nil : d.mac, "uuid": d.uuid.isEmpty ? nil : d.uuid])
        }
    }

    // MARK: Wallet

    /// Adds (positive) or takes (negative) an amount in the customer's currency. The balance is
    /// changed with a guarded UPDATE in the same transaction as the transaction row, so it can
    /// never go below zero, and a repeated idempotency key returns the first result.
    public static func walletMove(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, amount: Int64, reason: String, idempotencyKey: String?) async throws -> WalletTransactionModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        guard amount != 0 else { throw DomainError.validation(["amount": "must not be zero"]) }
        // Far beyond any real wallet, and far from Int64's edge, so balances never overflow.
        guard abs(amount) <= Limits.maxAmount else { throw DomainError.validation(["amount": "is too large"]) }
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.validation(["reason": "is required"]) }
        if let key = idempotencyKey, let done = try await WalletTransactionModel.query(on: env.db).filter(\.$customerID == id).filter(\.$idempotencyKey == key).first() {
            return done
        }
        let now = env.now
        return try await env.write { db in
            let rows = try await db.sql.raw("""
                UPDATE customers SET wallet_balance = wallet_balance + \(bind: amount)
                WHERE id = \(bind: id) AND wallet_balance + \(bind: amount) >= 0 RETURNING wallet_balance
                """).all()
            guard let row = rows.first else {
                throw DomainError(.conflict, code: "insufficient_funds",
                                  "The wallet holds \(Money(minorUnits: c.walletBalance, currency: CurrencyCode(c.currency) ?? .credits).formatted); it cannot pay \(Money(minorUnits: -amount, currency: CurrencyCode(c.currency) ?? .credits).formatted).")
            }
            let t = WalletTransactionModel()
            t.customerID = id
            t.at = now
            t.amount = amount
            t.balanceAfter = try row.decode(column: "wallet_balance", as: Int64.self)
            t.currency = c.currency
            t.reason = reason
            t.actorLabel = actor.label
            t.idempotencyKey = idempotencyKey
            try await t.create(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(id), action: amount > 0 ? "wallet_credit" : "wallet_debit",
                                          after: ["amount": String(amount), "balance": String(t.balanceAfter), "reason": reason])
            return t
        }
    }

    public static func walletTransactions(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> [WalletTransactionModel] {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        return try await WalletTransactionModel.query(on: env.db).filter(\.$customerID == id).sort(\.$id, .descending).limit(500).all()
    }

    // MARK: Extra packages

    /// Sells an extra package plan: its own length from now, or synced to the subscription expiry.
    public static func addExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, planID: Int, synced: Bool) async throws -> CustomerExtraPackageModel {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let (e, _) = try await buildExtraPackage(env, c, deploymentID: deploymentID, planID: planID, synced: synced)
        let now = env.now
        try await env.write { db in
            try await e.create(on: db)
            try await auditExtraPackage(e, actor: actor, deploymentID: deploymentID, at: now, on: db)
        }
        return e
    }

    /// Validates an extra-package sale and builds its row (not yet saved) and plan.
    static func buildExtraPackage(_ env: ServiceEnvironment, _ c: CustomerModel, deploymentID: UUID, planID: Int, synced: Bool) async throws -> (CustomerExtraPackageModel, PaymentPlanModel) {
        guard let plan = try await PaymentPlanModel.query(on: env.db).filter(\.$id == planID).filter(\.$productID == c.productID).first(),
              let extraID = plan.extraPackageID else {
            throw DomainError.validation(["planId": "is not an extra package plan of the customer's product"])
        }
        guard let d = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let now = env.now
        if synced && c.expiresAt == nil {
            throw DomainError.validation(["synced": "the subscription has not started yet; sell the package with its own length"])
        }
        let e = CustomerExtraPackageModel()
        e.customerID = try c.requireID()
        e.extraPackageID = extraID
        e.planID = planID
        e.synced = synced
        e.startsAt = now
        e.expiresAt = synced ? c.expiresAt! : SubscriptionCalendar.add(length(plan), to: now, in: zone(d))
        e.status = e.expiresAt > now ? "active" : "expired"
        return (e, plan)
    }

    static func auditExtraPackage(_ e: CustomerExtraPackageModel, actor: Principal, deploymentID: UUID, at now: Date, on db: any Database) async throws {
        try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                      entityID: String(e.customerID), action: "add_extra_package",
                                      after: ["extraPackage": String(e.extraPackageID), "plan": String(e.planID), "synced": String(e.synced)])
    }

    public static func extraPackages(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> [CustomerExtraPackageModel] {
        let c = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let list = try await CustomerExtraPackageModel.query(on: env.db).filter(\.$customerID == id).sort(\.$id).all()
        // Synced packages follow the subscription's current expiry.
        for e in list where e.synced { e.expiresAt = c.expiresAt ?? e.expiresAt }
        return list
    }

    public static func removeExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, entryID: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        guard let e = try await CustomerExtraPackageModel.query(on: env.db).filter(\.$id == entryID).filter(\.$customerID == id).first() else {
            throw DomainError.notFound("The extra package")
        }
        try await env.write { db in
            try await e.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(id), action: "remove_extra_package", before: ["extraPackage": String(e.extraPackageID)])
        }
    }

    // MARK: Messages

    public static func sendMessage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, subject: String, body: String) async throws -> CustomerMessageModel {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        var errors = FieldErrors()
        if subject.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("subject", "is required") }
        if body.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("body", "is required") }
        if body.count > 2000 { errors.add("body", "is limited to 2000 characters") }
        try errors.throwIfAny()
        let m = CustomerMessageModel()
        m.customerID = id
        m.at = env.now
        m.subject = subject
        m.body = body
        try await env.write { db in
            try await m.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                          entityID: String(id), action: "message", after: ["subject": subject])
        }
        return m
    }

    public static func messages(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> [CustomerMessageModel] {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        return try await CustomerMessageModel.query(on: env.db).filter(\.$customerID == id).sort(\.$id, .descending).all()
    }

    static func snapshot(_ c: CustomerModel) -> [String: String?] {
        let iso = ISO8601DateFormatter()
        return ["login": c.login, "firstName": c.firstName, "lastName": c.lastName, "email": c.email, "mobile": c.mobile,
                "phone": c.phone, "city": c.city, "country": c.country, "street": c.street, "zip": c.zip, "state": c.state,
                "title": c.title, "facility": c.facility, "comment": c.comment, "mappingId": c.mappingID,
                "resellerId": c.resellerID.map(String.init), "dealerId": c.dealerID.map(String.init),
                "productId": String(c.productID), "planId": c.planID.map(String.init), "currency": c.currency,
                "status": c.status, "startsAt": c.startsAt.map(iso.string), "expiresAt": c.expiresAt.map(iso.string),
                "deletedAt": c.deletedAt.map(iso.string)]
    }
}
