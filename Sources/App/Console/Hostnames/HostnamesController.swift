import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// UIT › Hostnames: list, add, edit and delete the addresses this deployment's apps use, with
/// their login texts per language, support contacts, platforms, store links and sign-in methods.
enum HostnamesController {
    static func register(_ console: any RoutesBuilder) {
        let h = console.grouped("uit", "hostnames").grouped(RequirePermission(permission: .uit))
        h.get(use: list)
        h.get("new", use: newForm)
        h.post(use: create)
        h.get(":id", use: editForm)
        h.post(":id", use: update)
        h.get(":id", "delete", use: confirmDelete)
        h.post(":id", "delete", use: delete)
    }

    struct UITContext {
        var env: ServiceEnvironment
        var actor: Principal
        var deploymentID: UUID
    }

    static func context(_ req: Request) async throws -> UITContext {
        let actor = try req.actor
        let d = try await req.requireCurrentDeployment()
        try actor.require(.uit, in: d.requireID())
        return UITContext(env: req.serviceEnvironment, actor: actor, deploymentID: d.id!)
    }

    static func list(_ req: Request) async throws -> Response {
        let ctx = try await context(req)
        let hosts = try await HostnameService.list(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let resellers = Dictionary(uniqueKeysWithValues: try await HostnameService.resellerChoices(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map { ($0.id!, $0.name) })
        let table = TableVM.simple(["Hostname", "Reseller", "Sign-in", "Platforms", "Login text in"], hosts.map { h in
            Row(cells: [Cell(h.hostname, href: "/uit/hostnames/\(h.id!)", mono: true),
                        Cell(h.resellerID.map { resellers[$0] ?? "#\($0)" } ?? "—"),
                        Cell(HostnameRules.list(h.authMethods, of: AuthMethod.self).map(\.rawValue).joined(separator: ", ")),
                        Cell(HostnameRules.list(h.platforms, of: DevicePlatform.self).map(\.rawValue).joined(separator: ", ")),
                        Cell(h.loginTextsByLanguage.keys.sorted().joined(separator: ", "))],
                actions: [RowAction(label: "Edit", href: "/uit/hostnames/\(h.id!)", postTo: nil, danger: false),
                          RowAction(label: "Delete", href: "/uit/hostnames/\(h.id!)/delete", postTo: nil, danger: true)])
        }, empty: "No hostname yet: apps can still find this deployment by its service id.")
        let vm = SectionsVM(heading: "Hostnames", intro: "The addresses your apps and WebTV sites are configured with. Each one decides the login screen's texts, the sign-in methods, the platforms and the store links; a hostname with a reseller shows that reseller's branding.",
                            buttons: [Button(label: "Add a hostname", href: "/uit/hostnames/new", primary: true)], tabs: [], sections: [Section(title: nil, table: table)])
        return try await Layout.render(req, "sections", title: "Hostnames", vm)
    }

    // MARK: The form

    struct HostForm: Content {
        var hostname: String?; var reseller: String?
        var supportEmail: String?; var supportPhone: String?; var supportWebsite: String?; var supportText: String?
        var platforms: [String]?; var authMethods: [String]?
        var androidStoreURL: String?; var iosStoreURL: String?
        var newLanguage: String?
    }

    /// Form fields named per language: `loginSide_<code>` and `disclaimer_<code>`.
    static func loginKey(_ code: String) -> String { "loginSide_" + code }
    static func disclaimerKey(_ code: String) -> String { "disclaimer_" + code }

    /// The default UI: one of the deployment's user interfaces, or none (the deployment's default UI).
    static func defaultUIField(_ value: UUID?, raw: String?, choices: [UserInterfaceModel]) -> Field {
        let chosen = raw ?? value?.uuidString.lowercased() ?? ""
        return Field(DefaultUIChoice.field, "Default user interface", type: "select",
                     options: [FieldOption(value: "", label: "the deployment's default UI", selected: chosen.isEmpty)]
                        + choices.map { FieldOption(value: $0.id!.uuidString.lowercased(), label: $0.name, selected: $0.id!.uuidString.lowercased() == chosen) },
                     help: "What apps draw before sign-in; after sign-in the customer's product decides.")
    }

    static func defaultUIID(from req: Request) throws -> UUID? {
        let raw = (try? req.content.get(String.self, at: DefaultUIChoice.field))?.trimmingCharacters(in: .whitespaces) ?? ""
        if raw.isEmpty { return nil }
        guard let id = UUID(uuidString: raw) else { throw DomainError.validation([DefaultUIChoice.field: "is not a user interface id"]) }
        return id
    }

    static func formVM(_ ctx: UITContext, _ h: HostnameModel?, _ f: HostForm?, texts: (login: [String: String], disclaimers: [String: String])?,
                       rawDefaultUI: String? = nil, error: DomainError?) async throws -> FormVM {
        let resellers = try await HostnameService.resellerChoices(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID)
        let login = texts?.login ?? h?.loginTextsByLanguage ?? [:]
        let disclaimers = texts?.disclaimers ?? h?.disclaimersByLanguage ?? [:]
        var codes = try await languageCodes(ctx, h)
        for c in Array(login.keys) + Array(disclaimers.keys) where !codes.contains(c) { codes.append(c) }
        let platforms = f?.platforms ?? h.map { HostnameRules.list($0.platforms, of: DevicePlatform.self).map(\.rawValue) } ?? DevicePlatform.allCases.map(\.rawValue)
        let methods = f?.authMethods ?? h.map { HostnameRules.list($0.authMethods, of: AuthMethod.self).map(\.rawValue) } ?? AuthMethod.allCases.map(\.rawValue)
        let reseller = f?.reseller ?? h?.resellerID.map(String.init) ?? ""
        var fields: [Field] = [
            Field("hostname", "Hostname", value: f?.hostname ?? h?.hostname ?? "", help: "e.g. tv.example.com — the address the app or WebTV site is configured with.", required: true),
            Field("reseller", "Reseller", type: "select", options: [FieldOption(value: "", label: "none: the operator's own brand", selected: reseller.isEmpty)]
                    + resellers.map { FieldOption(value: String($0.id!), label: $0.name, selected: String($0.id!) == reseller) },
                  help: "A reseller's hostname shows its logo, colours and support text in the apps."),
            defaultUIField(h?.defaultUIID, raw: rawDefaultUI, choices: try await UserInterfaceService.all(ctx.env.db, deploymentID: ctx.deploymentID)),
            Field("authMethods[]", "Sign-in methods offered", type: "checkboxes",
                  options: AuthMethod.allCases.map { FieldOption(value: $0.rawValue, label: $0.label, selected: methods.contains($0.rawValue)) }),
            Field("platforms[]", "Allowed device platforms", type: "checkboxes",
                  options: DevicePlatform.allCases.map { FieldOption(value: $0.rawValue, label: $0.label, selected: platforms.contains($0.rawValue)) }),
        ]
        for code in codes {
            let lang = HostnameRules.language(code)
            fields.append(Field(loginKey(code), "Login screen text (\(lang.name))", type: "textarea", value: login[code] ?? "",
                                help: code == "en" ? "Shown beside the login form, e.g. how to get an account or reach support." : nil))
            fields.append(Field(disclaimerKey(code), "Disclaimer (\(lang.name))", type: "textarea", value: disclaimers[code] ?? ""))
        }
        fields += [
            Field("newLanguage", "Add texts in another language", value: f?.newLanguage ?? "", help: "A language code such as ar, nl or pt-br; fill in the two texts below."),
            Field(loginKey("new"), "Login screen text (new language)", type: "textarea", value: ""),
            Field(disclaimerKey("new"), "Disclaimer (new language)", type: "textarea", value: ""),
            Field("supportEmail", "Support e-mail", type: "email", value: f?.supportEmail ?? h?.supportEmail ?? "", help: "Empty: the deployment's company e-mail."),
            Field("supportPhone", "Support phone", value: f?.supportPhone ?? h?.supportPhone ?? ""),
            Field("supportWebsite", "Support website", value: f?.supportWebsite ?? h?.supportWebsite ?? ""),
            Field("supportText", "Support text", type: "textarea", value: f?.supportText ?? h?.supportText ?? ""),
            Field("androidStoreURL", "Google Play link", value: f?.androidStoreURL ?? h?.androidStoreURL ?? "", help: "Shown on WebTV; empty for none."),
            Field("iosStoreURL", "App Store link", value: f?.iosStoreURL ?? h?.iosStoreURL ?? ""),
        ]
        var vm = FormVM(heading: "", intro: nil, action: h.map { "/uit/hostnames/\($0.id!)" } ?? "/uit/hostnames", fields: fields,
                        submitLabel: h == nil ? "Add hostname" : "Save hostname", cancelHref: "/uit/hostnames", formError: nil)
        if let error {
            vm.apply(error)
            // Per-language texts are checked as a whole; show the message on the first text box.
            for key in ["loginTexts", "disclaimers"] {
                if let m = error.fields[key], let i = vm.fields.firstIndex(where: { $0.name.hasPrefix(key == "loginTexts" ? "loginSide_" : "disclaimer_") }) {
                    vm.fields[i].error = "Texts " + m
                }
            }
        }
        return vm
    }

    /// The languages the form shows text boxes for: those of the deployment's hostnames (English
    /// first) and those this hostname has.
    static func languageCodes(_ ctx: UITContext, _ h: HostnameModel?) async throws -> [String] {
        var codes = try await HostnameService.languages(on: ctx.env.db, deploymentID: ctx.deploymentID)
        let own = Array((h?.loginTextsByLanguage ?? [:]).keys) + Array((h?.disclaimersByLanguage ?? [:]).keys)
        for c in own.sorted() where !codes.contains(c) { codes.append(c) }
        return codes
    }

    /// Reads the per-language texts of the form, including a newly added language.
    static func texts(_ req: Request, _ f: HostForm, codes: [String]) -> (login: [String: String], disclaimers: [String: String]) {
        func value(_ key: String) -> String? { try? req.content.get(String.self, at: key) }
        var login: [String: String] = [:], disclaimers: [String: String] = [:]
        for code in codes {
            if let t = value(loginKey(code)) { login[code] = t }
            if let t = value(disclaimerKey(code)) { disclaimers[code] = t }
        }
        let code = (f.newLanguage ?? "").trimmingCharacters(in: .whitespaces)
        if !code.isEmpty {
            let key = HostnameRules.languageCode(code) ?? code
            if let t = value(loginKey("new")), !t.isEmpty { login[key] = t }
            if let t = value(disclaimerKey("new")), !t.isEmpty { disclaimers[key] = t }
        }
        return (login, disclaimers)
    }

    static func input(_ req: Request, _ f: HostForm, codes: [String]) throws -> HostnameService.Input {
        var input = HostnameService.Input(hostname: f.hostname ?? "")
        input.resellerID = Int(f.reseller ?? "")
        input.defaultUIID = try defaultUIID(from: req)
        let t = texts(req, f, codes: codes)
        input.loginTexts = t.login
        input.disclaimers = t.disclaimers
        input.supportEmail = f.supportEmail ?? ""
        input.supportPhone = f.supportPhone ?? ""
        input.supportWebsite = f.supportWebsite ?? ""
        input.supportText = f.supportText ?? ""
        input.platforms = f.platforms ?? []
        input.authMethods = f.authMethods ?? []
        input.androidStoreURL = f.androidStoreURL ?? ""
        input.iosStoreURL = f.iosStoreURL ?? ""
        if let code = f.newLanguage, !code.trimmingCharacters(in: .whitespaces).isEmpty, HostnameRules.languageCode(code) == nil {
            throw DomainError.validation(["newLanguage": "is not a language code; use e.g. ar, nl or pt-br"])
        }
        return input
    }

    static func formPage(_ req: Request, _ h: HostnameModel?, _ vm: FormVM, status: HTTPStatus = .ok) async throws -> Response {
        let page = SectionsVM(heading: h.map { "Hostname \($0.hostname)" } ?? "Add a hostname",
                              intro: "Texts are shown in the subscriber's language, else in English. Empty support fields use the deployment's company info.",
                              buttons: [Button(label: "Hostnames", href: "/uit/hostnames", primary: false)], tabs: [], sections: [Section(title: nil, form: vm)])
        return try await Layout.render(req, "sections", title: h?.hostname ?? "Add a hostname", page, status: status)
    }

    static func newForm(_ req: Request) async throws -> Response {
        let ctx = try await context(req)
        return try await formPage(req, nil, try await formVM(ctx, nil, nil, texts: nil, error: nil))
    }

    static func editForm(_ req: Request) async throws -> Response {
        let ctx = try await context(req)
        let h = try await HostnameService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        return try await formPage(req, h, try await formVM(ctx, h, nil, texts: nil, error: nil))
    }

    static func create(_ req: Request) async throws -> Response {
        try await save(req, id: nil)
    }

    static func update(_ req: Request) async throws -> Response {
        try await save(req, id: try req.parameters.require("id", as: Int.self))
    }

    static func save(_ req: Request, id: Int?) async throws -> Response {
        let ctx = try await context(req)
        var existing: HostnameModel? = nil
        if let id { existing = try await HostnameService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id) }
        let f = try req.content.decode(HostForm.self)
        let codes = try await languageCodes(ctx, existing)
        do {
            let input = try input(req, f, codes: codes)
            let h: HostnameModel
            if let id {
                h = try await HostnameService.update(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id, input: input)
            } else {
                h = try await HostnameService.create(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: input)
            }
            req.flash(.success, existing == nil ? "Hostname \(h.hostname) added." : "Hostname \(h.hostname) saved.")
            return req.redirect(to: "/uit/hostnames", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            let vm = try await formVM(ctx, existing, f, texts: texts(req, f, codes: codes), rawDefaultUI: try? req.content.get(String.self, at: DefaultUIChoice.field), error: e)
            return try await formPage(req, existing, vm, status: e.kind == .conflict ? .conflict : .unprocessableEntity)
        }
    }

    static func confirmDelete(_ req: Request) async throws -> Response {
        let ctx = try await context(req)
        let h = try await HostnameService.find(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: try req.parameters.require("id", as: Int.self))
        let vm = ConfirmVM(heading: "Delete \(h.hostname)?",
                           message: "Apps configured with \(h.hostname) will no longer find this deployment, and super-hostname service ids that open it are removed.",
                           action: "/uit/hostnames/\(h.id!)/delete", buttonLabel: "Delete hostname", cancelHref: "/uit/hostnames")
        return try await Layout.render(req, "confirm", title: "Delete \(h.hostname)", vm)
    }

    static func delete(_ req: Request) async throws -> Response {
        let ctx = try await context(req)
        let id = try req.parameters.require("id", as: Int.self)
        return try await req.flashing(redirectTo: "/uit/hostnames") {
            try await HostnameService.delete(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, id: id)
            return "Hostname deleted."
        }
    }
}
