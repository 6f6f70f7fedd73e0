import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// CMS › Settings › Token Settings, BuyDRM and Irdeto. Secrets are write-only: the forms never
/// carry them back, the pages show only a hint, and an empty field keeps the stored one.
enum DeliverySettingsPages {
    static func register(_ console: any RoutesBuilder) {
        let s = console.grouped("cms", "settings").grouped(RequirePermission(permission: .cms))
        s.get("tokens", use: tokens)
        s.post("tokens", ":type", use: saveToken)
        s.get("drm", ":vendor", use: drm)
        s.post("drm", ":vendor", use: saveDRM)
    }

    // MARK: Token settings

    /// The option keys each scheme accepts (docs/DELIVERY.md); `param` names the query
    /// parameter where the scheme has one. A test checks each against StreamTokenOptions.
    static let optionKeys: [StreamTokenScheme: [(key: String, example: String)]] = [
        .nginx: [("expression", "$secure_link_expires$uri$remote_addr $secret"), ("hash_param", "st"), ("expires_param", "e"), ("scope", "path | directory")],
        .flussonic: [("salt", "fixed salt, no '-'"), ("stream", "stream name to hash"), ("hash_path", "on | off"), ("start_leeway", "300")],
        .wowza: [("prefix", "wowzatoken"), ("algorithm", "sha256 | sha384 | sha512"), ("param.NAME", "a custom public parameter")],
        .nimble: [("valid_minutes", "minutes"), ("signed_stream", "on | off"), ("ppv", "on | off: the user id as pay-per-view id")],
        .akamai: [("algorithm", "sha256 | sha1 | md5"), ("type", "acl | url"), ("acl", "/live/*"), ("salt", "salt"), ("session_id", "id")],
    ]

    static func optionsHelp(_ scheme: StreamTokenScheme) -> String {
        var keys = (optionKeys[scheme] ?? []).map { "\($0.key) (\($0.example))" }
        if scheme.defaultParameterName != nil { keys.append("param (the query parameter, default \(scheme.defaultParameterName!))") }
        return "One key=value per line; # starts a comment. Keys: " + keys.joined(separator: "; ") + "."
    }

    struct TokenForm: Content { var secret: String?; var lifetimeSeconds: String?; var bindIP: String?; var options: String?; var enabled: String? }

    static let tokenFields: Set<String> = ["secret", "lifetimeSeconds", "bindIP", "options", "enabled"]

    /// The signer names problems by option (`foo`, `options.expression`, `parameterName`); the
    /// form has one options box, so they are shown there, each with its key.
    static func onForm(_ e: DomainError) -> DomainError {
        var fields: [String: String] = [:]
        var options: [String] = []
        for (key, message) in e.fields.sorted(by: { $0.key < $1.key }) {
            if tokenFields.contains(key) { fields[key] = message; continue }
            if key == "tokenType" { fields["form"] = message; continue }
            let name = key == "parameterName" ? "param" : key.hasPrefix("options.") ? String(key.dropFirst(8)) : key
            options.append("“\(name)” \(message)")
        }
        if !options.isEmpty { fields["options"] = ([fields["options"]].compactMap { $0 } + options).joined(separator: "; ") }
        return fields.isEmpty ? e : DomainError.validation(fields)
    }

    static func tokenForm(type: String, scheme: StreamTokenScheme, f: TokenForm, hint: String) -> FormVM {
        FormVM(heading: "", intro: nil, action: "/cms/settings/tokens/\(type)", fields: [
            Field("secret", scheme == .akamai ? "Key (hex)" : "Secret", type: "password",
                  help: hint.isEmpty ? "The secret shared with the edge. Stored sealed; never shown again." : "A secret ending in \(hint) is stored. Leave empty to keep it.",
                  autocomplete: "new-password"),
            Field("lifetimeSeconds", "Link lifetime (seconds)", type: "number", value: f.lifetimeSeconds ?? "3600", help: "10 s to 7 days; a signed link expires this long after it is handed out."),
            Field("bindIP", "Bind links to the client IP", type: "checkbox", value: f.bindIP ?? ""),
            Field("options", "Options", type: "textarea", value: f.options ?? "", help: optionsHelp(scheme)),
            Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
        ], submitLabel: "Save \(ChannelsController.tokenLabels[type] ?? type)", cancelHref: nil, formError: nil)
    }

    static func tokens(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        return try await renderTokens(req, ctx, failed: nil)
    }

    static func renderTokens(_ req: Request, _ ctx: CRMContext, failed: (type: String, form: TokenForm, error: DomainError)?) async throws -> Response {
        let stored = Dictionary(uniqueKeysWithValues: try await DeliverySettingsService.tokenSettings(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).map { ($0.tokenType, $0) })
        var sections: [Section] = []
        for type in DeliverySettingsService.signedTokenTypes {
            guard let scheme = StreamTokenSigning.schemes[type] else { continue }
            let s = stored[type]
            let f = failed?.type == type ? failed!.form
                : s.map { TokenForm(secret: nil, lifetimeSeconds: String($0.lifetimeSeconds), bindIP: $0.bindIP ? "on" : nil, options: $0.options, enabled: $0.enabled ? "on" : nil) }
                ?? TokenForm(secret: nil, lifetimeSeconds: "3600", bindIP: nil, options: "", enabled: "on")
            var form = tokenForm(type: type, scheme: scheme, f: f, hint: s?.secretHint ?? "")
            if let failed, failed.type == type { form.apply(failed.error) }
            let details = s.map { s in
                [KeyValue(key: "Status", value: s.enabled ? "configured" : "configured, disabled", mono: false),
                 KeyValue(key: "Secret", value: s.secretHint, mono: true),
                 KeyValue(key: "Lifetime", value: "\(s.lifetimeSeconds) s", mono: false),
                 KeyValue(key: "Bound to client IP", value: s.bindIP ? "yes" : "no", mono: false)]
            } ?? [KeyValue(key: "Status", value: "not configured: channels and items with this token type are played unsigned until it is", mono: false)]
            sections.append(Section(title: ChannelsController.tokenLabels[type] ?? type, details: details, form: form))
        }
        sections.append(try await ticketSection(ctx, failed: failed))
        let vm = SectionsVM(heading: "Token Settings",
                            intro: "How stream addresses are signed for each token type a channel or item can use (docs/DELIVERY.md describes each scheme and its edge configuration). Secrets are write-only.",
                            buttons: [Button(label: "BuyDRM", href: "/cms/settings/drm/buydrm", primary: false), Button(label: "Irdeto", href: "/cms/settings/drm/irdeto", primary: false)],
                            tabs: [], sections: sections)
        return try await Layout.render(req, "sections", title: "Token Settings", vm, status: failed == nil ? .ok : .unprocessableEntity)
    }

    static func saveToken(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let type = try req.parameters.require("type")
        if type == StreamCallbackService.ticketTokenType { return try await saveTicket(req, ctx) }
        guard DeliverySettingsService.signedTokenTypes.contains(type) else { throw DomainError.notFound("The token type") }
        var f = try req.content.decode(TokenForm.self)
        do {
            var errors = FieldErrors()
            var i = DeliverySettingsService.TokenInput()
            i.tokenType = type
            i.secret = f.secret
            i.lifetimeSeconds = DeliveryConsole.int(f.lifetimeSeconds, "lifetimeSeconds", empty: 3600, into: &errors)
            i.bindIP = Bool(checkbox: f.bindIP)
            i.options = (f.options ?? "").replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            i.enabled = Bool(checkbox: f.enabled)
            try errors.throwIfAny()
            let saved = try await DeliverySettingsService.saveTokenSetting(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: i)
            req.flash(.success, "\(ChannelsController.tokenLabels[type] ?? type) saved (secret \(saved.secretHint)).")
            return req.redirect(to: "/cms/settings/tokens", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            f.secret = nil
            return try await renderTokens(req, ctx, failed: (type, f, onForm(e)))
        }
    }

    // MARK: TVMS tickets (callback adapters)

    /// The ticket's block: no secret (the key derives from the installation key), lifetime,
    /// IP binding and the query parameter; stored as the token setting of type `callback`.
    static func ticketSection(_ ctx: CRMContext, failed: (type: String, form: TokenForm, error: DomainError)?) async throws -> Section {
        let type = StreamCallbackService.ticketTokenType
        let s = try await StreamCallbackService.ticketSetting(ctx.env, deploymentID: ctx.deploymentID)
        let f = failed?.type == type ? failed!.form
            : TokenForm(secret: nil, lifetimeSeconds: String(s.lifetimeSeconds), bindIP: s.bindIP ? "on" : nil,
                        options: s.parameter == "token" ? "" : "param=\(s.parameter)", enabled: s.enabled ? "on" : nil)
        var form = FormVM(heading: "", intro: nil, action: "/cms/settings/tokens/\(type)", fields: [
            Field("lifetimeSeconds", "Ticket lifetime (seconds)", type: "number", value: f.lifetimeSeconds ?? "3600",
                  help: "60 s to 7 days: how long a ticket may open a new session. A session that is running goes on while its playback is live."),
            Field("bindIP", "Bind tickets to the client IP", type: "checkbox", value: f.bindIP ?? ""),
            Field("options", "Options", type: "textarea", value: f.options ?? "",
                  help: "param=NAME: the query parameter the ticket travels in (default token; Flussonic reads only token)."),
            Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
        ], submitLabel: "Save TVMS ticket", cancelHref: nil, formError: nil)
        if let failed, failed.type == type { form.apply(failed.error) }
        return Section(title: ChannelsController.tokenLabels[type] ?? type,
                       intro: "Items with this token type get ?\(s.parameter)=<ticket>; the streaming server asks TVMS about it through its callback URL (CMS › Transcoders › a server). Items with Nimble WMSAuth with pay-per-view use the Nimble WMSAuth setting above with the ticket as the viewer id.",
                       details: [KeyValue(key: "Status", value: s.enabled ? "on" : "off: playback of items with this token type is refused", mono: false),
                                 KeyValue(key: "Secret", value: "none to set: tickets are signed with a key derived from the installation key", mono: false)],
                       form: form)
    }

    static func saveTicket(_ req: Request, _ ctx: CRMContext) async throws -> Response {
        var f = try req.content.decode(TokenForm.self)
        f.secret = nil
        do {
            var errors = FieldErrors()
            let options = DeliverySettingsService.parseOptions(f.options ?? "")
            if let unknown = options.keys.sorted().first(where: { $0 != "param" }) { errors.add("options", "“\(unknown)” is not an option of TVMS tickets (only param)") }
            let lifetime = DeliveryConsole.int(f.lifetimeSeconds, "lifetimeSeconds", empty: 3600, into: &errors)
            try errors.throwIfAny()
            try await StreamCallbackService.saveTicketSetting(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, setting: .init(
                lifetimeSeconds: lifetime, bindIP: Bool(checkbox: f.bindIP), parameter: options["param"] ?? "token", enabled: Bool(checkbox: f.enabled)))
            req.flash(.success, "TVMS ticket saved.")
            return req.redirect(to: "/cms/settings/tokens", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            return try await renderTokens(req, ctx, failed: (StreamCallbackService.ticketTokenType, f, e))
        }
    }

    // MARK: DRM

    static let vendorLabels = ["buydrm": "BuyDRM", "irdeto": "Irdeto"]

    struct DRMForm: Content {
        var accountID: String?; var key: String?; var widevineURL: String?; var playreadyURL: String?; var fairplayURL: String?; var fairplayCertificateURL: String?
        var lifetimeSeconds: String?; var enabled: String?
    }

    static func vendor(_ req: Request) throws -> String {
        let v = try req.parameters.require("vendor")
        guard DeliverySettingsService.drmVendors.contains(v) else { throw DomainError.notFound("The DRM vendor") }
        return v
    }

    static func drm(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let v = try vendor(req)
        let d = try await DeliverySettingsService.drmSettings(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).first { $0.vendor == v }
        let f = d.map { DRMForm(accountID: $0.accountID, key: nil, widevineURL: $0.widevineURL, playreadyURL: $0.playreadyURL, fairplayURL: $0.fairplayURL,
                                fairplayCertificateURL: $0.fairplayCertificateURL, lifetimeSeconds: String($0.lifetimeSeconds), enabled: $0.enabled ? "on" : nil) }
            ?? DRMForm(lifetimeSeconds: "86400", enabled: "on")
        return try await renderDRM(req, v, stored: d, form: f, error: nil)
    }

    static func renderDRM(_ req: Request, _ v: String, stored d: DRMSettingModel?, form f: DRMForm, error: DomainError?) async throws -> Response {
        let label = vendorLabels[v] ?? v
        let hint = d?.keyHint ?? ""
        var form = FormVM(heading: "", intro: nil, action: "/cms/settings/drm/\(v)", fields: [
            Field("accountID", v == "irdeto" ? "Account (tenant) id" : "Account id", value: f.accountID ?? "", required: true),
            Field("key", v == "irdeto" ? "Shared key" : "User key", type: "password",
                  help: hint.isEmpty ? "Signs the licence tokens. Stored sealed; never shown again." : "A key ending in \(hint) is stored. Leave empty to keep it.",
                  autocomplete: "new-password"),
            Field("widevineURL", "Widevine licence URL", value: f.widevineURL ?? ""),
            Field("playreadyURL", "PlayReady licence URL", value: f.playreadyURL ?? ""),
            Field("fairplayURL", "FairPlay licence URL", value: f.fairplayURL ?? ""),
            Field("fairplayCertificateURL", "FairPlay certificate URL", value: f.fairplayCertificateURL ?? ""),
            Field("lifetimeSeconds", "Licence token lifetime (seconds)", type: "number", value: f.lifetimeSeconds ?? "86400", help: "1 minute to 30 days."),
            Field("enabled", "Enabled", type: "checkbox", value: f.enabled ?? ""),
        ], submitLabel: "Save \(label)", cancelHref: nil, formError: nil)
        if let error { form.apply(error) }
        let details = d.map { d in
            [KeyValue(key: "Status", value: d.enabled ? "configured" : "configured, disabled", mono: false), KeyValue(key: "Key", value: d.keyHint, mono: true)]
        } ?? [KeyValue(key: "Status", value: "not configured", mono: false)]
        let vm = SectionsVM(heading: label, intro: "Licence servers for channels and items protected with \(label). Players get the licence URLs and a token signed with the key; the key itself never leaves TVMS.",
                            buttons: [Button(label: "Token Settings", href: "/cms/settings/tokens", primary: false),
                                      Button(label: v == "buydrm" ? "Irdeto" : "BuyDRM", href: "/cms/settings/drm/\(v == "buydrm" ? "irdeto" : "buydrm")", primary: false)],
                            tabs: [], sections: [Section(title: nil, details: details, form: form)])
        return try await Layout.render(req, "sections", title: label, vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func saveDRM(_ req: Request) async throws -> Response {
        let ctx = try await req.cms()
        let v = try vendor(req)
        var f = try req.content.decode(DRMForm.self)
        do {
            var errors = FieldErrors()
            var i = DeliverySettingsService.DRMInput()
            i.vendor = v
            i.accountID = f.accountID ?? ""; i.key = f.key
            func url(_ s: String?) -> String { (s ?? "").trimmingCharacters(in: .whitespaces) }
            i.widevineURL = url(f.widevineURL); i.playreadyURL = url(f.playreadyURL); i.fairplayURL = url(f.fairplayURL); i.fairplayCertificateURL = url(f.fairplayCertificateURL)
            i.lifetimeSeconds = DeliveryConsole.int(f.lifetimeSeconds, "lifetimeSeconds", empty: 86_400, into: &errors)
            i.enabled = Bool(checkbox: f.enabled)
            try errors.throwIfAny()
            let d = try await DeliverySettingsService.saveDRM(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, input: i)
            req.flash(.success, "\(vendorLabels[v] ?? v) saved (key \(d.keyHint)).")
            return req.redirect(to: "/cms/settings/drm/\(v)", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid {
            f.key = nil
            let d = try await DeliverySettingsService.drmSettings(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID).first { $0.vendor == v }
            return try await renderDRM(req, v, stored: d, form: f, error: e)
        }
    }
}
