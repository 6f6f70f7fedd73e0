import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// Content packages of every kind, their items, and the products and extra packages that grant
/// them (the visibility chain: item → package → product or extra package → customer).
public enum PackageService {
    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, kind: ContentKind, name: String, description: String) async throws -> ContentPackageModel {
        try actor.require(.cms, in: deploymentID)
        let n = name.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if n.isEmpty { errors.add("name", "is required") }
        else if try await ContentPackageModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$kind == kind.rawValue).filter(\.$name == n).first() != nil {
            errors.add("name", "\(n) already exists")
        }
        try errors.throwIfAny()
        let p = ContentPackageModel()
        p.deploymentID = deploymentID
        p.kind = kind.rawValue
        p.name = n
        p.description = description
        try await env.write { db in
            try await p.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "package", entityID: String(p.id!),
                                          action: "create", after: ["kind": kind.rawValue, "name": n])
        }
        return p
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, kind: ContentKind? = nil) async throws -> [ContentPackageModel] {
        try actor.require(.cms, in: deploymentID)
        let q = ContentPackageModel.query(on: env.db).filter(\.$deploymentID == deploymentID)
        if let kind { q.filter(\.$kind == kind.rawValue) }
        return try await q.sort(\.$name).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> ContentPackageModel {
        try actor.require(.cms, in: deploymentID)
        guard let p = try await ContentPackageModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The package")
        }
        return p
    }

    public static func items(_ env: ServiceEnvironment, packageID: Int) async throws -> [Int] {
        try await PackageItemModel.query(on: env.db).filter(\.$packageID == packageID).sort(\.$position).sort(\.$id).all().map(\.itemID)
    }

    /// Adds items (ids of the package's kind, of this deployment) at the end; ones already in it
    /// stay. An item sold by pay-per-view is refused: an item is sold one way only.
    public static func add(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, packageID: Int, items: [Int]) async throws -> Int {
        let p = try await find(env, actor: actor, deploymentID: deploymentID, id: packageID)
        let wanted = Array(Set(items))
        var ppvTitles: [String] = []
        let validCount: Int
        if p.kind == ContentKind.channel.rawValue {
            var found: [ChannelModel] = []
            for chunk in wanted.chunked(500) { found += try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ chunk).all() }
            validCount = found.count
            ppvTitles = found.filter { $0.ppvRuleID != nil }.map(\.name)
        } else {
            let rootKinds = VoDKind.allCases.filter { $0.packageKind?.rawValue == p.kind }.map(\.rawValue)
            var found: [VoDItemModel] = []
            for chunk in wanted.chunked(500) {
                found += try await VoDItemModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ chunk).filter(\.$kind ~~ rootKinds).all()
            }
            validCount = found.count
            ppvTitles = found.filter { $0.ppvRuleID != nil }.map(\.title)
            // A series is sold with its seasons: one sold by PPV keeps the series out of packages.
            let seriesIDs = found.filter { $0.kind == VoDKind.series.rawValue }.compactMap(\.id)
            if !seriesIDs.isEmpty {
                var ppvSeasons: [VoDItemModel] = []
                for chunk in seriesIDs.chunked(500) { ppvSeasons += try await VoDItemModel.query(on: env.db).filter(\.$parentID ~~ chunk).filter(\.$ppvRuleID != nil).all() }
                ppvTitles += found.filter { s in ppvSeasons.contains { $0.parentID == s.id } }.map { "\($0.title) (a season is PPV)" }
            }
        }
        guard validCount == wanted.count else { throw DomainError.validation(["items": "some ids are not \(ContentKind(rawValue: p.kind)?.label.lowercased() ?? p.kind) of this deployment"]) }
        guard ppvTitles.isEmpty else {
            throw DomainError(.conflict, code: "sold_by_ppv", "Sold by pay-per-view, so not in a subscription package: \(ppvTitles.sorted().joined(separator: ", ")). An item is sold one way; add it twice to offer both.")
        }
        let present = Set(try await self.items(env, packageID: packageID))
        let new = items.reduce(into: [Int]()) { if !present.contains($1) && !$0.contains($1) { $0.append($1) } }
        guard !new.isEmpty else { return 0 }
        try await env.write { db in
            let start = (try await PackageItemModel.query(on: db).filter(\.$packageID == packageID).max(\.$position) ?? 0) + 1
            // Multi-row inserts: a package of 100,000 movies is added in seconds, not minutes.
            for (c, chunk) in new.chunked(500).enumerated() {
                var insert = db.sql.insert(into: PackageItemModel.schema).columns("package_id", "item_id", "position")
                for (i, item) in chunk.enumerated() { insert = insert.values(SQLBind(packageID), SQLBind(item), SQLBind(start + c * 500 + i)) }
                try await insert.run()
            }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "package", entityID: String(packageID),
                                          action: "add_items", after: ["items": new.map(String.init).joined(separator: ",")])
        }
        return new.count
    }

    public static func remove(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, packageID: Int, item: Int) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: packageID)
        try await env.write { db in
            try await PackageItemModel.query(on: db).filter(\.$packageID == packageID).filter(\.$itemID == item).delete()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "package", entityID: String(packageID),
                                          action: "remove_item", before: ["item": String(item)])
        }
    }

    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let p = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let grants = try await PackageGrantModel.query(on: env.db).filter(\.$packageID == id).count()
        guard grants == 0 else {
            throw DomainError(.conflict, code: "package_in_use", "\(p.name) is in \(grants) product(s) or extra package(s); take it out there first.")
        }
        try await env.write { db in
            try await p.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "package", entityID: String(id),
                                          action: "delete", before: ["name": p.name])
        }
    }

    // MARK: Grants

    /// The content packages a product (or a CRM extra package) grants, replaced as a whole.
    public static func setGrants(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, productID: Int?, extraPackageID: Int?, packages: [Int]) async throws {
        try actor.require(.crm, in: deploymentID)
        if let productID {
            guard try await ProductModel.query(on: env.db).filter(\.$id == productID).filter(\.$deploymentID == deploymentID).first() != nil else {
                throw DomainError.notFound("The product")
            }
        }
        if let extraPackageID {
            guard let e = try await ExtraPackageModel.find(extraPackageID, on: env.db),
                  try await ProductModel.query(on: env.db).filter(\.$id == e.productID).filter(\.$deploymentID == deploymentID).first() != nil else {
                throw DomainError.notFound("The extra package")
            }
        }
        let valid = try await ContentPackageModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ packages).count()
        guard valid == Set(packages).count else { throw DomainError.validation(["packages": "some ids are not content packages of this deployment"]) }
        try await env.write { db in
            let q = PackageGrantModel.query(on: db)
            if let productID { q.filter(\.$productID == productID) } else { q.filter(\.$extraPackageID == extraPackageID) }
            try await q.delete()
            for id in Set(packages) {
                let g = PackageGrantModel()
                g.packageID = id
                g.productID = productID
                g.extraPackageID = extraPackageID
                try await g.create(on: db)
            }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: productID != nil ? "product" : "extra_package",
                                          entityID: String(productID ?? extraPackageID ?? 0), action: "set_content_packages",
                                          after: ["packages": packages.sorted().map(String.init).joined(separator: ",")])
        }
    }

    public static func grants(_ env: ServiceEnvironment, productID: Int? = nil, extraPackageID: Int? = nil) async throws -> [Int] {
        let q = PackageGrantModel.query(on: env.db)
        if let productID { q.filter(\.$productID == productID) }
        if let extraPackageID { q.filter(\.$extraPackageID == extraPackageID) }
        return try await q.all().map(\.packageID)
    }
}

/// CMS › Channels › UI Groups: ordered categories of channels.
public enum UIGroupService {
    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, name: String) async throws -> UIGroupModel {
        try actor.require(.cms, in: deploymentID)
        let n = name.trimmingCharacters(in: .whitespaces)
        if n.isEmpty { throw DomainError.validation(["name": "is required"]) }
        if try await UIGroupModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$name == n).first() != nil {
            throw DomainError.validation(["name": "\(n) already exists"])
        }
        let g = UIGroupModel()
        g.deploymentID = deploymentID
        g.name = n
        g.visible = true
        g.position = (try await UIGroupModel.query(on: env.db).filter(\.$deploymentID == deploymentID).max(\.$position) ?? 0) + 1
        try await env.write { db in
            try await g.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_group", entityID: String(g.id!),
                                          action: "create", after: ["name": n])
        }
        return g
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [UIGroupModel] {
        try actor.require(.cms, in: deploymentID)
        return try await UIGroupModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$position).all()
    }

    static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws -> UIGroupModel {
        try actor.require(.cms, in: deploymentID)
        guard let g = try await UIGroupModel.query(on: env.db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The UI group")
        }
        return g
    }

    /// Moves a group one place up (-1) or down (+1) by swapping positions with its neighbour.
    public static func move(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, by step: Int) async throws {
        let all = try await list(env, actor: actor, deploymentID: deploymentID)
        guard let i = all.firstIndex(where: { $0.id == id }) else { throw DomainError.notFound("The UI group") }
        let j = i + (step < 0 ? -1 : 1)
        guard all.indices.contains(j) else { return }
        let a = all[i], b = all[j]
        try await env.write { db in
            // Positions are renumbered 1…n so that a swap never collides.
            for (k, g) in all.enumerated() { g.position = k + 1 }
            (a.position, b.position) = (b.position, a.position)
            for g in all { try await g.save(on: db) }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_group", entityID: String(id),
                                          action: "move", after: ["position": String(a.position)])
        }
    }

    /// The group's channels, replaced as a whole, in the given order.
    public static func setChannels(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int, channels: [Int]) async throws {
        _ = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let unique = channels.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
        let valid = try await ChannelModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$id ~~ unique).count()
        guard valid == unique.count else { throw DomainError.validation(["channels": "some ids are not channels of this deployment"]) }
        try await env.write { db in
            try await UIGroupChannelModel.query(on: db).filter(\.$groupID == id).delete()
            for (k, c) in unique.enumerated() {
                let row = UIGroupChannelModel()
                row.groupID = id
                row.channelID = c
                row.position = k + 1
                try await row.create(on: db)
            }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_group", entityID: String(id),
                                          action: "set_channels", after: ["channels": String(unique.count)])
        }
    }

    public static func channels(_ env: ServiceEnvironment, groupID: Int) async throws -> [Int] {
        try await UIGroupChannelModel.query(on: env.db).filter(\.$groupID == groupID).sort(\.$position).all().map(\.channelID)
    }

    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: Int) async throws {
        let g = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        try await env.write { db in
            try await g.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_group", entityID: String(id),
                                          action: "delete", before: ["name": g.name])
        }
    }
}

/// The one answer to "may this customer play this item now?", for every API that serves content.
public enum Entitlements {
    public enum Decision: Equatable, Sendable {
        case allowed
        case notServed(CustomerStatus)
        case notInPackages
        case disabledItem
    }

    /// The extra packages of a customer that are live now.
    public static func liveExtras(_ env: ServiceEnvironment, customer c: CustomerModel) async throws -> [Int] {
        try await CustomerExtraPackageModel.query(on: env.db).filter(\.$customerID == c.id!).all()
            .filter { $0.synced ? (c.expiresAt ?? env.now) > env.now : $0.expiresAt > env.now }.map(\.extraPackageID)
    }

    static func grantClause(_ c: CustomerModel, extras: [Int]) -> SQLQueryString {
        "(g.product_id = \(bind: c.productID)\(unsafeRaw: extras.isEmpty ? "" : " OR g.extra_package_id IN (" + extras.map(String.init).joined(separator: ",") + ")"))"
    }

    /// Allowed when the customer is served (status and dates, read now) and the item is enabled
    /// and in a package its product grants, or one of its live extra packages grants, or it
    /// bought it (PPV). An episode, song or lesson follows its series, album or course; an
    /// episode is also open when its season was bought.
    public static func decide(_ env: ServiceEnvironment, customer c: CustomerModel, ref: ContentRef) async throws -> Decision {
        guard c.deletedAt == nil, let product = try await ProductModel.find(c.productID, on: env.db) else { return .notServed(.disabled) }
        let status = CustomerService.status(c, product: product, now: env.now)
        guard status.isServed else { return .notServed(status) }
        var packageKind = ContentKind.channel
        var packagedID = ref.id
        var ppvRefs = [ref]
        if ref.kind == "channel" {
            guard let ch = try await ChannelModel.find(ref.id, on: env.db), ch.deploymentID == c.deploymentID else { return .notInPackages }
            if !ch.enabled { return .disabledItem }
        } else {
            guard let item = try await VoDItemModel.find(ref.id, on: env.db), item.deploymentID == c.deploymentID, item.kind == ref.kind else { return .notInPackages }
            let chain = try await VoDService.chain(env, item: item)
            if chain.contains(where: { !$0.enabled }) { return .disabledItem }
            guard let root = chain.last, let rootKind = VoDKind(rawValue: root.kind), let pk = rootKind.packageKind else { return .notInPackages }
            packageKind = pk
            packagedID = root.id!
            ppvRefs = chain.map { ContentRef(kind: $0.kind, id: $0.id!) }
        }
        let extras = try await liveExtras(env, customer: c)
        let rows = try await env.db.sql.raw("""
            SELECT 1 AS ok FROM package_items i
            JOIN content_packages p ON p.id = i.package_id AND p.kind = \(bind: packageKind.rawValue) AND p.deployment_id = \(bind: c.deploymentID)
            JOIN package_grants g ON g.package_id = p.id
            WHERE i.item_id = \(bind: packagedID) AND \(grantClause(c, extras: extras))
            LIMIT 1
            """).all()
        if !rows.isEmpty { return .allowed }
        let open = try await PPVPurchaseModel.query(on: env.db).filter(\.$customerID == c.id!).filter(\.$contentRef ~~ ppvRefs.map(\.description))
            .filter(\.$accessUntil > env.now).first()
        return open != nil ? .allowed : .notInPackages
    }

    /// The ids of the items of one package kind the customer's product and live extras grant.
    public static func grantedIDs(_ env: ServiceEnvironment, customer c: CustomerModel, kind: ContentKind) async throws -> [Int] {
        guard c.deletedAt == nil, let product = try await ProductModel.find(c.productID, on: env.db),
              CustomerService.status(c, product: product, now: env.now).isServed else { return [] }
        let extras = try await liveExtras(env, customer: c)
        let rows = try await env.db.sql.raw("""
            SELECT DISTINCT i.item_id AS id FROM package_items i
            JOIN content_packages p ON p.id = i.package_id AND p.kind = \(bind: kind.rawValue) AND p.deployment_id = \(bind: c.deploymentID)
            JOIN package_grants g ON g.package_id = p.id
            WHERE \(grantClause(c, extras: extras))
            """).all()
        return try rows.map { try $0.decode(column: "id", as: Int.self) }
    }

    /// Every channel the customer may watch now by subscription, by number (its Content tab, playlists).
    public static func channels(_ env: ServiceEnvironment, customer c: CustomerModel) async throws -> [ChannelModel] {
        var out: [ChannelModel] = []
        for chunk in try await grantedIDs(env, customer: c, kind: .channel).chunked(500) {
            out += try await ChannelModel.query(on: env.db).filter(\.$id ~~ chunk).filter(\.$enabled == true).all()
        }
        return out.sorted { $0.number < $1.number }
    }

    /// The movies, series, albums, courses or apps the customer may watch now by subscription, by title.
    public static func vod(_ env: ServiceEnvironment, customer c: CustomerModel, kind: ContentKind, limit: Int = 500) async throws -> [VoDItemModel] {
        guard kind != .channel else { return [] }
        var out: [VoDItemModel] = []
        for chunk in try await grantedIDs(env, customer: c, kind: kind).chunked(500) {
            out += try await VoDItemModel.query(on: env.db).filter(\.$id ~~ chunk).filter(\.$enabled == true).all()
        }
        return Array(out.sorted { ($0.searchTitle, $0.id!) < ($1.searchTitle, $1.id!) }.prefix(limit))
    }
}
