import Domain
import FluentKit
import Foundation
import Storage

/// UIT › User Interfaces: create, edit (every save publishes a new version), artwork, the
/// deployment's default UI, deletion guarded by its users, and the published documents the
/// subscriber API serves.
public enum UserInterfaceService {
    /// Logo and background: the same checks as channel logos and VoD artwork (`MediaService`).
    public static let logoLimits = MediaService.Limits(maxBytes: 512 * 1024, maxSide: 1024)
    public static let backgroundLimits = MediaService.Limits(maxBytes: 2 * 1024 * 1024, maxSide: 3840)

    public struct Input: Sendable {
        public var name: String
        public var config: UIConfig
        /// New artwork (PNG/JPEG/WebP); nil keeps the current one.
        public var logo: [UInt8]? = nil
        public var background: [UInt8]? = nil
        public var removeLogo = false
        public var removeBackground = false
        public init(name: String, config: UIConfig) {
            self.name = name
            self.config = config
        }
    }

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public static func decode(_ config: String) throws -> UIConfig {
        try JSONDecoder().decode(UIConfig.self, from: Data(config.utf8))
    }

    static func encode<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    // MARK: Reading

    /// A UI of the deployment, or "not found" (also for another deployment's UI).
    public static func row(_ db: any Database, deploymentID: UUID, id: UUID) async throws -> UserInterfaceModel {
        guard let ui = try await UserInterfaceModel.query(on: db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() else {
            throw DomainError.notFound("The user interface")
        }
        return ui
    }

    public static func list(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [UserInterfaceModel] {
        try actor.require(.uit, in: deploymentID)
        return try await all(env.db, deploymentID: deploymentID)
    }

    /// The deployment's UIs by name, without a permission check: for pick lists of other areas
    /// (the product form) whose own permission was checked.
    public static func all(_ db: any Database, deploymentID: UUID) async throws -> [UserInterfaceModel] {
        try await UserInterfaceModel.query(on: db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
    }

    public static func find(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: UUID) async throws -> UserInterfaceModel {
        try actor.require(.uit, in: deploymentID)
        return try await row(env.db, deploymentID: deploymentID, id: id)
    }

    public static func defaultUI(_ db: any Database, deploymentID: UUID) async throws -> UserInterfaceModel? {
        try await UserInterfaceModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$isDefault == true).first()
    }

    /// The current published document of a deployment's UI (what the bootstrap embeds).
    public static func document(_ env: ServiceEnvironment, deploymentID: UUID, id: UUID) async throws -> UIDocument {
        let ui = try await row(env.db, deploymentID: deploymentID, id: id)
        return try await published(env.db, ui: ui)
    }

    /// The current document of any UI by id (`GET /ui/{id}`: the id itself is the secret-free
    /// address); with `deploymentID`, a UI of another deployment is "not found".
    public static func current(_ env: ServiceEnvironment, id: UUID, deploymentID: UUID?) async throws -> UIDocument {
        let q = UserInterfaceModel.query(on: env.db).filter(\.$id == id)
        if let deploymentID { q.filter(\.$deploymentID == deploymentID) }
        guard let ui = try await q.first() else { throw DomainError.notFound("The user interface") }
        return try await published(env.db, ui: ui)
    }

    static func published(_ db: any Database, ui: UserInterfaceModel) async throws -> UIDocument {
        guard let v = try await UserInterfaceVersionModel.query(on: db).filter(\.$uiID == ui.requireID()).filter(\.$version == ui.version).first() else {
            throw DomainError.notFound("The published user interface")
        }
        return try JSONDecoder().decode(UIDocument.self, from: Data(v.document.utf8))
    }

    public static func versions(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: UUID) async throws -> [UserInterfaceVersionModel] {
        let ui = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        return try await UserInterfaceVersionModel.query(on: env.db).filter(\.$uiID == ui.requireID()).sort(\.$version, .descending).all()
    }

    // MARK: Writing

    /// A new UI from a template with every section and rail on. The deployment's first UI
    /// becomes its default. Publishes version 1.
    public static func create(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, name rawName: String, template: String) async throws -> UserInterfaceModel {
        try actor.require(.uit, in: deploymentID)
        let name = rawName.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        try await checkName(env.db, deploymentID: deploymentID, name: name, except: nil, into: &errors)
        let t = UITemplate.named(template)
        if t == nil { errors.add("template", "must be one of \(UITemplate.all.map(\.name).joined(separator: ", "))") }
        try errors.throwIfAny()
        let config = UIConfig.fresh(template: t!)
        let ui = UserInterfaceModel()
        ui.id = UUID()
        ui.deploymentID = deploymentID
        ui.name = name
        ui.template = t!.id
        ui.config = try encode(config)
        ui.version = 0
        ui.isDefault = try await defaultUI(env.db, deploymentID: deploymentID) == nil
        ui.createdAt = env.now
        ui.updatedAt = env.now
        try await env.write { db in
            try await ui.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "user_interface", entityID: ui.id!.uuidString,
                                          action: "create", after: ["name": name, "template": t!.id, "default": String(ui.isDefault)])
            try await publish(db, env: env, actor: actor, ui: ui, config: config)
        }
        return ui
    }

    static func checkName(_ db: any Database, deploymentID: UUID, name: String, except: UUID?, into errors: inout FieldErrors) async throws {
        if name.isEmpty || name.count > 80 { errors.add("name", "is required (at most 80 characters)"); return }
        let q = UserInterfaceModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$name == name)
        if let except { q.filter(\.$id != except) }
        if try await q.first() != nil { errors.add("name", "\(name) is already a user interface of this deployment") }
    }

    /// Saves everything the editor and the Menu Apps page edit, then publishes a new version. A
    /// refused field or image changes nothing.
    @discardableResult
    public static func update(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: UUID, input: Input) async throws -> UserInterfaceModel {
        let ui = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        var config = input.config
        config.normalise()
        let name = input.name.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        try await checkName(env.db, deploymentID: deploymentID, name: name, except: id, into: &errors)
        let offered = Set(try await TranslationService.languages(env, deploymentID: deploymentID).map(\.code))
        for (k, v) in config.problems(offered: offered) { errors.add(k, v) }
        var newLogo: MediaAssetModel? = nil, newBackground: MediaAssetModel? = nil
        if let bytes = input.logo, !bytes.isEmpty {
            do { newLogo = try MediaService.image(bytes, deploymentID: deploymentID, limits: logoLimits, field: "logo") } catch let e as DomainError { errors.merge(e) }
        }
        if let bytes = input.background, !bytes.isEmpty {
            do { newBackground = try MediaService.image(bytes, deploymentID: deploymentID, limits: backgroundLimits, field: "background") } catch let e as DomainError { errors.merge(e) }
        }
        try errors.throwIfAny()
        let logo = newLogo, background = newBackground
        let before = snapshot(ui)
        let oldConfig = ui.config
        // Replaced artwork goes: apps fetch the current version's, never an old one's.
        let dropped = [(logo != nil || input.removeLogo) ? ui.logoID : nil, (background != nil || input.removeBackground) ? ui.backgroundID : nil].compactMap { $0 }
        if input.removeLogo { ui.logoID = nil }
        if input.removeBackground { ui.backgroundID = nil }
        if let logo { ui.logoID = logo.id }
        if let background { ui.backgroundID = background.id }
        ui.name = name
        ui.template = config.template
        ui.config = try encode(config)
        ui.updatedAt = env.now
        let finalConfig = config
        try await env.write { db in
            if let logo { try await logo.create(on: db) }
            if let background { try await background.create(on: db) }
            try await ui.save(on: db)
            if !dropped.isEmpty { try await MediaAssetModel.query(on: db).filter(\.$id ~~ dropped).delete() }
            var after = snapshot(ui)
            if oldConfig != ui.config { after["config"] = "changed" }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "user_interface", entityID: id.uuidString,
                                          action: "update", before: before, after: after)
            try await publish(db, env: env, actor: actor, ui: ui, config: finalConfig)
        }
        return ui
    }

    static func snapshot(_ ui: UserInterfaceModel) -> [String: String?] {
        ["name": ui.name, "template": ui.template, "logo": ui.logoID?.uuidString, "background": ui.backgroundID?.uuidString,
         "default": String(ui.isDefault), "config": nil]
    }

    public static func makeDefault(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: UUID) async throws {
        let ui = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        guard !ui.isDefault else { return }
        try await env.write { db in
            try await UserInterfaceModel.query(on: db).filter(\.$deploymentID == deploymentID).set(\.$isDefault, to: false).update()
            try await UserInterfaceModel.query(on: db).filter(\.$id == id).set(\.$isDefault, to: true).update()
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "user_interface", entityID: id.uuidString,
                                          action: "make_default", after: ["name": ui.name])
        }
    }

    /// What still points at a UI, one line each ("product Basic Monthly"). Hostnames add their
    /// lines here too.
    public static func usedBy(_ db: any Database, deploymentID: UUID, id: UUID) async throws -> [String] {
        let products = try await ProductModel.query(on: db).filter(\.$deploymentID == deploymentID)
            .filter(\.$userInterfaceID == id.uuidString.lowercased()).sort(\.$name).all()
        return products.map { "product \($0.name)" }
    }

    /// Refused while a product (or hostname) uses the UI. Deleting the default UI makes the
    /// oldest remaining one the default.
    public static func delete(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, id: UUID) async throws {
        let ui = try await find(env, actor: actor, deploymentID: deploymentID, id: id)
        let users = try await usedBy(env.db, deploymentID: deploymentID, id: id)
        guard users.isEmpty else {
            throw DomainError(.conflict, code: "ui_in_use", "\(ui.name) is used by \(users.joined(separator: ", ")). Choose another user interface there first.")
        }
        let media = [ui.logoID, ui.backgroundID].compactMap { $0 }
        try await env.write { db in
            try await UITranslationModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$scope == id.uuidString.lowercased()).delete()
            try await ui.delete(on: db)
            if !media.isEmpty { try await MediaAssetModel.query(on: db).filter(\.$id ~~ media).delete() }
            if ui.isDefault, let next = try await UserInterfaceModel.query(on: db).filter(\.$deploymentID == deploymentID).sort(\.$createdAt).first() {
                next.isDefault = true
                try await next.save(on: db)
            }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "user_interface", entityID: id.uuidString,
                                          action: "delete", before: ["name": ui.name])
        }
    }

    // MARK: Publishing

    /// Builds the document of `ui` from `config` and the translation layers as they are inside
    /// this transaction, and stores it as the next version.
    static func publish(_ db: any Database, env: ServiceEnvironment, actor: Principal, ui: UserInterfaceModel, config: UIConfig) async throws {
        let doc = try await build(db, ui: ui, config: config, version: ui.version + 1)
        try await store(db, env: env, actor: actor, ui: ui, document: doc)
    }

    static func build(_ db: any Database, ui: UserInterfaceModel, config: UIConfig, version: Int) async throws -> UIDocument {
        let layers = try await TranslationService.layers(db, deploymentID: ui.deploymentID, ui: ui.requireID())
        return UIDocument.build(id: try ui.requireID(), name: ui.name, version: version, config: config, logo: ui.logoID, background: ui.backgroundID,
                                text: layers.text)
    }

    static func store(_ db: any Database, env: ServiceEnvironment, actor: Principal, ui: UserInterfaceModel, document: UIDocument) async throws {
        let v = UserInterfaceVersionModel()
        v.uiID = try ui.requireID()
        v.version = document.version
        v.document = try encode(document)
        v.publishedAt = env.now
        v.publishedBy = actor.label
        try await v.create(on: db)
        try await UserInterfaceModel.query(on: db).filter(\.$id == ui.requireID()).set(\.$version, to: document.version).update()
        ui.version = document.version
    }

    /// After a translation change: every UI of the deployment whose document would now read
    /// differently (a menu or rail label) publishes a new version, so apps see it by ETag.
    static func republishChanged(_ db: any Database, env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws {
        for ui in try await all(db, deploymentID: deploymentID) {
            let current = try await published(db, ui: ui)
            let next = try await build(db, ui: ui, config: decode(ui.config), version: ui.version + 1)
            if next.withVersion(current.version) != current { try await store(db, env: env, actor: actor, ui: ui, document: next) }
        }
    }

    // MARK: Products

    /// The UI a product gets: none while the deployment has no UI; else the one given (it must
    /// be this deployment's) or, when none is given, the deployment's default UI.
    public static func resolveForProduct(_ db: any Database, deploymentID: UUID, given: String) async throws -> String? {
        let raw = given.trimmingCharacters(in: .whitespaces).lowercased()
        if raw.isEmpty { return try await defaultUI(db, deploymentID: deploymentID)?.id?.uuidString.lowercased() }
        guard let id = UUID(uuidString: raw), try await UserInterfaceModel.query(on: db).filter(\.$id == id).filter(\.$deploymentID == deploymentID).first() != nil else {
            throw DomainError.validation(["userInterfaceId": "is not a user interface of this deployment (UIT › User Interfaces)"])
        }
        return raw
    }
}
