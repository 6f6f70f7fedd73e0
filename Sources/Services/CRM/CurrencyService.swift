import Domain
import FluentKit
import Foundation
import Storage

/// CRM Settings › Currencies: the ISO currencies a deployment sells in, plus Credits.
public enum CurrencyService {
    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [CurrencyModel] {
        try actor.require(.crm, in: deploymentID)
        return try await CurrencyModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$code).all()
    }

    public static func codes(_ db: any Database, deploymentID: UUID) async throws -> Set<String> {
        Set(try await CurrencyModel.query(on: db).filter(\.$deploymentID == deploymentID).all().map(\.code))
    }

    /// Well-known names and symbols so the operator only types the code.
    static let known: [String: (String, String)] = [
        "EUR": ("Euro", "€"), "USD": ("US dollar", "$"), "GBP": ("Pound sterling", "£"), "CHF": ("Swiss franc", "CHF"),
        "TRY": ("Turkish lira", "₺"), "INR": ("Indian rupee", "₹"), "BRL": ("Brazilian real", "R$"), "XAF": ("CFA franc BEAC", "FCFA"),
        "CREDITS": ("Credits", "CR"),
    ]

    public static func add(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code raw: String, name: String?, symbol: String?) async throws -> CurrencyModel {
        try actor.require(.crm, in: deploymentID)
        guard let code = CurrencyCode(raw) else {
            throw DomainError.validation(["code": "must be a three-letter ISO 4217 code such as EUR, or CREDITS"])
        }
        if try await CurrencyModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$code == code.code).first() != nil {
            throw DomainError.validation(["code": "is already in the list"])
        }
        let k = known[code.code]
        let c = CurrencyModel(deploymentID: deploymentID, code: code.code,
                              name: (name?.isEmpty == false ? name! : k?.0 ?? code.code),
                              symbol: (symbol?.isEmpty == false ? symbol! : k?.1 ?? code.code), isDefault: false)
        try await env.write { db in
            try await c.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "currency",
                                          entityID: code.code, action: "create", after: ["code": code.code, "name": c.name])
        }
        return c
    }

    /// Makes `code` the default; Credits cannot be the default selling currency.
    public static func setDefault(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code: String) async throws {
        try actor.require(.crm, in: deploymentID)
        guard code != CurrencyCode.credits.code,
              try await CurrencyModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$code == code).first() != nil else {
            throw DomainError(.invalid, code: "bad_currency", "Only an ISO currency in this deployment's list can be the default.")
        }
        try await env.write { db in
            try await CurrencyModel.query(on: db).filter(\.$deploymentID == deploymentID).set(\.$isDefault, to: false).update()
            try await CurrencyModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$code == code).set(\.$isDefault, to: true).update()
            try await DeploymentModel.query(on: db).filter(\.$id == deploymentID).set(\.$defaultCurrency, to: code).update()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "currency",
                                          entityID: code, action: "set_default")
        }
    }

    /// Removes a currency nobody uses: not the default, no plan price, no customer.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code: String) async throws {
        try actor.require(.crm, in: deploymentID)
        guard let c = try await CurrencyModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$code == code).first() else {
            throw DomainError.notFound("The currency")
        }
        if c.isDefault { throw DomainError(.conflict, code: "currency_default", "\(code) is the default currency; make another one the default first.") }
        let customers = try await CustomerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$currency == code).count()
        let productIDs = try await ProductModel.query(on: env.db).filter(\.$deploymentID == deploymentID).all().compactMap(\.id)
        let planIDs = try await PaymentPlanModel.query(on: env.db).filter(\.$productID ~~ productIDs).all().compactMap(\.id)
        let prices = try await PlanPriceModel.query(on: env.db).filter(\.$planID ~~ planIDs).filter(\.$currency == code).count()
        if customers > 0 || prices > 0 {
            throw DomainError(.conflict, code: "currency_in_use",
                              "\(code) is used by \(prices) plan price(s) and \(customers) customer(s); remove those prices and move those customers first.")
        }
        try await env.write { db in
            try await c.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "currency",
                                          entityID: code, action: "delete")
        }
    }
}
