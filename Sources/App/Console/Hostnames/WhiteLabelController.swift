import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// The console's own brand (Top panel › White Labelling, owner only) and a reseller's console
/// brand (a tab of the reseller), plus the two public pieces every page and the login page load:
/// the theme stylesheet and the logo.
enum WhiteLabelController {
    static func register(_ console: any RoutesBuilder, signedIn: any RoutesBuilder) {
        // Public: the login page shows the brand before anyone signs in.
        console.get("console-brand", "theme.css", use: theme)
        console.get("console-brand", ":id", "logo", use: logo)
        let owner = signedIn.grouped("settings", "white-labelling").grouped(RequirePermission(permission: .manageSystemUsers))
        owner.get(use: page)
        owner.on(.POST, body: .collect(maxSize: "2mb"), use: save)
        let r = signedIn.grouped("crm", "resellers").grouped(RequirePermission(permission: .crm))
        r.get(":id", "console-branding", use: resellerPage)
        r.grouped(RequirePermission(permission: .manageSystemUsers)).on(.POST, ":id", "console-branding", body: .collect(maxSize: "2mb"), use: saveReseller)
    }

    // MARK: Public pieces

    /// `:root` colours for the brand. A stylesheet rather than an inline style: the console's
    /// CSP allows styles from this server only.
    static func theme(_ req: Request) async throws -> Response {
        guard let raw = req.query[String.self, at: "colour"], let colour = BrandingRules.colour("#" + raw), !colour.isEmpty else {
            throw Abort(.notFound)
        }
        let css = ":root { --brand: \(colour); --brand-ink: \(ink(on: colour)); }\n"
        let response = Response(status: .ok, body: .init(string: css))
        response.headers.replaceOrAdd(name: .contentType, value: "text/css; charset=utf-8")
        // The address holds the colour, so the answer never changes.
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=31536000, immutable")
        return response
    }

    /// Dark text on light brand colours, white on dark ones (relative luminance, WCAG weights).
    static func ink(on colour: String) -> String {
        let hex = Array(colour.dropFirst())
        func channel(_ i: Int) -> Double {
            let v = Double(Int(String(hex[i..<i + 2]), radix: 16) ?? 0) / 255
            return v <= 0.03928 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4)
        }
        let l = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
        return l > 0.45 ? "#1D2433" : "#FFFFFF"
    }

    static func logo(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id", as: Int.self), let found = try await ConsoleBrandService.logo(on: req.db, brandID: id) else {
            throw Abort(.notFound)
        }
        let response = Response(status: .ok, body: .init(data: found.0))
        response.headers.replaceOrAdd(name: .contentType, value: found.1)
        // Pages link the logo with its content hash (?v=), so a new logo is a new address.
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=86400")
        return response
    }

    // MARK: Forms

    struct BrandForm: Content {
        var name: String?; var primaryColour: String?; var supportContact: String?; var consoleDomain: String?
        var logo: File?; var removeLogo: String?
    }

    static func sections(_ b: ConsoleBrandModel, action: String, fallbackNote: String?, form f: BrandForm?, error: DomainError?) -> [Section] {
        var vm = FormVM(heading: "", intro: fallbackNote, action: action, fields: [
            Field("name", "Console name", value: f?.name ?? b.name, help: "Shown in the top bar, the page titles and on the login page."),
            Field("primaryColour", "Primary colour", value: f?.primaryColour ?? b.primaryColour, help: "e.g. #0F766E for buttons, links and the active menu item; empty for the default."),
            Field("supportContact", "Support contact", value: f?.supportContact ?? b.supportContact, help: "An e-mail address, phone number or web address shown on the login page and under the menu."),
            Field("consoleDomain", "Custom console domain", value: f?.consoleDomain ?? (b.consoleDomain ?? ""),
                  help: "e.g. console.example.com, pointed at this server: its login page shows this brand."),
            Field("logo", "Logo", type: "file", help: "PNG, JPEG or WebP; at most 256 KiB and 800 px on each side."),
        ] + (b.logoData == nil ? [] : [Field("removeLogo", "Remove the logo", type: "checkbox")]),
                        submitLabel: "Save brand", cancelHref: nil, formError: nil, multipart: true)
        if let error { vm.apply(error) }
        var images: [ImagePreview] = []
        if let data = b.logoData, let id = b.id {
            images.append(ImagePreview(label: "Logo", src: "/console-brand/\(id)/logo?v=\(b.logoSHA256.prefix(16))", caption: "\(data.count < 1024 ? "\(data.count) bytes" : "\(data.count / 1024) KiB"), \(b.logoType)"))
        }
        let current = Section(title: "Current brand", details: [
            KeyValue(key: "Name", value: b.name.isEmpty ? "(default)" : b.name, mono: false),
            KeyValue(key: "Primary colour", value: b.primaryColour.isEmpty ? "(default)" : b.primaryColour, mono: true),
            KeyValue(key: "Support contact", value: b.supportContact.isEmpty ? "(none)" : b.supportContact, mono: false),
            KeyValue(key: "Console domain", value: b.consoleDomain ?? "(none)", mono: true),
        ], images: images)
        return [current, Section(title: "Change the brand", form: vm)]
    }

    static func input(_ req: Request, _ f: BrandForm) -> ConsoleBrandService.Input {
        var input = ConsoleBrandService.Input(name: f.name ?? "", primaryColour: f.primaryColour ?? "", supportContact: f.supportContact ?? "",
                                              consoleDomain: f.consoleDomain ?? "")
        input.logo = f.logo.flatMap { $0.data.readableBytes > 0 ? Array(buffer: $0.data) : nil }
        input.removeLogo = Bool(checkbox: f.removeLogo)
        return input
    }

    // MARK: Installation (owner)

    static let installationNote = "The operator console's look for everyone who is not signed in as a reseller: the login page, the top bar and the colours. Resellers can get a brand of their own on their page (CRM › Resellers › Console Branding); their empty fields fall back to these."

    static func page(_ req: Request) async throws -> Response {
        try await render(req, form: nil, error: nil)
    }

    static func render(_ req: Request, form f: BrandForm?, error: DomainError?) async throws -> Response {
        let actor = try req.actor
        let b = try await ConsoleBrandService.installation(req.serviceEnvironment, actor: actor)
        var all = sections(b, action: "/settings/white-labelling", fallbackNote: "Empty fields keep TVMS's own look.", form: f, error: error)
        let resellers = try await ConsoleBrandService.resellerBrands(req.serviceEnvironment, actor: actor)
        all.append(Section(title: "Reseller brands", intro: "Resellers see their own brand when they sign in, and on their custom console domain before they do.",
                           table: .simple(["Reseller", "Console name", "Colour", "Console domain"], resellers.map { brand, r in
                               Row(cells: [Cell(r.name, href: "/crm/resellers/\(r.id!)/console-branding"), Cell(brand.name.isEmpty ? "(installation's)" : brand.name),
                                           Cell(brand.primaryColour.isEmpty ? "(installation's)" : brand.primaryColour, mono: true), Cell(brand.consoleDomain ?? "", mono: true)],
                                   actions: [])
                           }, empty: "No reseller has a console brand yet.")))
        let vm = SectionsVM(heading: "White Labelling", intro: installationNote, buttons: [], tabs: [], sections: all)
        return try await Layout.render(req, "sections", title: "White Labelling", vm, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func save(_ req: Request) async throws -> Response {
        let f = try req.content.decode(BrandForm.self)
        do {
            _ = try await ConsoleBrandService.saveInstallation(req.serviceEnvironment, actor: try req.actor, input: input(req, f))
            req.flash(.success, "Console brand saved.")
            return req.redirect(to: "/settings/white-labelling", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            return try await render(req, form: f, error: e)
        }
    }

    // MARK: A reseller's console brand

    static let resellerNote = "How the operator console looks to this reseller's own logins, and to anyone on its custom console domain. Empty fields use the installation's brand."

    static func resellerPage(_ req: Request) async throws -> Response {
        try await renderReseller(req, form: nil, error: nil)
    }

    static func renderReseller(_ req: Request, form f: BrandForm?, error: DomainError?) async throws -> Response {
        let (ctx, r) = try await ResellerPagesController.load(req)
        let b = try await ConsoleBrandService.reseller(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!)
        var all = sections(b, action: "/crm/resellers/\(r.id!)/console-branding", fallbackNote: nil, form: f, error: error)
        if !ctx.actor.may(.manageSystemUsers) {
            // Operators see the brand; changing it is the owner's (see ConsoleBrandService.saveReseller).
            all = [all[0], Section(title: nil, intro: "Only the installation's owner changes console brands.")]
        }
        return try await ResellerPagesController.page(req, r, tab: "Console Branding", intro: resellerNote, all, status: error == nil ? .ok : .unprocessableEntity)
    }

    static func saveReseller(_ req: Request) async throws -> Response {
        let (ctx, r) = try await ResellerPagesController.load(req)
        let f = try req.content.decode(BrandForm.self)
        do {
            _ = try await ConsoleBrandService.saveReseller(ctx.env, actor: ctx.actor, deploymentID: ctx.deploymentID, resellerID: r.id!, input: input(req, f))
            req.flash(.success, "Console brand saved.")
            return req.redirect(to: "/crm/resellers/\(r.id!)/console-branding", redirectType: .normal)
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict {
            return try await renderReseller(req, form: f, error: e)
        }
    }
}

/// The brand a console page is drawn in (ConsoleBrandService.resolve), as the templates use it.
struct BrandVM: Encodable {
    var name: String
    /// The theme stylesheet's address when the brand has a colour.
    var themeHref: String?
    var logo: String?
    var support: String?

    init(_ b: ConsoleBrandService.Brand) {
        name = b.name
        themeHref = b.primaryColour.isEmpty ? nil : "/console-brand/theme.css?colour=" + b.primaryColour.dropFirst()
        logo = b.logoPath
        support = b.supportContact.isEmpty ? nil : b.supportContact
    }
}

extension Request {
    /// The console brand for this request: its Host and, when signed in, the user's reseller.
    func consoleBrand(resellerID: Int?) async throws -> BrandVM {
        BrandVM(try await ConsoleBrandService.resolve(on: db, host: headers.first(name: .host), resellerID: resellerID))
    }
}
