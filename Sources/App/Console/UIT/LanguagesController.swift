import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// UIT › Languages: the languages offered with their coverage, the text editor of one language
/// (the deployment's texts, or one UI's overrides), import/export as JSON or CSV, and loading
/// TVMS's shipped translation.
enum LanguagesController {
    static let base = "/uit/languages"

    static func register(_ console: any RoutesBuilder) {
        let r = console.grouped("uit", "languages").grouped(RequirePermission(permission: .uit))
        r.get(use: list)
        r.post(use: add)
        r.on(.POST, "import", body: .collect(maxSize: "4mb"), use: importFile)
        r.get(":code", use: texts)
        r.post(":code", use: update)
        r.post(":code", "texts", use: saveTexts)
        r.get(":code", "export", use: export)
        r.post(":code", "delete", use: delete)
        r.post(":code", "load-shipped", use: loadShipped)
    }

    static func scopeQuery(_ ui: UUID?) -> String { ui.map { "ui=\($0.uuidString.lowercased())" } ?? "" }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let coverage = try await TranslationService.coverage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let uis = try await UserInterfaceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        var rows: [Row] = []
        for c in coverage {
            let code = c.language.code
            var actions = [RowAction(label: "Edit texts", href: "\(base)/\(code)", postTo: nil, danger: false)]
            if !c.missing.isEmpty { actions.append(RowAction(label: "Missing keys", href: "\(base)/\(code)?missing=1", postTo: nil, danger: false)) }
            actions += [RowAction(label: "Export JSON", href: "\(base)/\(code)/export?format=json", postTo: nil, danger: false),
                        RowAction(label: "Export CSV", href: "\(base)/\(code)/export?format=csv", postTo: nil, danger: false)]
            if code != UILanguage.english.code {
                if try UITResources.shipped(code) != nil { actions.append(RowAction(label: "Reset to shipped", href: nil, postTo: "\(base)/\(code)/load-shipped", danger: false)) }
                actions.append(RowAction(label: "Remove", href: nil, postTo: "\(base)/\(code)/delete", danger: true))
            }
            rows.append(Row(cells: [Cell(c.language.name, href: "\(base)/\(code)"), Cell(code, mono: true), Cell(c.language.rtl ? "right-to-left" : "left-to-right"),
                                    Cell("\(c.translated) / \(c.total) (\(c.percent) %)")], actions: actions))
        }
        let languageOptions = coverage.map { FieldOption(value: $0.language.code, label: "\($0.language.name) (\($0.language.code))", selected: false) }
        let scopeOptions = [FieldOption(value: "", label: "The deployment's texts", selected: true)]
            + uis.map { FieldOption(value: $0.id!.uuidString.lowercased(), label: "Overrides of \($0.name)", selected: false) }
        let vm = SectionsVM(heading: "Languages", intro: "English is built in and complete. A text comes from the UI's override, else the deployment's text, else English (docs/UIT.md).",
                            buttons: [Button(label: "User Interfaces", href: UserInterfacesController.base, primary: false)], tabs: [], sections: [
                                Section(title: "Languages and coverage", intro: "Coverage counts the keys the apps use that have a text of their own in this language.",
                                        table: .simple(["Language", "Code", "Direction", "Translated"], rows, empty: "")),
                                Section(title: "Add a language", form: FormVM(heading: "", intro: nil, action: base, fields: [
                                    Field("code", "Code", help: "ISO 639 code: ar, fr, pt-br.", required: true),
                                    Field("name", "Name", help: "As speakers write it: العربية, Français.", required: true),
                                    Field("rtl", "Right-to-left", type: "checkbox"),
                                ], submitLabel: "Add language", cancelHref: nil, formError: nil)),
                                Section(title: "Import texts", form: FormVM(heading: "", intro: "JSON ({\"language\":\"ar\",\"strings\":{key: text}} or a flat object) or CSV with the columns key and text (english is ignored). The whole file is checked first: one bad line or key refuses it and nothing changes. Empty texts are skipped.",
                                                                            action: "\(base)/import", fields: [
                                    Field("language", "Language", type: "select", options: languageOptions, required: true),
                                    Field("ui", "Into", type: "select", options: scopeOptions),
                                    Field("replace", "Replace: remove texts that are not in the file", type: "checkbox"),
                                    Field("file", "File (.json or .csv)", type: "file", required: true),
                                ], submitLabel: "Import", cancelHref: nil, formError: nil, multipart: true)),
                            ])
        return try await Layout.render(req, "sections", title: "Languages", vm)
    }

    struct LanguageForm: Content { var code: String?; var name: String?; var rtl: String? }

    static func add(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let f = try req.content.decode(LanguageForm.self)
        return try await req.flashing(redirectTo: base) {
            let l = try await TranslationService.addLanguage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, code: f.code ?? "", name: f.name ?? "", rtl: Bool(checkbox: f.rtl))
            return "\(l.name) added. Translate its texts, import a file" + ((try? UITResources.shipped(l.code)) != nil ? " or load the shipped translation." : ".")
        }
    }

    static func update(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let code = req.parameters.get("code") ?? ""
        let f = try req.content.decode(LanguageForm.self)
        return try await req.flashing(redirectTo: "\(base)/\(code)") {
            try await TranslationService.updateLanguage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, code: code, name: f.name ?? "", rtl: Bool(checkbox: f.rtl))
            return "Language saved."
        }
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        return try await req.flashing(redirectTo: base) {
            try await TranslationService.removeLanguage(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, code: req.parameters.get("code") ?? "")
            return "Language removed with its texts."
        }
    }

    static func loadShipped(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let code = req.parameters.get("code") ?? ""
        return try await req.flashing(redirectTo: base) {
            let n = try await TranslationService.loadShipped(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, language: code)
            return "Shipped \(code) translation loaded (\(n) text(s) changed)."
        }
    }

    // MARK: Text editor

    struct TextRow: Encodable { var index: Int; var key: String; var english: String; var inherited: String; var value: String }
    struct TextsVM: Encodable {
        var heading: String; var intro: String; var language: String; var rtl: Bool; var dir: String
        var filterAction: String; var q: String; var missing: Bool; var scopes: [FieldOption]; var ui: String
        var action: String; var rows: [TextRow]; var summary: String
        var links: [Button]; var settings: FormVM?
    }

    static func uiParameter(_ req: Request, _ ctx: CRMContext) async throws -> UUID? {
        guard let raw = (try? req.query.get(String.self, at: "ui")) ?? (try? req.content.get(String.self, at: "ui")), !raw.isEmpty else { return nil }
        guard let id = UUID(uuidString: raw) else { throw DomainError.notFound("The user interface") }
        _ = try await UserInterfaceService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
        return id
    }

    static func texts(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let lang = try await TranslationService.offered(ctx.env, deploymentID: ctx.deploymentID, code: req.parameters.get("code") ?? "")
        let ui = try await uiParameter(req, ctx)
        let q = (req.query[String.self, at: "q"] ?? "").trimmingCharacters(in: .whitespaces)
        let missingOnly = req.query[String.self, at: "missing"] == "1"
        let layers = try await TranslationService.layers(req.db, deploymentID: ctx.deploymentID, ui: ui)
        let stored = try await TranslationService.layer(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ui: ui, language: lang.code)
        let needle = q.lowercased()
        let keys = layers.base.keys.sorted().filter { k in
            let matches = needle.isEmpty || k.lowercased().contains(needle) || (layers.base[k] ?? "").lowercased().contains(needle)
                || (layers.own(lang.code, k) ?? "").lowercased().contains(needle)
            return matches && (!missingOnly || layers.own(lang.code, k) == nil)
        }
        let rows = keys.enumerated().map { i, k in
            // What shows without this layer's text: the deployment's (for a UI) or English.
            let inherited = ui == nil ? (lang.code == "en" ? layers.base[k] ?? "" : "") : (layers.deployment[lang.code]?[k] ?? (lang.code == "en" ? layers.base[k] ?? "" : ""))
            return TextRow(index: i, key: k, english: layers.text("en", k) ?? "", inherited: inherited, value: stored[k] ?? "")
        }
        let uis = try await UserInterfaceService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let uiName = uis.first { $0.id == ui }?.name
        let scope = scopeQuery(ui)
        let settings: FormVM? = lang.code == "en" || ui != nil ? nil : FormVM(heading: "", intro: nil, action: "\(base)/\(lang.code)", fields: [
            Field("name", "Name", value: lang.name, required: true), Field("rtl", "Right-to-left", type: "checkbox", value: lang.rtl ? "on" : ""),
        ], submitLabel: "Save language", cancelHref: nil, formError: nil)
        let vm = TextsVM(heading: "\(lang.name) — " + (uiName.map { "overrides of \($0)" } ?? "texts"),
                         intro: ui == nil ? (lang.code == "en" ? "English is built in; a text here overrides it for this deployment." : "The deployment's \(lang.name) texts. An empty text falls back to English.")
                                          : "Overrides only for \(uiName ?? ""): an empty text uses the deployment's text (greyed).",
                         language: lang.code, rtl: lang.rtl, dir: lang.rtl ? "rtl" : "ltr",
                         filterAction: "\(base)/\(lang.code)", q: q, missing: missingOnly,
                         scopes: [FieldOption(value: "", label: "The deployment's texts", selected: ui == nil)] + uis.map { FieldOption(value: $0.id!.uuidString.lowercased(), label: "Overrides of \($0.name)", selected: $0.id == ui) },
                         ui: ui?.uuidString.lowercased() ?? "", action: "\(base)/\(lang.code)/texts", rows: rows,
                         summary: "\(rows.count) of \(layers.base.count) keys shown; \(stored.count) with a text in this layer.",
                         links: [Button(label: "Languages", href: base, primary: false),
                                 Button(label: "Export JSON", href: "\(base)/\(lang.code)/export?format=json" + (scope.isEmpty ? "" : "&" + scope), primary: false),
                                 Button(label: "Export CSV", href: "\(base)/\(lang.code)/export?format=csv" + (scope.isEmpty ? "" : "&" + scope), primary: false)],
                         settings: settings)
        return try await Layout.render(req, "uit-texts", title: "\(lang.name) texts", vm)
    }

    /// The texts of the rows shown (key_i / text_i pairs); an emptied text removes it from the layer.
    static func saveTexts(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let code = req.parameters.get("code") ?? ""
        let ui = try await uiParameter(req, ctx)
        let values = try req.formValues()
        var changes: [String: String] = [:]
        var i = 0
        while let key = values["key_\(i)"] {
            changes[key] = values["text_\(i)"] ?? ""
            i += 1
        }
        let back = "\(base)/\(code)" + (ui.map { "?ui=\($0.uuidString.lowercased())" } ?? "")
        return try await req.flashing(redirectTo: back) {
            let n = try await TranslationService.setTexts(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ui: ui, language: code, changes: changes)
            return n == 0 ? "Nothing changed." : "\(n) text(s) saved. User interfaces whose menu or rail labels changed were published again."
        }
    }

    // MARK: Files

    static func export(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let code = req.parameters.get("code") ?? ""
        let format = TranslationFile.Format(rawValue: req.query[String.self, at: "format"] ?? "json") ?? .json
        let ui = try await uiParameter(req, ctx)
        let text = try await TranslationService.export(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ui: ui, language: code, format: format)
        var headers = HTTPHeaders()
        headers.add(name: .contentType, value: format == .json ? "application/json; charset=utf-8" : "text/csv; charset=utf-8")
        let name = "tvms-\(ctx.deployment.cmsService)-\(code)" + (ui.map { "-ui-\($0.uuidString.lowercased().prefix(8))" } ?? "") + ".\(format.rawValue)"
        headers.add(name: .contentDisposition, value: "attachment; filename=\"\(name)\"")
        return Response(status: .ok, headers: headers, body: .init(string: text))
    }

    struct ImportForm: Content { var language: String?; var ui: String?; var replace: String?; var file: File? }

    static func importFile(_ req: Request) async throws -> Response {
        let ctx = try await req.uit()
        let f = try req.content.decode(ImportForm.self)
        return try await req.flashing(redirectTo: base) {
            guard let file = f.file, file.data.readableBytes > 0 else { throw DomainError.validation(["file": "choose a .json or .csv file"]) }
            let name = file.filename.lowercased()
            let format: TranslationFile.Format = name.hasSuffix(".csv") ? .csv : name.hasSuffix(".json") ? .json
                : (file.data.getString(at: file.data.readerIndex, length: min(1, file.data.readableBytes)) == "{" ? .json : .csv)
            guard let text = file.data.getString(at: file.data.readerIndex, length: file.data.readableBytes, encoding: .utf8) else {
                throw DomainError.validation(["file": "must be UTF-8 text"])
            }
            var ui: UUID? = nil
            if let raw = f.ui, !raw.isEmpty {
                guard let id = UUID(uuidString: raw) else { throw DomainError.notFound("The user interface") }
                ui = id
            }
            let n = try await TranslationService.importFile(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, ui: ui, language: f.language ?? "",
                                                            text: text, format: format, replace: Bool(checkbox: f.replace))
            return "\(file.filename) imported: \(n) text(s) changed."
        }
    }
}
