import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// What a reseller has besides money: the extra packages it may sell, its brand domains and its
/// branding. Mapping and domains are the operator's; branding the reseller may change itself.
public enum ResellerExtras {
    // MARK: Extra Packages Mapping

    /// Lets the reseller sell an extra package, optionally at a credits price of its own, with a
    /// discount (percent) off that price.
    public static func mapExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, extraPackageID: Int,
                                       creditsPrice: String, discountPercent: String) async throws {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        try actor.require(.crm, in: deploymentID)
        var errors = FieldErrors()
        guard let package = try await ExtraPackageModel.find(extraPackageID, on: env.db),
              try await ProductModel.query(on: env.db).filter(\.$id == package.productID).filter(\.$deploymentID == deploymentID).first() != nil else {
            throw DomainError.validation(["extraPackage": "is not an extra package of this deployment"])
        }
        let bp = ResellerPricing.basisPoints(percent: discountPercent.isEmpty ? "0" : discountPercent)
        if bp == nil { errors.add("discount", "must be a percentage between 0 and 100, e.g. 10 or 12.5") }
        let trimmed = creditsPrice.trimmingCharacters(in: .whitespaces)
        let price = trimmed.isEmpty ? nil : Int64(trimmed)
        if !trimmed.isEmpty && (price == nil || price! < 0) { errors.add("creditsPrice", "must be a whole number of credits, or empty for the plan's price") }
        try errors.throwIfAny()
        try await env.write { db in
            try await ResellerExtraPackageModel.query(on: db).filter(\.$resellerID == resellerID).filter(\.$extraPackageID == extraPackageID).delete()
            let m = ResellerExtraPackageModel()
            m.resellerID = resellerID
            m.extraPackageID = extraPackageID
            m.creditsPrice = price
            m.discountBasisPoints = bp!
            try await m.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "map_extra_package",
                                          after: ["extraPackageId": String(extraPackageID), "creditsPrice": price.map(String.init), "discountBp": String(bp!)])
        }
    }

    public static func unmapExtraPackage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, extraPackageID: Int) async throws {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        try actor.require(.crm, in: deploymentID)
        try await env.write { db in
            try await ResellerExtraPackageModel.query(on: db).filter(\.$resellerID == resellerID).filter(\.$extraPackageID == extraPackageID).delete()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "unmap_extra_package", before: ["extraPackageId": String(extraPackageID)])
        }
    }

    public static func extraPackageMappings(_ env: ServiceEnvironment, resellerID: Int) async throws -> [ResellerExtraPackageModel] {
        try await ResellerExtraPackageModel.query(on: env.db).filter(\.$resellerID == resellerID).all()
    }

    // MARK: Domain Mapping

    /// Maps a hostname to the reseller. A hostname of this deployment that has no reseller yet is
    /// taken over (keeping its texts); any other existing name is refused.
    public static func addDomain(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, hostname: String) async throws -> HostnameModel {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        try actor.require(.crm, in: deploymentID)
        guard let host = BrandingRules.hostname(hostname) else {
            throw DomainError.validation(["hostname": "must be a host name such as tv.example.com (no http://, path or port)"])
        }
        let existing = try await HostnameModel.query(on: env.db).filter(\.$hostname == host).first()
        if let other = existing, other.deploymentID != deploymentID || other.resellerID != nil {
            throw DomainError(.conflict, code: "hostname_taken",
                              other.resellerID == resellerID ? "\(host) is already mapped to this reseller."
                                  : other.resellerID == nil ? "\(host) is already in use." : "\(host) already belongs to another reseller.")
        }
        if existing == nil { try await HostnameService.requireFree(host, on: env.db) }
        let d = existing ?? HostnameService.newRow(deploymentID: deploymentID, hostname: host, resellerID: resellerID)
        d.resellerID = resellerID
        try await env.write { db in
            try await d.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "add_domain", after: ["hostname": host])
        }
        return d
    }

    /// Removes the reseller's hostname (the address stops answering, as a removed mapping did).
    public static func removeDomain(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, domainID: Int) async throws {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        try actor.require(.crm, in: deploymentID)
        guard let d = try await HostnameModel.query(on: env.db).filter(\.$id == domainID).filter(\.$resellerID == resellerID).first() else {
            throw DomainError.notFound("The domain")
        }
        try await env.write { db in
            try await SuperHostnameServiceModel.query(on: db).filter(\.$hostnameID == domainID).delete()
            try await d.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "remove_domain", before: ["hostname": d.hostname])
        }
    }

    public static func domains(_ env: ServiceEnvironment, resellerID: Int) async throws -> [HostnameModel] {
        try await HostnameModel.query(on: env.db).filter(\.$resellerID == resellerID).sort(\.$hostname).all()
    }

    /// The reseller hostname `host` is, if any (apps and WebTV use it to pick the branding).
    public static func reseller(forHost host: String, on db: any Database) async throws -> HostnameModel? {
        guard let h = BrandingRules.hostname(host.split(separator: ":").first.map(String.init) ?? host) else { return nil }
        return try await HostnameModel.query(on: db).filter(\.$hostname == h).filter(\.$resellerID != nil).first()
    }

    // MARK: Branding

    public static let backgroundLimits = MediaService.Limits(maxBytes: 2 * 1024 * 1024, maxSide: 3840)
    public static let logoLimits = MediaService.Limits(maxBytes: 512 * 1024, maxSide: 1024)

    public struct BrandingInput: Sendable {
        public var selectionColour: String
        public var supportText: String
        public var background: [UInt8]? = nil
        public var logo: [UInt8]? = nil
        public var removeBackground = false
        public var removeLogo = false
        public init(selectionColour: String, supportText: String) {
            self.selectionColour = selectionColour
            self.supportText = supportText
        }
    }

    public static func branding(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int) async throws -> ResellerBrandingModel {
        _ = try await ResellerService.find(env, actor: actor, deploymentID: deploymentID, id: resellerID)
        if let b = try await ResellerBrandingModel.find(resellerID, on: env.db) { return b }
        let b = ResellerBrandingModel()
        b.id = resellerID
        b.selectionColour = ""
        b.supportText = ""
        return b
    }

    /// Saves the branding; uploaded images are checked by content and size before anything is
    /// written, so a bad file leaves the old branding as it was.
    public static func updateBranding(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, resellerID: Int, input: BrandingInput) async throws -> ResellerBrandingModel {
        let b = try await branding(env, actor: actor, deploymentID: deploymentID, resellerID: resellerID)
        var errors = FieldErrors()
        let colour = BrandingRules.colour(input.selectionColour)
        if colour == nil { errors.add("selectionColour", "must be a colour like #FF8800") }
        if input.supportText.count > BrandingRules.supportTextLimit { errors.add("supportText", "is longer than \(BrandingRules.supportTextLimit) characters") }
        var background: MediaAssetModel? = nil, logo: MediaAssetModel? = nil
        do {
            if let bytes = input.background, !bytes.isEmpty { background = try MediaService.image(bytes, deploymentID: deploymentID, limits: backgroundLimits, field: "background") }
        } catch let e as DomainError { errors.merge(e) }
        do {
            if let bytes = input.logo, !bytes.isEmpty { logo = try MediaService.image(bytes, deploymentID: deploymentID, limits: logoLimits, field: "logo") }
        } catch let e as DomainError { errors.merge(e) }
        try errors.throwIfAny()
        let newBackground = background, newLogo = logo
        let oldAssets = [input.removeBackground || background != nil ? b.backgroundID : nil, input.removeLogo || logo != nil ? b.logoID : nil].compactMap { $0 }
        b.selectionColour = colour!
        b.supportText = input.supportText
        if input.removeBackground { b.backgroundID = nil }
        if input.removeLogo { b.logoID = nil }
        if let background { b.backgroundID = background.id }
        if let logo { b.logoID = logo.id }
        try await env.write { db in
            if let newBackground { try await newBackground.create(on: db) }
            if let newLogo { try await newLogo.create(on: db) }
            try await b.save(on: db)
            // Replaced images are deleted; their URLs were immutable, so nothing else points at them.
            if !oldAssets.isEmpty { try await MediaAssetModel.query(on: db).filter(\.$id ~~ oldAssets).delete() }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "reseller", entityID: String(resellerID),
                                          action: "update_branding",
                                          after: ["selectionColour": b.selectionColour, "supportText": String(b.supportText.prefix(80)),
                                                  "background": b.backgroundID?.uuidString, "logo": b.logoID?.uuidString])
        }
        return b
    }
}
