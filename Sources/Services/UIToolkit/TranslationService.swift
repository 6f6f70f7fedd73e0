import Domain
import FluentKit
import Foundation
import SQLKit
import Storage

/// UIT › Languages: the languages a deployment offers, its translations and overrides (the
/// deployment's layer and each UI's), import/export and coverage. The merge order is
/// `TranslationLayers`': UI override → deployment → built-in base, then the same in English.
public enum TranslationService {
    /// The languages a deployment offers (English first, always) and the one apps start in.
    public struct LanguageList: Codable, Sendable, Equatable {
        public var languages: [UILanguage]
        public var defaultLanguage: String
    }

    // MARK: Languages

    /// English plus the deployment's languages by name. Open: the subscriber API lists them.
    public static func languages(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> [UILanguage] {
        let rows = try await UILanguageModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
        return [UILanguage.english] + rows.filter { $0.code != UILanguage.english.code }.map { UILanguage(code: $0.code, name: $0.name, rtl: $0.rtl) }
    }

    /// For the bootstrap: the languages and the default UI's default language (English without a UI).
    public static func languageList(_ env: ServiceEnvironment, deploymentID: UUID) async throws -> LanguageList {
        let all = try await languages(env, deploymentID: deploymentID)
        let ui = try await UserInterfaceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$isDefault == true).first()
        let preferred = ui.flatMap { try? UserInterfaceService.decode($0.config).defaultLanguage } ?? UILanguage.english.code
        return LanguageList(languages: all, defaultLanguage: all.contains { $0.code == preferred } ? preferred : UILanguage.english.code)
    }

    public static func addLanguage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code rawCode: String, name rawName: String, rtl: Bool) async throws -> UILanguage {
        try actor.require(.uit, in: deploymentID)
        let code = rawCode.trimmingCharacters(in: .whitespaces).lowercased()
        let name = rawName.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if !UILanguage.isCode(code) { errors.add("code", "must be a language code like ar, fr or pt-br") }
        else if code == UILanguage.english.code { errors.add("code", "en is built in") }
        else if try await UILanguageModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$code == code).first() != nil {
            errors.add("code", "\(code) is already offered")
        }
        if name.isEmpty || name.count > 60 { errors.add("name", "is required (at most 60 characters), e.g. العربية or Français") }
        try errors.throwIfAny()
        let row = UILanguageModel()
        row.deploymentID = deploymentID
        row.code = code
        row.name = name
        row.rtl = rtl
        try await env.write { db in
            try await row.create(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_language", entityID: code,
                                          action: "create", after: ["name": name, "rtl": String(rtl)])
        }
        return UILanguage(code: code, name: name, rtl: rtl)
    }

    public static func updateLanguage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code: String, name rawName: String, rtl: Bool) async throws {
        let row = try await languageRow(env, actor: actor, deploymentID: deploymentID, code: code)
        let name = rawName.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 60 { throw DomainError.validation(["name": "is required (at most 60 characters)"]) }
        let before: [String: String?] = ["name": row.name, "rtl": String(row.rtl)]
        row.name = name
        row.rtl = rtl
        try await env.write { db in
            try await row.save(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_language", entityID: row.code,
                                          action: "update", before: before, after: ["name": name, "rtl": String(rtl)])
        }
    }

    /// Refused while a UI offers the language; its texts (every layer) go with it.
    public static func removeLanguage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code: String) async throws {
        let row = try await languageRow(env, actor: actor, deploymentID: deploymentID, code: code)
        let users = try await UserInterfaceModel.query(on: env.db).filter(\.$deploymentID == deploymentID).sort(\.$name).all()
            .filter { (try? UserInterfaceService.decode($0.config).languages.contains(row.code)) == true }.map(\.name)
        guard users.isEmpty else {
            throw DomainError(.conflict, code: "language_in_use", "\(row.name) is offered by \(users.joined(separator: ", ")). Take it out of those user interfaces first.")
        }
        try await env.write { db in
            try await UITranslationModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$language == row.code).delete()
            try await row.delete(on: db)
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_language", entityID: row.code,
                                          action: "delete", before: ["name": row.name])
        }
    }

    static func languageRow(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, code: String) async throws -> UILanguageModel {
        try actor.require(.uit, in: deploymentID)
        guard let row = try await UILanguageModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$code == code.lowercased()).first() else {
            throw DomainError.notFound("The language \(code)")
        }
        return row
    }

    /// The language if the deployment offers it (English always), else `unknown_language` (404).
    public static func offered(_ env: ServiceEnvironment, deploymentID: UUID, code: String) async throws -> UILanguage {
        let c = code.lowercased()
        guard let l = try await languages(env, deploymentID: deploymentID).first(where: { $0.code == c }) else {
            throw DomainError(.notFound, code: "unknown_language", "The language \(code) is not offered here.")
        }
        return l
    }

    // MARK: Texts

    /// The stored texts of the deployment (`ui` nil) and of one UI, by language.
    public static func layers(_ db: any Database, deploymentID: UUID, ui: UUID?) async throws -> TranslationLayers {
        let scopes = [""] + (ui.map { [scope($0)] } ?? [])
        let rows = try await UITranslationModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$scope ~~ scopes).all()
        var deployment: [String: [String: String]] = [:], own: [String: [String: String]] = [:]
        for r in rows {
            if r.scope.isEmpty { deployment[r.language, default: [:]][r.key] = r.text } else { own[r.language, default: [:]][r.key] = r.text }
        }
        return TranslationLayers(base: try UITResources.base(), deployment: deployment, ui: own)
    }

    /// What `GET /translations/{lang}` serves: every key, merged, missing ones from English.
    /// `ui` must be one of the deployment's UIs (another deployment's is "not found").
    public static func strings(_ env: ServiceEnvironment, deploymentID: UUID, language: String, ui: UUID?) async throws -> (UILanguage, [String: String]) {
        let lang = try await offered(env, deploymentID: deploymentID, code: language)
        if let ui { _ = try await UserInterfaceService.row(env.db, deploymentID: deploymentID, id: ui) }
        return (lang, try await layers(env.db, deploymentID: deploymentID, ui: ui).strings(lang.code))
    }

    static func scope(_ ui: UUID?) -> String { ui?.uuidString.lowercased() ?? "" }

    /// The texts stored in one layer (the deployment's, or a UI's overrides) for one language.
    public static func layer(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ui: UUID?, language: String) async throws -> [String: String] {
        try actor.require(.uit, in: deploymentID)
        if let ui { _ = try await UserInterfaceService.row(env.db, deploymentID: deploymentID, id: ui) }
        let rows = try await UITranslationModel.query(on: env.db).filter(\.$deploymentID == deploymentID).filter(\.$scope == scope(ui))
            .filter(\.$language == language.lowercased()).all()
        return Dictionary(rows.map { ($0.key, $0.text) }, uniquingKeysWith: { a, _ in a })
    }

    /// Sets texts of one layer: an empty text removes the key from the layer (the next layer's
    /// text shows again). `replace` also removes every key not in `changes`. Unknown keys and
    /// lost placeholders refuse the whole change. UIs whose labels change publish a new version.
    @discardableResult
    public static func setTexts(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ui: UUID?, language: String, changes: [String: String],
                                replace: Bool = false, action: String = "update") async throws -> Int {
        let lang = try await offered(env, deploymentID: deploymentID, code: language)
        try actor.require(.uit, in: deploymentID)
        if let ui { _ = try await UserInterfaceService.row(env.db, deploymentID: deploymentID, id: ui) }
        let base = try UITResources.base()
        var errors = FieldErrors()
        for (k, v) in changes.sorted(by: { $0.key < $1.key }) {
            if base[k] == nil { errors.add(k, "is not a key the apps use") }
            else if let missing = TranslationFile.placeholders(base[k]!).subtracting(TranslationFile.placeholders(v)).sorted().first, !v.isEmpty {
                errors.add(k, "must keep the placeholder \(missing)")
            } else if v.count > 1000 { errors.add(k, "is longer than 1000 characters") }
        }
        try errors.throwIfAny()
        let current = try await layer(env, actor: actor, deploymentID: deploymentID, ui: ui, language: lang.code)
        var merged = replace ? [:] : current
        for (k, v) in changes {
            let t = v.trimmingCharacters(in: .whitespacesAndNewlines)
            merged[k] = t.isEmpty ? nil : t
        }
        let next = merged
        let changed = Set(current.keys).union(next.keys).filter { current[$0] != next[$0] }.sorted()
        guard !changed.isEmpty else { return 0 }
        let s = scope(ui)
        try await env.write { db in
            let removed = changed.filter { next[$0] == nil }
            for chunk in removed.chunked(500) {
                try await UITranslationModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$scope == s)
                    .filter(\.$language == lang.code).filter(\.$key ~~ chunk).delete()
            }
            for k in changed where next[k] != nil && current[k] != nil {
                try await UITranslationModel.query(on: db).filter(\.$deploymentID == deploymentID).filter(\.$scope == s)
                    .filter(\.$language == lang.code).filter(\.$key == k).set(\.$text, to: next[k]!).update()
            }
            let added = changed.filter { next[$0] != nil && current[$0] == nil }
            for chunk in added.chunked(500) {
                var insert = db.sql.insert(into: UITranslationModel.schema).columns("deployment_id", "scope", "language", "key", "text")
                for k in chunk { insert = insert.values(SQLBind(deploymentID), SQLBind(s), SQLBind(lang.code), SQLBind(k), SQLBind(next[k]!)) }
                try await insert.run()
            }
            try await AuditService.record(on: db, at: env.now, actor: actor, deploymentID: deploymentID, entityType: "ui_translation",
                                          entityID: lang.code + (ui.map { "@" + $0.uuidString.lowercased() } ?? ""), action: action,
                                          after: ["keys": String(changed.count), "changed": changed.prefix(50).joined(separator: ",")])
            try await UserInterfaceService.republishChanged(db, env: env, actor: actor, deploymentID: deploymentID)
        }
        return changed.count
    }

    /// Imports a whole file into one layer; any problem refuses the file and changes nothing.
    public static func importFile(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ui: UUID?, language: String, text: String,
                                  format: TranslationFile.Format, replace: Bool) async throws -> Int {
        let lang = try await offered(env, deploymentID: deploymentID, code: language)
        try actor.require(.uit, in: deploymentID)
        let base = try UITResources.base()
        let parsed: [String: String]
        do {
            parsed = try TranslationFile.parse(text, format: format, language: lang.code, known: Set(base.keys), english: base)
        } catch let p as TranslationFile.Problem {
            throw DomainError(.invalid, code: "bad_translation_file", "The file was not imported, nothing changed: \(p.message).")
        }
        return try await setTexts(env, actor: actor, deploymentID: deploymentID, ui: ui, language: lang.code, changes: parsed, replace: replace, action: "import")
    }

    /// One layer as a file: JSON of the stored texts, or CSV of every key (empty where the
    /// layer has none) with English beside it for translators.
    public static func export(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, ui: UUID?, language: String, format: TranslationFile.Format) async throws -> String {
        let lang = try await offered(env, deploymentID: deploymentID, code: language)
        let stored = try await layer(env, actor: actor, deploymentID: deploymentID, ui: ui, language: lang.code)
        switch format {
        case .json: return TranslationFile.json(language: lang.code, strings: stored)
        case .csv: return TranslationFile.csv(strings: stored, english: try UITResources.base())
        }
    }

    /// Loads the shipped translation (`Resources/UIT/translations/<code>.json`) into the
    /// deployment's layer, replacing it: the manual's "Reset" of an installed language.
    public static func loadShipped(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID, language: String) async throws -> Int {
        guard let shipped = try UITResources.shipped(language.lowercased()) else {
            throw DomainError(.notFound, code: "no_shipped_translation", "TVMS ships no translation for \(language).")
        }
        let known = try UITResources.base()
        return try await setTexts(env, actor: actor, deploymentID: deploymentID, ui: nil, language: language, changes: shipped.filter { known[$0.key] != nil },
                                  replace: true, action: "load_shipped")
    }

    // MARK: Coverage

    public struct Coverage: Sendable {
        public var language: UILanguage
        public var translated: Int
        public var total: Int
        /// Base keys with no text in this language (the apps show English there).
        public var missing: [String]
        public var percent: Int { total == 0 ? 100 : translated * 100 / total }
    }

    /// Per language: base keys with a text of their own in the deployment's layer (English: all).
    public static func coverage(_ env: ServiceEnvironment, actor: Principal, deploymentID: UUID) async throws -> [Coverage] {
        try actor.require(.uit, in: deploymentID)
        let layers = try await layers(env.db, deploymentID: deploymentID, ui: nil)
        let keys = layers.base.keys.sorted()
        return try await languages(env, deploymentID: deploymentID).map { lang in
            let missing = keys.filter { layers.own(lang.code, $0) == nil }
            return Coverage(language: lang, translated: keys.count - missing.count, total: keys.count, missing: missing)
        }
    }
}
