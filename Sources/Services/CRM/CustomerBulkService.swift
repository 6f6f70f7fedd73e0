import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Bulk work on customers: add a range, bulk edit, bulk delete, import, export. Every one is all
/// or nothing: a bad row or a failed write leaves the data as it was.
public enum CustomerBulkService {
    // MARK: Add a range

    public struct RangeInput: Sendable {
        public var baseName: String
        public var count: Int
        public var startNumber: Int = 1
        public var productID: Int
        public var planID: Int
        public var currency: String
        public var contact: CustomerService.Contact = .init()
        public var startFromFirstLogin: Bool? = nil
        public init(baseName: String, count: Int, productID: Int, planID: Int, currency: String) {
            self.baseName = baseName
            self.count = count
            self.productID = productID
            self.planID = planID
            self.currency = currency
        }
    }

    public static let maxRange = 1000

    /// "Room 1" … "Room N" with generated credentials and identical subscriptions (hospitality).
    public static func addRange(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: RangeInput) async throws -> [CustomerService.Created] {
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        let base = input.baseName.trimmingCharacters(in: .whitespaces)
        if base.isEmpty { errors.add("baseName", "is required, e.g. Room or Cabin") }
        if !(1...maxRange).contains(input.count) { errors.add("count", "must be between 1 and \(maxRange)") }
        if !(0...1_000_000_000).contains(input.startNumber) { errors.add("startNumber", "must be between 0 and 1000000000") }
        let sale = try await CustomerService.checkSale(env, deploymentID: deploymentID, productID: input.productID, planID: input.planID, currency: input.currency, errors: &errors)
        CustomerService.validateContact(input.contact, product: sale?.product, errors: &errors)
        try errors.throwIfAny()
        var taken = Set<String>()
        var creds: [(String, String)] = []
        for _ in 0..<input.count {
            var e = FieldErrors()
            let pair = try await CustomerService.credentials(env, deploymentID: deploymentID, login: "", password: "", errors: &e, taken: taken)
            taken.insert(pair.0)
            creds.append(pair)
        }
        let hashes = try await env.subscriberHasher.hashAll(creds.map(\.1))
        let now = env.now
        var built: [CustomerService.Created] = []
        for i in 0..<input.count {
            var n = CustomerService.NewCustomer(productID: input.productID, planID: input.planID, currency: input.currency, contact: input.contact)
            n.contact.lastName = "\(base) \(input.startNumber + i)"
            n.startFromFirstLogin = input.startFromFirstLogin
            let c = CustomerService.build(env, n, sale: sale!, login: creds[i].0, passwordHash: hashes[i], now: now)
            built.append(.init(customer: c, password: creds[i].1))
        }
        let toSave = built
        try await env.write { db in
            for b in toSave {
                try await b.customer.create(on: db)
                try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                              entityID: String(b.customer.id!), action: "create_range", after: CustomerService.snapshot(b.customer))
            }
        }
        return built
    }

    // MARK: Bulk edit and delete

    public struct Changes: Sendable, Equatable {
        public var productID: Int? = nil
        public var planID: Int? = nil
        public var expiresAt: Date? = nil
        /// .some(nil) moves customers back to the operator.
        public var resellerID: Int?? = nil
        public var dealerID: Int?? = nil
        public var disabled: Bool? = nil
        public init() {}
        public var isEmpty: Bool { self == Changes() }
    }

    public static let maxBulk = 50_000

    /// Ids of the customers a bulk action targets: the given selection, or everything the filter
    /// matches (capped, so a stray click cannot rewrite a million rows at once).
    public static func targets(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ids: [Int]?, filter: CustomerService.Query?) async throws -> [Int] {
        try actor.require(.crm, in: deploymentID)
        if let ids, !ids.isEmpty {
            let found = try await CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$deletedAt == nil)
                .filter(\.$id ~~ ids).all().compactMap(\.id)
            return found
        }
        guard var q = filter else { throw DomainError.validation(["selection": "select customers or give a filter"]) }
        var all: [Int] = []
        q.limit = 500
        while true {
            let page = try await CustomerService.list(env, actor: actor, deploymentID: deploymentID, query: q)
            all += page.customers.compactMap(\.id)
            if all.count > maxBulk {
                throw DomainError(.invalid, code: "too_many", "The filter matches more than \(maxBulk) customers; narrow it down.")
            }
            guard page.hasOlder, let last = page.customers.last?.id else { break }
            q.beforeID = last
            q.afterID = nil
        }
        return all
    }

    /// Applies the same changes to every target in one transaction, each with its audit record.
    public static func edit(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ids: [Int], changes: Changes) async throws -> Int {
        if let e = changes.expiresAt, e >= Limits.latestDate { throw DomainError.validation(["expiresAt": "must be before 2200"]) }
        try actor.require(.crm, in: deploymentID)
        guard !changes.isEmpty else { throw DomainError.validation(["changes": "choose at least one thing to change"]) }
        guard !ids.isEmpty else { throw DomainError.validation(["selection": "no customer matches"]) }
        var errors = FieldErrors()
        var newProduct: ProductModel? = nil
        if let p = changes.productID {
            let sale = try await CustomerService.checkSale(env, deploymentID: deploymentID, productID: p, planID: changes.planID ?? -1, currency: nil, errors: &errors)
            newProduct = sale?.product
        }
        let product = newProduct
        try errors.throwIfAny()
        let now = env.now
        let products = Dictionary(uniqueKeysWithValues: try await ProductModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all().map { ($0.id!, $0) })
        return try await env.write { db in
            var changed = 0
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                let rows = try await CustomerModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ chunk).all()
                for c in rows {
                    let before = CustomerService.snapshot(c)
                    if let product { c.productID = product.id!; c.planID = changes.planID }
                    if let e = changes.expiresAt { c.expiresAt = e; c.startsAt = c.startsAt ?? now }
                    if let r = changes.resellerID { c.resellerID = r }
                    if let d = changes.dealerID { c.dealerID = d }
                    if let d = changes.disabled { c.disabled = d }
                    if let p = products[c.productID] { c.status = CustomerService.status(c, product: p, now: now).rawValue }
                    try await c.save(on: db)
                    try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                                  entityID: String(c.id!), action: "bulk_edit", before: before, after: CustomerService.snapshot(c))
                    changed += 1
                }
            }
            return changed
        }
    }

    public static func trash(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ids: [Int]) async throws -> Int {
        try actor.require(.crm, in: deploymentID)
        let now = env.now
        return try await env.write { db in
            var n = 0
            for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
                let rows = try await CustomerModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$deletedAt == nil).filter(\.$id ~~ chunk).all()
                for c in rows {
                    c.deletedAt = now
                    try await c.save(on: db)
                    try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                                  entityID: String(c.id!), action: "trash")
                    n += 1
                }
            }
            return n
        }
    }

    // MARK: Import

    /// Column names an import file may use (header row, any order, case-insensitive).
    public static let importColumns = ["product", "plan", "currency", "login", "password", "title", "firstname", "lastname", "street", "zip",
                                       "city", "state", "country", "phone", "mobile", "email", "facility", "comment", "mappingid",
                                       "resellerid", "dealerid", "startfromfirstlogin"]

    public struct ImportError: Sendable, Equatable {
        public var line: Int
        public var column: String
        public var message: String
    }

    public struct ImportResult: Sendable {
        public var created: [CustomerService.Created]
        public var errors: [ImportError]
    }

    /// Validates every row first; applies nothing if any row is wrong, otherwise creates all rows in
    /// one transaction. `product` and `plan` accept an id or an exact name.
    public static func importRows(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, rows: [(line: Int, fields: [String])]) async throws -> ImportResult {
        try actor.require(.crm, in: deploymentID)
        guard let header = rows.first else { throw DomainError(.invalid, code: "empty_file", "The file is empty.") }
        let names = header.fields.map { $0.lowercased().filter { $0.isLetter } }
        var errors: [ImportError] = []
        for (i, n) in names.enumerated() where !n.isEmpty && !importColumns.contains(n) {
            errors.append(.init(line: header.line, column: header.fields[i], message: "is not a known column (\(importColumns.joined(separator: ", ")))"))
        }
        for required in ["product", "plan"] where !names.contains(required) {
            errors.append(.init(line: header.line, column: required, message: "column is missing"))
        }
        let body = Array(rows.dropFirst())
        if body.isEmpty { errors.append(.init(line: header.line, column: "", message: "no customer rows under the header")) }
        if body.count > 100_000 { errors.append(.init(line: header.line, column: "", message: "at most 100,000 rows per import")) }
        guard errors.isEmpty else { return ImportResult(created: [], errors: errors) }

        let products = try await ProductModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all()
        let plans = try await PaymentPlanModel.query(on: env.db).filter(\.$productID ~~ products.compactMap(\.id)).filter(\.$extraPackageID == nil).all()
        let prices = try await PlanPriceModel.query(on: env.db).filter(\.$planID ~~ plans.compactMap(\.id)).all()
        guard let deployment = try await DeploymentModel.find(deploymentID, on: env.db) else { throw DomainError.notFound("The deployment") }
        let existingLogins = Set(try await env.db.sql.select().column("login").from(CustomerModel.schema)
            .where("deployment_id", .equal, SQLBind(deploymentID)).all().map { try $0.decode(column: "login", as: String.self) })

        var seen = Set<String>()
        var pending: [(CustomerService.NewCustomer, CustomerService.Sale, String, String)] = []
        for row in body {
            var v: [String: String] = [:]
            for (i, n) in names.enumerated() where i < row.fields.count { v[n] = row.fields[i].trimmingCharacters(in: .whitespaces) }
            func err(_ col: String, _ msg: String) { errors.append(.init(line: row.line, column: col, message: msg)) }
            // Check every column, so one upload shows every problem of the row.
            let p = v["product"] ?? ""
            let product = products.first(where: { String($0.id!) == p || $0.name == p })
            if product == nil { err("product", p.isEmpty ? "is empty" : "\"\(p)\" is not a product") }
            let pl = v["plan"] ?? ""
            let plan = product.flatMap { product in plans.first(where: { $0.productID == product.id! && (String($0.id!) == pl || $0.name == pl) }) }
            if let product, plan == nil { err("plan", "\"\(pl)\" is not a plan of \(product.name)") }
            let currency = (v["currency"] ?? "").isEmpty ? (product?.defaultCurrency ?? "") : v["currency"]!.uppercased()
            if let plan, !prices.contains(where: { $0.planID == plan.id! && $0.currency == currency }) { err("currency", "\(plan.name) has no price in \(currency)") }
            var contact = CustomerService.Contact()
            contact.title = v["title"] ?? ""; contact.firstName = v["firstname"] ?? ""; contact.lastName = v["lastname"] ?? ""
            contact.street = v["street"] ?? ""; contact.zip = v["zip"] ?? ""; contact.city = v["city"] ?? ""; contact.state = v["state"] ?? ""
            contact.country = v["country"] ?? ""; contact.phone = v["phone"] ?? ""; contact.mobile = v["mobile"] ?? ""; contact.email = v["email"] ?? ""
            contact.facility = v["facility"] ?? ""; contact.comment = v["comment"] ?? ""; contact.mappingID = v["mappingid"] ?? ""
            if let r = v["resellerid"], !r.isEmpty { if let n = Int(r) { contact.resellerID = n } else { err("resellerid", "must be a number") } }
            if let d = v["dealerid"], !d.isEmpty { if let n = Int(d) { contact.dealerID = n } else { err("dealerid", "must be a number") } }
            var fe = FieldErrors()
            CustomerService.validateContact(contact, product: product, errors: &fe)
            for (k, m) in fe.all { err(k.lowercased(), m) }
            let login = v["login"] ?? ""
            let password = v["password"] ?? ""
            if !login.isEmpty {
                if let m = Credentials.loginProblem(login) { err("login", m) }
                else if existingLogins.contains(login) { err("login", "\(login) is already used by another customer") }
                else if seen.contains(login) { err("login", "\(login) appears twice in the file") }
                seen.insert(login)
            }
            if !password.isEmpty, let m = Credentials.passwordProblem(password) { err("password", m) }
            var startFromFirstLogin: Bool? = nil
            if let s = v["startfromfirstlogin"]?.lowercased(), !s.isEmpty {
                if ["1", "0", "true", "false", "yes", "no"].contains(s) { startFromFirstLogin = ["1", "true", "yes"].contains(s) } else {
                    err("startfromfirstlogin", "must be true or false")
                }
            }
            guard let product, let plan else { continue }
            var n = CustomerService.NewCustomer(productID: product.id!, planID: plan.id!, currency: currency, contact: contact)
            n.login = login
            n.password = password
            n.startFromFirstLogin = startFromFirstLogin
            pending.append((n, CustomerService.Sale(deployment: deployment, product: product, plan: plan), login, password))
        }
        guard errors.isEmpty else { return ImportResult(created: [], errors: errors) }

        // Generated credentials for rows without them, then all hashes at once.
        var taken = existingLogins.union(seen)
        var creds: [(String, String)] = []
        for (_, _, login, password) in pending {
            var l = login
            while l.isEmpty { let c = Credentials.generateLogin(); if !taken.contains(c) { l = c; taken.insert(c) } }
            creds.append((l, password.isEmpty ? Credentials.generatePassword() : password))
        }
        let hashes = try await env.subscriberHasher.hashAll(creds.map(\.1))
        let now = env.now
        let built = pending.enumerated().map { i, p in
            CustomerService.Created(customer: CustomerService.build(env, p.0, sale: p.1, login: creds[i].0, passwordHash: hashes[i], now: now), password: creds[i].1)
        }
        try await env.write { db in
            for b in built {
                try await b.customer.create(on: db)
                try await AuditService.record(on: db, at: now, actor: actor, deploymentID: deploymentID, entityType: "customer",
                                              entityID: String(b.customer.id!), action: "import", after: CustomerService.snapshot(b.customer))
            }
        }
        return ImportResult(created: built, errors: [])
    }

    /// Reads an uploaded file by its name: .xlsx as a workbook, anything else as UTF-8 CSV.
    public static func readUpload(filename: String, data: Data) throws -> [(line: Int, fields: [String])] {
        if filename.lowercased().hasSuffix(".xlsx") { return try XLSXReader.rows(from: data) }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DomainError(.invalid, code: "bad_encoding", "The CSV file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again.")
        }
        return CSV.parse(text)
    }

    // MARK: Export

    public static let exportHeader = ["id", "login", "status", "product_id", "plan_id", "currency", "starts_at_utc", "expires_at_utc",
                                      "title", "firstname", "lastname", "street", "zip", "city", "state", "country", "phone", "mobile",
                                      "email", "facility", "mappingid", "resellerid", "dealerid", "comment", "created_at_utc"]

    /// Every customer the filter matches, as CSV (no passwords: they are not stored).
    public static func exportCSV(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, filter: CustomerService.Query) async throws -> String {
        var q = filter
        q.limit = 500
        q.afterID = nil
        let iso = ISO8601DateFormatter()
        var out = CSV.line(exportHeader) + "\r\n"
        while true {
            let page = try await CustomerService.list(env, actor: actor, deploymentID: deploymentID, query: q)
            for c in page.customers {
                out += CSV.line([String(c.id!), c.login, c.status, String(c.productID), c.planID.map(String.init) ?? "", c.currency,
                                 c.startsAt.map(iso.string) ?? "", c.expiresAt.map(iso.string) ?? "", c.title, c.firstName, c.lastName,
                                 c.street, c.zip, c.city, c.state, c.country, c.phone, c.mobile, c.email, c.facility, c.mappingID ?? "",
                                 c.resellerID.map(String.init) ?? "", c.dealerID.map(String.init) ?? "", c.comment,
                                 c.createdAt.map(iso.string) ?? ""]) + "\r\n"
            }
            guard page.hasOlder, let last = page.customers.last?.id else { break }
            q.beforeID = last
        }
        return out
    }
}

/// Marks due subscriptions and extra packages expired. Set-based and idempotent; expiry is also
/// enforced at read time (`CustomerStatus.effective`), so a late sweep never serves anyone.
public enum ExpirySweepJob {
    public static let kind = "crm.expiry-sweep"

    public static func run(_ ctx: JobContext) async throws -> String? {
        let env = ctx.env
        let now = env.now
        let (customers, extras) = try await env.write { db -> (Int, Int) in
            let rows = try await db.sql.raw("""
                UPDATE customers SET status = 'expired'
                WHERE status IN ('active', 'trial') AND disabled = \(bind: false) AND expires_at <= \(bind: now)
                RETURNING id, deployment_id
                """).all()
            for r in rows {
                try await AuditService.record(on: db, at: now, actor: .system("expiry sweep"), deploymentID: try r.decode(column: "deployment_id", as: UUID.self),
                                              entityType: "customer", entityID: String(try r.decode(column: "id", as: Int.self)), action: "expired")
            }
            let extraRows = try await db.sql.raw("""
                UPDATE customer_extra_packages SET status = 'expired'
                WHERE status = 'active' AND ((synced = \(bind: false) AND expires_at <= \(bind: now))
                   OR (synced = \(bind: true) AND customer_id IN (SELECT id FROM customers WHERE expires_at <= \(bind: now))))
                RETURNING id
                """).all()
            return (rows.count, extraRows.count)
        }
        return "expired \(customers) customer(s) and \(extras) extra package(s)"
    }
}
