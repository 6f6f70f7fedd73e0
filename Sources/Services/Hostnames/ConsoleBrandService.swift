import Crypto
import Domain
import FluentKit
import Foundation
import Storage

/// White labelling of the operator console: the installation's brand (Top panel › White
/// Labelling, owner only) and a brand per reseller (the reseller's page), with an optional custom
/// console domain each. It is the console's look, not the TV apps' (that is hostnames' and
/// resellers' app branding).
public enum ConsoleBrandService {
    public static let logoLimits = MediaService.Limits(maxBytes: 256 * 1024, maxSide: 800)
    public static let defaultName = "TVMS"

    public struct Input: Sendable {
        public var name: String
        public var primaryColour: String
        public var supportContact: String
        public var consoleDomain: String
        public var logo: [UInt8]? = nil
        public var removeLogo = false
        public init(name: String, primaryColour: String, supportContact: String, consoleDomain: String) {
            self.name = name
            self.primaryColour = primaryColour
            self.supportContact = supportContact
            self.consoleDomain = consoleDomain
        }
    }

    /// What a console page shows, after falling back field by field.
    public struct Brand: Sendable, Equatable {
        public var name: String
        /// "#RRGGBB" or empty for the console's own colour.
        public var primaryColour: String
        public var supportContact: String
        /// Where the logo is served, versioned by its content; nil without a logo.
        public var logoPath: String?
        /// Which brand row answered: nil for the installation (or TVMS's own look).
        public var resellerID: Int?
    }

    static func empty(resellerID: Int?) -> ConsoleBrandModel {
        let b = ConsoleBrandModel()
        b.resellerID = resellerID
        b.name = ""
        b.primaryColour = ""
        b.supportContact = ""
        b.logoType = ""
        b.logoSHA256 = ""
        return b
    }

    static func stored(resellerID: Int?, on db: any Database) async throws -> ConsoleBrandModel? {
        let q = ConsoleBrandModel.query(on: db)
        if let resellerID { q.filter(\.$resellerID == resellerID) } else { q.filter(\.$resellerID == nil) }
        return try await q.first()
    }

    /// The installation's brand (owner only).
    public static func installation(_ env: ServiceEnvironment, actor: Principal) async throws -> ConsoleBrandModel {
        try actor.require(.manageSystemUsers)
        return try await stored(resellerID: nil, on: env.db) ?? empty(resellerID: nil)
    }

    /// A reseller's console brand, shown on the reseller's page to the deployment's operators (CRM).
    public static func reseller(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int) async throws -> ConsoleBrandModel {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        try actor.require(.crm, in: deploymentID)
        return try await stored(resellerID: resellerID, on: env.db) ?? empty(resellerID: resellerID)
    }

    /// Every reseller brand of the installation, for the owner's overview.
    public static func resellerBrands(_ env: ServiceEnvironment, actor: Principal) async throws -> [(ConsoleBrandModel, ResellerModel)] {
        try actor.require(.manageSystemUsers)
        let brands = try await ConsoleBrandModel.query(on: env.db).filter(\.$resellerID != nil).all()
        let resellers = Dictionary(uniqueKeysWithValues: try await ResellerModel.query(on: env.db).filter(\.$id ~~ brands.compactMap(\.resellerID)).all().map { ($0.id!, $0) })
        return brands.compactMap { b in resellers[b.resellerID!].map { (b, $0) } }.sorted { $0.1.name < $1.1.name }
    }

    public static func saveInstallation(_ env: ServiceEnvironment, actor: Principal, input: Input) async throws -> ConsoleBrandModel {
        let b = try await installation(env, actor: actor)
        return try await save(env, actor: actor, b, deploymentID: nil, input: input)
    }

    /// Only the owner changes it: a console domain decides what the login page on that address
    /// looks like, so a deployment's admin could otherwise dress another address of the
    /// installation in a reseller's brand.
    public static func saveReseller(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, input: Input) async throws -> ConsoleBrandModel {
        try actor.require(.manageSystemUsers)
        let b = try await reseller(env, actor: actor, deploymentID: deploymentID, resellerID: resellerID)
        return try await save(env, actor: actor, b, deploymentID: deploymentID, input: input)
    }

    /// Validates everything (the logo by its bytes) before writing, so a refused form leaves the
    /// old brand as it was.
    static func save(_ env: ServiceEnvironment, actor: Principal, _ b: ConsoleBrandModel, deploymentID: UUID?, input: Input) async throws -> ConsoleBrandModel {
        var errors = FieldErrors()
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.count > 60 { errors.add("name", "is longer than 60 characters") }
        let colour = BrandingRules.colour(input.primaryColour)
        if colour == nil { errors.add("primaryColour", "must be a colour like #FF8800") }
        let contact = input.supportContact.trimmingCharacters(in: .whitespaces)
        if contact.count > 200 { errors.add("supportContact", "is longer than 200 characters") }
        let rawDomain = input.consoleDomain.trimmingCharacters(in: .whitespaces)
        let domain = rawDomain.isEmpty ? nil : BrandingRules.hostname(rawDomain)
        if !rawDomain.isEmpty && domain == nil { errors.add("consoleDomain", "must be a host name such as console.example.com (no http://, path or port)") }
        var logo: (type: String, bytes: [UInt8])? = nil
        if let bytes = input.logo, !bytes.isEmpty {
            do { logo = (try MediaService.checkedImage(bytes, limits: logoLimits, field: "logo").contentType, bytes) } catch let e as DomainError { errors.merge(e) }
        }
        try errors.throwIfAny()
        if let domain, let other = try await ConsoleBrandModel.query(on: env.db).filter(\.$consoleDomain == domain).first(), other.id != b.id {
            throw DomainError(.conflict, code: "console_domain_taken", "\(domain) is already another brand's console domain.",
                              fields: ["consoleDomain": "is already another brand's console domain"])
        }
        b.name = name
        b.primaryColour = colour!
        b.supportContact = contact
        b.consoleDomain = domain
        if input.removeLogo { b.logoData = nil; b.logoType = ""; b.logoSHA256 = "" }
        if let logo {
            b.logoData = Data(logo.bytes)
            b.logoType = logo.type
            b.logoSHA256 = Hex.encode(SHA256.hash(data: logo.bytes))
        }
        try await env.write { db in
            try await b.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: b.resellerID == nil ? "white_label" : "reseller",
                                          entityID: b.resellerID.map(String.init) ?? "installation", action: "update_console_brand",
                                          after: ["name": b.name, "primaryColour": b.primaryColour, "supportContact": b.supportContact,
                                                  "consoleDomain": b.consoleDomain, "logo": b.logoSHA256.isEmpty ? nil : String(b.logoSHA256.prefix(12))])
        }
        return b
    }

    /// The brand a console request shows: a signed-in reseller sees its own; anyone else sees
    /// the brand whose console domain the request came in on; otherwise the installation's.
    public static func resolve(on db: any Database, host: String?, resellerID: Int?) async throws -> Brand {
        let installation = try await stored(resellerID: nil, on: db)
        var own: ConsoleBrandModel? = nil
        if let resellerID { own = try await stored(resellerID: resellerID, on: db) }
        if own == nil, let host, let name = BrandingRules.hostname(String(host.split(separator: ":").first ?? "")) {
            own = try await ConsoleBrandModel.query(on: db).filter(\.$consoleDomain == name).first()
        }
        func pick(_ key: KeyPath<ConsoleBrandModel, String>) -> String {
            if let own, !own[keyPath: key].isEmpty { return own[keyPath: key] }
            return installation?[keyPath: key] ?? ""
        }
        let logoOwner = [own, installation].compactMap { $0 }.first { $0.logoData != nil }
        let name = pick(\.name)
        return Brand(name: name.isEmpty ? defaultName : name, primaryColour: pick(\.primaryColour), supportContact: pick(\.supportContact),
                     logoPath: logoOwner.map { "/console-brand/\($0.id!)/logo?v=\($0.logoSHA256.prefix(16))" },
                     resellerID: own?.resellerID)
    }

    /// A brand's logo bytes and type, for the public logo route.
    public static func logo(on db: any Database, brandID: Int) async throws -> (Data, String)? {
        guard let b = try await ConsoleBrandModel.find(brandID, on: db), let data = b.logoData else { return nil }
        return (data, b.logoType)
    }
}
