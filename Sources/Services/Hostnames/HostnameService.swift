import Domain
import FluentKit
import Foundation
import Storage

/// UIT › Hostnames: the addresses a deployment's apps and WebTV sites are configured with, what
/// their login screens show and how subscribers may sign in there. Every read and write is scoped
/// to the caller's deployment; a hostname is unique across the installation (regular and super
/// hostnames share one name space, so an address always means one thing).
public enum HostnameService {
    public struct Input: Sendable {
        public var hostname: String
        public var resellerID: Int?
        public var defaultUIID: UUID?
        /// Language code → text; empty texts are dropped.
        public var loginTexts: [String: String] = [:]
        public var disclaimers: [String: String] = [:]
        public var supportEmail = ""
        public var supportPhone = ""
        public var supportWebsite = ""
        public var supportText = ""
        /// Raw values of `DevicePlatform`.
        public var platforms: [String] = DevicePlatform.allCases.map(\.rawValue)
        /// Raw values of `AuthMethod`; at least one.
        public var authMethods: [String] = AuthMethod.allCases.map(\.rawValue)
        public var androidStoreURL = ""
        public var iosStoreURL = ""
        public init(hostname: String) { self.hostname = hostname }
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [HostnameModel] {
        try actor.require(.uit, in: deploymentID)
        return try await HostnameModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$hostname).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> HostnameModel {
        try actor.require(.uit, in: deploymentID)
        // Another deployment's hostname answers like a missing one.
        guard let h = try await HostnameModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The hostname")
        }
        return h
    }

    /// The resellers a hostname of this deployment may belong to.
    public static func resellerChoices(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [ResellerModel] {
        try actor.require(.uit, in: deploymentID)
        return try await ResellerModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    /// The languages this deployment's hostnames have texts in, English first.
    public static func languages(on db: any Database, deploymentID: UUID) async throws -> [String] {
        // The deployment's app languages (UIT › Languages), and any a hostname already has texts in.
        var codes = Set(try await UILanguageModel.query(on: db).filter(\.$deploymentID == deploymentID).all().map(\.code))
        for h in try await HostnameModel.query(on: db).filter(\.$deploymentID == deploymentID).all() {
            codes.formUnion(h.loginTextsByLanguage.keys)
            codes.formUnion(h.disclaimersByLanguage.keys)
        }
        codes.remove("en")
        return ["en"] + codes.sorted()
    }

    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, input: Input) async throws -> HostnameModel {
        try actor.require(.uit, in: deploymentID)
        let h = HostnameModel()
        h.deploymentID = deploymentID
        try await apply(env, input, to: h, deploymentID: deploymentID)
        try await env.write { db in
            try await h.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "hostname", entityID: String(h.id!),
                                          action: "create", after: snapshot(h))
        }
        return h
    }

    public static func update(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, input: Input) async throws -> HostnameModel {
        let h = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let before = snapshot(h)
        try await apply(env, input, to: h, deploymentID: deploymentID)
        try await env.write { db in
            try await h.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "hostname", entityID: String(id),
                                          action: "update", before: before, after: snapshot(h))
        }
        return h
    }

    /// Removes the hostname and the super-hostname service ids that pointed at it.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let h = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        try await env.write { db in
            try await SuperHostnameServiceModel.query(on: db).filter(\.$hostnameID == id).delete()
            try await h.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "hostname", entityID: String(id),
                                          action: "delete", before: snapshot(h))
        }
    }

    /// Refuses a name that is already a hostname or a super hostname (other than `except`).
    static func requireFree(_ host: String, on db: any Database, exceptHostname except: Int? = nil) async throws {
        if let other = try await HostnameModel.query(on: db).filter(\.$hostname == host).first(), other.id != except {
            throw DomainError(.conflict, code: "hostname_taken", "\(host) is already in use.", fields: ["hostname": "is already in use"])
        }
        if try await SuperHostnameModel.query(on: db).filter(\.$hostname == host).first() != nil {
            throw DomainError(.conflict, code: "hostname_taken", "\(host) is a super hostname.", fields: ["hostname": "is a super hostname"])
        }
    }

    /// Checks every field and writes the normalised values into `h`; nothing is written when
    /// anything is wrong.
    static func apply(_ env: ServiceEnvironment, _ input: Input, to h: HostnameModel, deploymentID: UUID) async throws {
        var errors = FieldErrors()
        let host = BrandingRules.hostname(input.hostname)
        if host == nil { errors.add("hostname", "must be a host name such as tv.example.com (no http://, path or port)") }
        if let r = input.resellerID,
           try await ResellerModel.query(on: env.db).filter(\.$id == r).filter(\.$deploymentID == deploymentID).first() == nil {
            errors.add("reseller", "is not a reseller of this deployment")
        }
        if let ui = input.defaultUIID, let problem = try await DefaultUIChoice.problem(env, deploymentID: deploymentID, id: ui) {
            errors.add(DefaultUIChoice.field, problem)
        }
        func texts(_ raw: [String: String], field: String) -> [String: String] {
            var out: [String: String] = [:]
            for (code, text) in raw {
                let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
                if t.isEmpty { continue }
                guard let c = HostnameRules.languageCode(code) else { errors.add(field, "has a language code that is not one (\(code)); use e.g. en, ar or pt-br"); continue }
                if t.count > HostnameRules.textLimit { errors.add(field, "is longer than \(HostnameRules.textLimit) characters in \(c)") }
                out[c] = t
            }
            return out
        }
        let login = texts(input.loginTexts, field: "loginTexts")
        let disclaimers = texts(input.disclaimers, field: "disclaimers")
        let email = HostnameRules.email(input.supportEmail)
        if email == nil { errors.add("supportEmail", "must be an e-mail address") }
        let website = HostnameRules.url(input.supportWebsite)
        if website == nil { errors.add("supportWebsite", "must be a web address starting with https://") }
        let android = HostnameRules.url(input.androidStoreURL)
        if android == nil { errors.add("androidStoreURL", "must be a web address starting with https://") }
        let ios = HostnameRules.url(input.iosStoreURL)
        if ios == nil { errors.add("iosStoreURL", "must be a web address starting with https://") }
        if input.supportPhone.count > 40 { errors.add("supportPhone", "is longer than 40 characters") }
        if input.supportText.count > HostnameRules.textLimit { errors.add("supportText", "is longer than \(HostnameRules.textLimit) characters") }
        let platforms = input.platforms.compactMap(DevicePlatform.init(rawValue:))
        if platforms.count != input.platforms.count { errors.add("platforms", "has an unknown platform") }
        let methods = input.authMethods.compactMap(AuthMethod.init(rawValue:))
        if methods.count != input.authMethods.count { errors.add("authMethods", "has an unknown sign-in method") }
        if methods.isEmpty { errors.add("authMethods", "needs at least one sign-in method") }
        try errors.throwIfAny()
        try await requireFree(host!, on: env.db, exceptHostname: h.id)
        h.hostname = host!
        h.resellerID = input.resellerID
        h.defaultUIID = input.defaultUIID
        h.loginTexts = HostnameModel.encode(login)
        h.disclaimers = HostnameModel.encode(disclaimers)
        h.supportEmail = email!
        h.supportPhone = input.supportPhone.trimmingCharacters(in: .whitespaces)
        h.supportWebsite = website!
        h.supportText = input.supportText.trimmingCharacters(in: .whitespacesAndNewlines)
        h.platforms = HostnameRules.stored(DevicePlatform.allCases.filter(platforms.contains))
        h.authMethods = HostnameRules.stored(AuthMethod.allCases.filter(methods.contains))
        h.androidStoreURL = android!
        h.iosStoreURL = ios!
    }

    static func snapshot(_ h: HostnameModel) -> [String: String?] {
        ["hostname": h.hostname, "resellerId": h.resellerID.map(String.init), "defaultUiId": h.defaultUIID?.uuidString,
         "loginTexts": h.loginTexts, "disclaimers": h.disclaimers, "supportEmail": h.supportEmail, "supportPhone": h.supportPhone,
         "supportWebsite": h.supportWebsite, "supportText": String(h.supportText.prefix(200)), "platforms": h.platforms, "authMethods": h.authMethods,
         "androidStoreUrl": h.androidStoreURL, "iosStoreUrl": h.iosStoreURL]
    }

    /// A new hostname row with the defaults a reseller domain mapping had: every platform and
    /// every sign-in method, no texts of its own.
    static func newRow(deploymentID: UUID, hostname: String, resellerID: Int?) -> HostnameModel {
        let h = HostnameModel()
        h.deploymentID = deploymentID
        h.resellerID = resellerID
        h.hostname = hostname
        h.loginTexts = "{}"
        h.disclaimers = "{}"
        h.supportEmail = ""
        h.supportPhone = ""
        h.supportWebsite = ""
        h.supportText = ""
        h.platforms = HostnameRules.stored(DevicePlatform.allCases)
        h.authMethods = HostnameRules.stored(AuthMethod.allCases)
        h.androidStoreURL = ""
        h.iosStoreURL = ""
        return h
    }
}

/// The check of a hostname's default UI: one of the same deployment's user interfaces.
public enum DefaultUIChoice {
    public static let field = "defaultUI"

    /// Why `id` cannot be this deployment's default UI, or nil when it can.
    public static func problem(_ env: ServiceEnvironment, deploymentID: UUID, id: UUID) async throws -> String? {
        try await UserInterfaceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id == id).first() == nil
            ? "is not one of this deployment's user interfaces" : nil
    }
}
