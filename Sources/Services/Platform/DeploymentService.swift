import Domain
import FluentKit
import Foundation
import Storage

/// Deployments (the manual's CMS/CRM pairs): creation, settings (Time Zone, Company Info) and the
/// business-API `authToken`, which is shown once and stored as a digest.
public enum DeploymentService {
    public struct Input: Sendable {
        public var name: String
        public var cmsService: String
        public var crmService: String
        public var timeZone: String
        public var defaultCurrency: String
        public init(name: String, cmsService: String, crmService: String, timeZone: String, defaultCurrency: String) {
            self.name = name
            self.cmsService = cmsService
            self.crmService = crmService
            self.timeZone = timeZone
            self.defaultCurrency = defaultCurrency
        }
    }

    public struct Settings: Sendable {
        public var name: String
        public var timeZone: String
        public var defaultCurrency: String
        public var companyName: String
        public var companyAddress: String
        public var companyEmail: String
        public var companyPhone: String
        public var companyWebsite: String
        public init(name: String, timeZone: String, defaultCurrency: String, companyName: String,
                    companyAddress: String, companyEmail: String, companyPhone: String, companyWebsite: String) {
            self.name = name
            self.timeZone = timeZone
            self.defaultCurrency = defaultCurrency
            self.companyName = companyName
            self.companyAddress = companyAddress
            self.companyEmail = companyEmail
            self.companyPhone = companyPhone
            self.companyWebsite = companyWebsite
        }
        public init(_ d: DeploymentModel) {
            self.init(name: d.name, timeZone: d.timeZone, defaultCurrency: d.defaultCurrency, companyName: d.companyName,
                      companyAddress: d.companyAddress, companyEmail: d.companyEmail, companyPhone: d.companyPhone,
                      companyWebsite: d.companyWebsite)
        }
    }

    /// A deployment together with its freshly made token, which the caller shows exactly once.
    public struct Created: Sendable {
        public var deployment: DeploymentModel
        public var authToken: String
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal) async throws -> [DeploymentModel] {
        try actor.require(.viewHome)
        let q = DeploymentModel.query(on: env.db).sort(\.$name)
        if !actor.seesAllDeployments { q.filter(\.$id ~~ Array(actor.deploymentIDs)) }
        return try await q.all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, id: UUID) async throws -> DeploymentModel {
        guard actor.canAccess(deployment: id), let d = try await DeploymentModel.find(id, on: env.db) else {
            throw DomainError.notFound("The deployment")
        }
        return d
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, input: Input, authToken: String? = nil) async throws -> Created {
        try actor.require(.createDeployments)
        var errors = FieldErrors()
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let cms = input.cmsService.trimmingCharacters(in: .whitespaces).lowercased()
        let crm = input.crmService.trimmingCharacters(in: .whitespaces).lowercased()
        if name.isEmpty { errors.add("name", "is required") }
        if !Validation.isServiceName(cms) { errors.add("cmsService", "must be 3–40 lowercase letters, digits, '-' or '_', starting with a letter") }
        if !Validation.isServiceName(crm) { errors.add("crmService", "must be 3–40 lowercase letters, digits, '-' or '_', starting with a letter") }
        if !Validation.isTimeZone(input.timeZone) { errors.add("timeZone", "must be an IANA time zone such as Europe/Amsterdam") }
        if CurrencyCode(input.defaultCurrency) == nil || input.defaultCurrency.uppercased() == "CREDITS" {
            errors.add("defaultCurrency", "must be a three-letter ISO currency code such as EUR")
        }
        // Names must be unique across both columns: a billing system sends either one.
        if errors.all["cmsService"] == nil,
           try await DeploymentModel.query(on: env.db).group(.or, { $0.filter(\.$cmsService == cms).filter(\.$crmService == cms) }).first() != nil {
            errors.add("cmsService", "is already used by another deployment")
        }
        if errors.all["crmService"] == nil,
           try await DeploymentModel.query(on: env.db).group(.or, { $0.filter(\.$crmService == crm).filter(\.$cmsService == crm) }).first() != nil {
            errors.add("crmService", "is already used by another deployment")
        }
        if cms == crm && errors.all["crmService"] == nil { errors.add("crmService", "must differ from cmsService") }
        try errors.throwIfAny()
        let token = authToken ?? Secrets.generate(prefix: "tvms_api_")
        let d = DeploymentModel(name: name, cmsService: cms, crmService: crm, timeZone: input.timeZone,
                                defaultCurrency: input.defaultCurrency.uppercased(),
                                authTokenHash: Secrets.digest(token), authTokenHint: Secrets.hint(token))
        d.authTokenRotatedAt = env.now
        let now = env.now
        try await env.write { db in
            try await d.create(on: db)
            // The default currency is also the first entry of CRM Settings › Currencies.
            try await CurrencyModel(deploymentID: d.requireID(), code: d.defaultCurrency,
                                    name: CurrencyService.known[d.defaultCurrency]?.0 ?? d.defaultCurrency,
                                    symbol: CurrencyService.known[d.defaultCurrency]?.1 ?? d.defaultCurrency, isDefault: true).create(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: d.id, entityType: "deployment",
                                          entityID: d.id!.uuidString, action: "create", after: snapshot(d))
        }
        return Created(deployment: d, authToken: token)
    }

    public static func updateSettings(_ env: ServiceEnvironment, actor: Principal, id: UUID, settings s: Settings) async throws -> DeploymentModel {
        try actor.require(.manageDeploymentSettings, in: id)
        let d = try await find(env, actor: actor, id: id)
        var errors = FieldErrors()
        let name = s.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty { errors.add("name", "is required") }
        if !Validation.isTimeZone(s.timeZone) { errors.add("timeZone", "must be an IANA time zone such as Europe/Amsterdam") }
        if CurrencyCode(s.defaultCurrency) == nil || s.defaultCurrency.uppercased() == "CREDITS" {
            errors.add("defaultCurrency", "must be a three-letter ISO currency code such as EUR")
        }
        if !s.companyEmail.isEmpty && !Validation.isEmail(s.companyEmail) { errors.add("companyEmail", "is not an e-mail address") }
        try errors.throwIfAny()
        let before = snapshot(d)
        d.name = name
        d.timeZone = s.timeZone
        d.defaultCurrency = s.defaultCurrency.uppercased()
        d.companyName = s.companyName.trimmingCharacters(in: .whitespacesAndNewlines)
        d.companyAddress = s.companyAddress.trimmingCharacters(in: .whitespacesAndNewlines)
        d.companyEmail = s.companyEmail.trimmingCharacters(in: .whitespacesAndNewlines)
        d.companyPhone = s.companyPhone.trimmingCharacters(in: .whitespacesAndNewlines)
        d.companyWebsite = s.companyWebsite.trimmingCharacters(in: .whitespacesAndNewlines)
        let now = env.now
        let currency = d.defaultCurrency
        try await env.write { db in
            try await d.save(on: db)
            // Keep CRM Settings › Currencies in step with the deployment's default currency.
            if try await CurrencyModel.query(on: db).filter(\.$deploymentID == id).filter(\.$code == currency).first() == nil {
                try await CurrencyModel(deploymentID: id, code: currency, name: CurrencyService.known[currency]?.0 ?? currency,
                                        symbol: CurrencyService.known[currency]?.1 ?? currency, isDefault: false).create(on: db)
            }
            try await CurrencyModel.query(on: db).filter(\.$deploymentID == id).set(\.$isDefault, to: false).update()
            try await CurrencyModel.query(on: db).filter(\.$deploymentID == id).filter(\.$code == currency).set(\.$isDefault, to: true).update()
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: id, entityType: "deployment",
                                          entityID: id.uuidString, action: "update", before: before, after: snapshot(d))
        }
        return d
    }

    /// Replaces the business-API token. The old one stops working at once; the new one is returned
    /// to be shown a single time.
    public static func rotateAuthToken(_ env: ServiceEnvironment, actor: Principal, id: UUID) async throws -> String {
        try actor.require(.manageDeploymentSettings, in: id)
        let d = try await find(env, actor: actor, id: id)
        let token = Secrets.generate(prefix: "tvms_api_")
        d.authTokenHash = Secrets.digest(token)
        d.authTokenHint = Secrets.hint(token)
        d.authTokenRotatedAt = env.now
        let now = env.now
        try await env.write { db in
            try await d.save(on: db)
            try await AuditService.record(on: db, at: now, actor: actor, deploymentID: id, entityType: "deployment",
                                          entityID: id.uuidString, action: "rotate_auth_token",
                                          after: ["authToken": "rotated", "authTokenHint": d.authTokenHint])
        }
        return token
    }

    /// Finds the deployment a business-API call addresses, checking its token in constant time.
    public static func authenticateBusinessAPI(_ env: ServiceEnvironment, crmService: String?, cmsService: String?, authToken: String) async throws -> DeploymentModel? {
        let digest = Secrets.digest(authToken)
        guard let d = try await DeploymentModel.query(on: env.db).filter(\.$authTokenHash == digest).first(),
              Secrets.equalDigests(d.authTokenHash, digest) else { return nil }
        if let crm = crmService, !crm.isEmpty, crm.lowercased() != d.crmService { return nil }
        if let cms = cmsService, !cms.isEmpty, cms.lowercased() != d.cmsService { return nil }
        return d
    }

    static func snapshot(_ d: DeploymentModel) -> [String: String?] {
        ["name": d.name, "cmsService": d.cmsService, "crmService": d.crmService, "timeZone": d.timeZone,
         "defaultCurrency": d.defaultCurrency, "companyName": d.companyName, "companyAddress": d.companyAddress,
         "companyEmail": d.companyEmail, "companyPhone": d.companyPhone, "companyWebsite": d.companyWebsite]
    }
}
