import Domain
import FluentKit
import Foundation
import Storage

/// CRM › Products: products, their payment plans with prices, extra packages, DVR and catch-up
/// plans, IP access rules, disclaimer/support texts and app OTA entries.
public enum ProductService {
    public struct Input: Sendable {
        public var name: String
        public var mappingID: String
        public var subscriptionType: String
        public var paymentType: String
        public var startFromFirstLogin: Bool
        public var allowedCountries: [String]
        public var isRTL: Bool
        public var maxDevices: Int
        /// Platforms the product may be watched on (`DeviceTypes.platforms`); empty = all.
        public var allowedDeviceTypes: [String] = []
        /// Hours of cloud-PVR recordings per customer; 0 = no recordings.
        public var pvrQuotaHours: Int
        public var userInterfaceID: String
        public var defaultCurrency: String
        public var disclaimer: String
        public var supportText: String

        public init(name: String, mappingID: String = "", subscriptionType: String, paymentType: String, startFromFirstLogin: Bool = false,
                    allowedCountries: [String] = [], isRTL: Bool = false, maxDevices: Int, pvrQuotaHours: Int = 0, userInterfaceID: String = "",
                    defaultCurrency: String, disclaimer: String = "", supportText: String = "") {
            self.name = name
            self.mappingID = mappingID
            self.subscriptionType = subscriptionType
            self.paymentType = paymentType
            self.startFromFirstLogin = startFromFirstLogin
            self.allowedCountries = allowedCountries
            self.isRTL = isRTL
            self.maxDevices = maxDevices
            self.pvrQuotaHours = pvrQuotaHours
            self.userInterfaceID = userInterfaceID
            self.defaultCurrency = defaultCurrency
            self.disclaimer = disclaimer
            self.supportText = supportText
        }

        public init(_ p: ProductModel) {
            self.init(name: p.name, mappingID: p.mappingID ?? "", subscriptionType: p.subscriptionType, paymentType: p.paymentType,
                      startFromFirstLogin: p.startFromFirstLogin,
                      allowedCountries: p.allowedCountries.split(separator: ",").map(String.init), isRTL: p.isRTL,
                      maxDevices: p.maxDevices, pvrQuotaHours: p.pvrQuotaHours, userInterfaceID: p.userInterfaceID ?? "", defaultCurrency: p.defaultCurrency,
                      disclaimer: p.disclaimer, supportText: p.supportText)
            allowedDeviceTypes = p.allowedDeviceTypes.split(separator: ",").map(String.init)
        }
    }

    public struct PlanInput: Sendable {
        public var name: String
        public var length: Int
        public var unit: String
        /// currency code → amount text ("9.99"); empty text = no price in that currency.
        public var prices: [String: String]
        /// Credits price as text; empty = not sold for credits.
        public var creditsPrice: String
        public init(name: String, length: Int, unit: String, prices: [String: String], creditsPrice: String = "") {
            self.name = name
            self.length = length
            self.unit = unit
            self.prices = prices
            self.creditsPrice = creditsPrice
        }
    }

    /// A product with everything hanging off it, as its details page shows it.
    public struct Details: Sendable {
        public var product: ProductModel
        public var plans: [PaymentPlanModel]
        public var prices: [Int: [PlanPriceModel]]
        public var extraPackages: [ExtraPackageModel]
        public var options: [ProductOptionModel]
        public var customerCount: Int

        public func plans(ofExtra id: Int?) -> [PaymentPlanModel] { plans.filter { $0.extraPackageID == id } }

        /// Sellable = at least one product plan with at least one currency price.
        public var isSellable: Bool {
            plans(ofExtra: nil).contains { !(prices[$0.id!] ?? []).isEmpty }
        }
    }

    // MARK: Products

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [ProductModel] {
        try actor.require(.crm, in: deploymentID)
        return try await ProductModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> ProductModel {
        try actor.require(.crm, in: deploymentID)
        guard let p = try await ProductModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The product")
        }
        return p
    }

    public static func details(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> Details {
        let p = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        return try await details(of: p, on: env.db)
    }

    public static func details(of p: ProductModel, on db: any Database) async throws -> Details {
        let id = try p.requireID()
        let plans = try await PaymentPlanModel.query(on: db).filter(\.$productID == id).sort(\.$position).sort(\.$id).all()
        let prices = try await PlanPriceModel.query(on: db).filter(\.$planID ~~ plans.compactMap(\.id)).sort(\.$currency).all()
        let extras = try await ExtraPackageModel.query(on: db).filter(\.$productID == id).sort(\.$name).all()
        let options = try await ProductOptionModel.query(on: db).filter(\.$productID == id).sort(\.$id).all()
        let customers = try await CustomerModel.query(on: db).filter(\.$productID == id).count()
        return Details(product: p, plans: plans, prices: Dictionary(grouping: prices, by: \.planID), extraPackages: extras,
                       options: options, customerCount: customers)
    }

    static func validate(_ env: ServiceEnvironment, _ input: Input, deploymentID: UUID) async throws -> [String] {
        var errors = FieldErrors()
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if SubscriptionType(rawValue: input.subscriptionType) == nil { errors.add("subscriptionType", "must be trial or regular") }
        if PaymentType(rawValue: input.paymentType) == nil { errors.add("paymentType", "must be subscription, wallet or api") }
        if !(1...100).contains(input.maxDevices) { errors.add("maxDevices", "must be between 1 and 100") }
        if let bad = input.allowedDeviceTypes.first(where: { !DeviceTypes.platforms.contains($0.lowercased()) }) {
            errors.add("allowedDeviceTypes", "contains \(bad); the platforms are \(DeviceTypes.platforms.joined(separator: ", "))")
        }
        if !(0...10_000).contains(input.pvrQuotaHours) { errors.add("pvrQuotaHours", "must be between 0 and 10000 hours") }
        let countries = input.allowedCountries.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        if let bad = countries.first(where: { !Country.isCode($0) }) { errors.add("allowedCountries", "contains \(bad), which is not an ISO country code") }
        let currencies = try await CurrencyService.codes(env.db, deploymentID: deploymentID)
        if !currencies.contains(input.defaultCurrency.uppercased()) || input.defaultCurrency.uppercased() == "CREDITS" {
            errors.add("defaultCurrency", "must be one of this deployment's currencies (CRM Settings › Currencies)")
        }
        try errors.throwIfAny()
        return Array(Set(countries)).sorted()
    }

    /// The product's user interface (UIT): required once the deployment has one, the default UI
    /// when none is given, an unknown id refused.
    static func userInterface(_ env: ServiceEnvironment, _ input: Input, deploymentID: UUID) async throws -> Input {
        var i = input
        i.userInterfaceID = try await UserInterfaceService.resolveForProduct(env.db, deploymentID: deploymentID, given: input.userInterfaceID) ?? ""
        return i
    }

    static func apply(_ input: Input, countries: [String], to p: ProductModel) {
        p.name = input.name.trimmingCharacters(in: .whitespaces)
        p.mappingID = input.mappingID.isEmpty ? nil : input.mappingID
        p.paymentType = input.paymentType
        p.startFromFirstLogin = input.startFromFirstLogin
        p.allowedCountries = countries.joined(separator: ",")
        p.isRTL = input.isRTL
        p.maxDevices = input.maxDevices
        p.allowedDeviceTypes = Array(Set(input.allowedDeviceTypes.map { $0.lowercased() })).sorted().joined(separator: ",")
        p.pvrQuotaHours = max(0, input.pvrQuotaHours)
        p.userInterfaceID = input.userInterfaceID.isEmpty ? nil : input.userInterfaceID
        p.defaultCurrency = input.defaultCurrency.uppercased()
        p.disclaimer = input.disclaimer
        p.supportText = input.supportText
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: Input) async throws -> ProductModel {
        try actor.require(.crm, in: deploymentID)
        let countries = try await validate(env, input, deploymentID: deploymentID)
        let input = try await userInterface(env, input, deploymentID: deploymentID)
        let p = ProductModel()
        p.deploymentID = deploymentID
        p.subscriptionType = input.subscriptionType
        p.ipAllowed = ""
        p.ipBlocked = ""
        p.ipLockFirst = false
        apply(input, countries: countries, to: p)
        try await env.write { db in
            try await p.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "product",
                                          entityID: String(p.id!), action: "create", after: snapshot(p))
        }
        return p
    }

    /// Changes everything but the Trial/Regular type, which is fixed at creation (the manual:
    /// make a separate product instead).
    public static func update(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, input: Input) async throws -> ProductModel {
        let p = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        if input.subscriptionType != p.subscriptionType {
            throw DomainError.validation(["subscriptionType": "cannot change after creation; create a separate \(input.subscriptionType) product"])
        }
        let countries = try await validate(env, input, deploymentID: deploymentID)
        let input = try await userInterface(env, input, deploymentID: deploymentID)
        let before = snapshot(p)
        apply(input, countries: countries, to: p)
        try await env.write { db in
            try await p.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "product",
                                          entityID: String(id), action: "update", before: before, after: snapshot(p))
        }
        return p
    }

    /// Refused while any customer (trashed ones included) still has the product.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let p = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let used = try await CustomerModel.query(on: env.db).filter(\.$productID == id).count()
        if used > 0 {
            throw DomainError(.conflict, code: "product_in_use",
                              "\(used) customer\(used == 1 ? " uses" : "s use") \(p.name). Move them to another product (Customers › Bulk edit) or purge them from the trash, then delete it.")
        }
        try await env.write { db in
            try await p.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "product",
                                          entityID: String(id), action: "delete", before: snapshot(p))
        }
    }

    /// IP access: allowed and blocked CIDR lists (one per line or comma-separated) and lock to the
    /// first address a customer logs in from.
    public static func updateIPAccess(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int,
                                      allowed: String, blocked: String, lockFirst: Bool) async throws {
        let p = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        func parse(_ text: String, _ field: String, _ errors: inout FieldErrors) -> String {
            let items = text.split(whereSeparator: { $0 == "\n" || $0 == "," || $0 == "\r" }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            var out: [String] = []
            for i in items {
                guard let c = CIDR(i) else { errors.add(field, "\(i) is not an IP address or CIDR block"); continue }
                out.append(c.description)
            }
            return out.joined(separator: "\n")
        }
        var errors = FieldErrors()
        let a = parse(allowed, "ipAllowed", &errors), b = parse(blocked, "ipBlocked", &errors)
        try errors.throwIfAny()
        let before = snapshot(p)
        p.ipAllowed = a
        p.ipBlocked = b
        p.ipLockFirst = lockFirst
        try await env.write { db in
            try await p.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "product",
                                          entityID: String(id), action: "update_ip_access", before: before, after: snapshot(p))
        }
    }

    // MARK: Plans

    static func validatePlan(_ env: ServiceEnvironment, _ input: PlanInput, deploymentID: UUID) async throws -> (LengthUnit, [String: Int64], Int64?) {
        var errors = FieldErrors()
        if input.name.trimmingCharacters(in: .whitespaces).isEmpty { errors.add("name", "is required") }
        if !(1...1200).contains(input.length) { errors.add("length", "must be between 1 and 1200") }
        let unit = LengthUnit(rawValue: input.unit)
        if unit == nil { errors.add("unit", "must be days, weeks, months or years") }
        let currencies = try await CurrencyService.codes(env.db, deploymentID: deploymentID)
        var prices: [String: Int64] = [:]
        for (code, text) in input.prices where !text.trimmingCharacters(in: .whitespaces).isEmpty {
            guard currencies.contains(code), let c = CurrencyCode(code), c != .credits else { errors.add("price_\(code)", "is not a currency of this deployment"); continue }
            guard let m = Money.parse(text, currency: c), m.minorUnits >= 0 else { errors.add("price_\(code)", "must be an amount ≥ 0 with at most \(c.minorDigits) decimals"); continue }
            prices[code] = m.minorUnits
        }
        var credits: Int64? = nil
        if !input.creditsPrice.trimmingCharacters(in: .whitespaces).isEmpty {
            if let m = Money.parse(input.creditsPrice, currency: .credits), m.minorUnits >= 0 { credits = m.minorUnits } else {
                errors.add("creditsPrice", "must be a whole number of credits ≥ 0")
            }
        }
        try errors.throwIfAny()
        return (unit!, prices, credits)
    }

    /// Adds a plan to the product, or to one of its extra packages.
    public static func addPlan(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, extraPackageID: Int? = nil, input: PlanInput) async throws -> PaymentPlanModel {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        if let e = extraPackageID, try await ExtraPackageModel.query(on: env.db).filter(\.$id == e).filter(\.$productID == productID).first() == nil {
            throw DomainError.notFound("The extra package")
        }
        let (unit, prices, credits) = try await validatePlan(env, input, deploymentID: deploymentID)
        let plan = PaymentPlanModel()
        plan.productID = productID
        plan.extraPackageID = extraPackageID
        plan.name = input.name.trimmingCharacters(in: .whitespaces)
        plan.lengthCount = input.length
        plan.lengthUnit = unit.rawValue
        plan.creditsPrice = credits
        plan.position = try await PaymentPlanModel.query(on: env.db).filter(\.$productID == productID).count()
        try await env.write { db in
            try await plan.create(on: db)
            for (code, amount) in prices { try await PlanPriceModel(planID: plan.id!, currency: code, amount: amount).create(on: db) }
            var after: [String: String?] = ["name": plan.name, "length": "\(plan.lengthCount) \(plan.lengthUnit)", "creditsPrice": credits.map(String.init)]
            for (code, amount) in prices { after["price_\(code)"] = String(amount) }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "payment_plan",
                                          entityID: String(plan.id!), action: "create", after: after)
        }
        return plan
    }

    public static func updatePlan(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, planID: Int, input: PlanInput) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        guard let plan = try await PaymentPlanModel.query(on: env.db).filter(\.$id == planID).filter(\.$productID == productID).first() else {
            throw DomainError.notFound("The payment plan")
        }
        let (unit, prices, credits) = try await validatePlan(env, input, deploymentID: deploymentID)
        plan.name = input.name.trimmingCharacters(in: .whitespaces)
        plan.lengthCount = input.length
        plan.lengthUnit = unit.rawValue
        plan.creditsPrice = credits
        try await env.write { db in
            try await plan.save(on: db)
            try await PlanPriceModel.query(on: db).filter(\.$planID == planID).delete()
            for (code, amount) in prices { try await PlanPriceModel(planID: planID, currency: code, amount: amount).create(on: db) }
            var after: [String: String?] = ["name": plan.name, "length": "\(plan.lengthCount) \(plan.lengthUnit)", "creditsPrice": credits.map(String.init)]
            for (code, amount) in prices { after["price_\(code)"] = String(amount) }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "payment_plan",
                                          entityID: String(planID), action: "update", after: after)
        }
    }

    public static func deletePlan(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, planID: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        guard let plan = try await PaymentPlanModel.query(on: env.db).filter(\.$id == planID).filter(\.$productID == productID).first() else {
            throw DomainError.notFound("The payment plan")
        }
        let onPlan = try await CustomerModel.query(on: env.db).filter(\.$planID == planID).count()
        let extrasOnPlan = try await CustomerExtraPackageModel.query(on: env.db).filter(\.$planID == planID).count()
        if onPlan + extrasOnPlan > 0 {
            throw DomainError(.conflict, code: "plan_in_use", "\(onPlan + extrasOnPlan) subscription(s) run on \(plan.name); keep it, or move them first.")
        }
        try await env.write { db in
            try await plan.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "payment_plan",
                                          entityID: String(planID), action: "delete", before: ["name": plan.name])
        }
    }

    // MARK: Extra packages and options

    public static func addExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, name: String, mappingID: String) async throws -> ExtraPackageModel {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw DomainError.validation(["name": "is required"]) }
        let e = ExtraPackageModel()
        e.productID = productID
        e.name = name.trimmingCharacters(in: .whitespaces)
        e.mappingID = mappingID.isEmpty ? nil : mappingID
        try await env.write { db in
            try await e.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "extra_package",
                                          entityID: String(e.id!), action: "create", after: ["name": e.name, "productId": String(productID)])
        }
        return e
    }

    public static func deleteExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, id: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        guard let e = try await ExtraPackageModel.query(on: env.db).filter(\.$id == id).filter(\.$productID == productID).first() else {
            throw DomainError.notFound("The extra package")
        }
        let used = try await CustomerExtraPackageModel.query(on: env.db).filter(\.$extraPackageID == id).count()
        if used > 0 { throw DomainError(.conflict, code: "extra_package_in_use", "\(used) customer(s) have \(e.name); remove it from them first.") }
        try await env.write { db in
            try await e.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "extra_package",
                                          entityID: String(id), action: "delete", before: ["name": e.name])
        }
    }

    public enum OptionKind: String, CaseIterable, Sendable { case dvr, catchup, ota }

    /// DVR plan (name, recording hours), catch-up plan (name, days) or app OTA entry (platform,
    /// version, URL, mandatory).
    public static func addOption(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, kind: OptionKind,
                                 name: String, amount: Int, platform: String = "", version: String = "", url: String = "") async throws -> ProductOptionModel {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        var errors = FieldErrors()
        switch kind {
        case .dvr:
            if name.isEmpty { errors.add("name", "is required") }
            if !(1...100_000).contains(amount) { errors.add("amount", "recording hours must be between 1 and 100000") }
        case .catchup:
            if name.isEmpty { errors.add("name", "is required") }
            if !(1...365).contains(amount) { errors.add("amount", "catch-up days must be between 1 and 365") }
        case .ota:
            if !["android", "androidtv", "firetv", "ios", "tvos", "tizen", "webos", "roku", "stb"].contains(platform) { errors.add("platform", "is not a supported platform") }
            if version.isEmpty || !version.allSatisfy({ $0.isNumber || $0 == "." }) { errors.add("version", "must look like 1.2.3") }
            if !(url.hasPrefix("https://") || url.hasPrefix("http://")) { errors.add("url", "must be an http(s) URL") }
        }
        try errors.throwIfAny()
        let o = ProductOptionModel()
        o.productID = productID
        o.kind = kind.rawValue
        o.name = kind == .ota ? "\(platform) \(version)" : name
        o.amount = kind == .ota ? (amount != 0 ? 1 : 0) : amount
        o.platform = platform
        o.version = version
        o.url = url
        try await env.write { db in
            try await o.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "product_\(kind.rawValue)",
                                          entityID: String(o.id!), action: "create", after: ["name": o.name, "amount": String(o.amount), "url": url.isEmpty ? nil : url])
        }
        return o
    }

    public static func deleteOption(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int, id: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: productID)
        guard let o = try await ProductOptionModel.query(on: env.db).filter(\.$id == id).filter(\.$productID == productID).first() else {
            throw DomainError.notFound("The entry")
        }
        try await env.write { db in
            try await o.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "product_\(o.kind)",
                                          entityID: String(id), action: "delete", before: ["name": o.name])
        }
    }

    static func snapshot(_ p: ProductModel) -> [String: String?] {
        ["name": p.name, "mappingId": p.mappingID, "subscriptionType": p.subscriptionType, "paymentType": p.paymentType,
         "startFromFirstLogin": String(p.startFromFirstLogin), "allowedCountries": p.allowedCountries, "isRTL": String(p.isRTL),
         "maxDevices": String(p.maxDevices), "pvrQuotaHours": String(p.pvrQuotaHours), "userInterfaceId": p.userInterfaceID, "defaultCurrency": p.defaultCurrency,
         "disclaimer": p.disclaimer, "supportText": p.supportText, "ipAllowed": p.ipAllowed, "ipBlocked": p.ipBlocked,
         "ipLockFirst": String(p.ipLockFirst)]
    }
}
