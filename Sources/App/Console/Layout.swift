import Domain
import Fluent
import Foundation
import Services
import Storage
import Vapor

/// Builds the shell every console page shares (navigation, user, flashes, deployment switcher)
/// and renders a page template inside it.
enum Layout {
    /// The manual's navigation. Areas not built yet are listed greyed out so operators see the
    /// whole map; items a role may not use are left out.
    static func navigation(for actor: Principal, path: String) -> [NavSection] {
        func item(_ label: String, _ href: String?, _ permission: Permission?, sub: Bool = false) -> NavItem? {
            if let permission, !actor.may(permission) { return nil }
            guard let href else { return NavItem(label: label, href: nil, active: false, disabled: true, sub: sub) }
            return NavItem(label: label, href: href, active: false, disabled: false, sub: sub)
        }
        let sections: [(String, [NavItem?])] = [
            // Only a reseller's own account has a portal; operator staff manage resellers under CRM.
            ("Reseller portal", actor.resellerID == nil ? [] : [
                item("Dashboard", "/portal", .resellerPortal),
                item("My customers", "/portal/customers", .resellerPortal),
                item("Balance log", "/portal/ledger", .resellerPortal),
                item("Performance", "/portal/performance", .resellerPortal),
                item("Branding", "/portal/branding", .resellerPortal),
            ]),
            ("Top panel", [
                actor.resellerID == nil ? item("Home", "/", .viewHome) : nil,
                item("System Users", "/system-users", .manageSystemUsers),
                item("Time Zone", "/settings/time-zone", .manageDeploymentSettings),
                item("Company Info", "/settings/company", .manageDeploymentSettings),
                item("User Logs", "/user-logs", .viewAuditLog),
                item("Jobs", "/jobs", .viewJobs),
                item("SendGrid", nil, .manageSystemUsers),
                item("Super Hostname", nil, .manageSystemUsers),
                item("White Labelling", nil, .manageSystemUsers),
            ]),
            ("CMS", [item("Channels", "/cms/channels", .cms), item("UI Groups", "/cms/ui-groups", .cms), item("TV Packages", "/cms/packages", .cms),
                     item("EPG Urls", "/cms/epg", .cms), item("EPG Overview", "/cms/epg/overview", .cms), item("EPG Builder", "/cms/epg/builder", .cms),
                     item("Movies", "/cms/movies", .cms), item("Series", "/cms/series", .cms), item("Education", "/cms/education", .cms),
                     item("Music", "/cms/music", .cms), item("Apps", "/cms/apps", .cms), item("Import/Export", "/cms/import-export", .cms),
                     item("Publish", "/cms/publish", .cms),
                     item("Transcoders", "/cms/transcoders", .cms), item("Add a transcoder", "/cms/transcoders/new", .cms, sub: true),
                     item("CDN Hostnames", "/cms/transcoders/cdn", .cms, sub: true), item("DVR Storage", "/cms/transcoders/dvr", .cms, sub: true),
                     item("FLS Mapping", "/cms/transcoders/mappings", .cms, sub: true), item("FLS Config", "/cms/transcoders/config", .cms, sub: true),
                     item("FLS Health", "/cms/transcoders/health", .cms, sub: true),
                     item("Settings", "/cms/settings", .cms), item("BuyDRM", "/cms/settings/drm/buydrm", .cms, sub: true),
                     item("Irdeto", "/cms/settings/drm/irdeto", .cms, sub: true), item("Token Settings", "/cms/settings/tokens", .cms, sub: true)]),
            ("CRM", [item("Customers", "/crm/customers", .crm)]
                + [item("Tickets", nil, .crm), item("Stocks", "/crm/stock", .crm), item("Models", "/crm/models", .crm), item("Dealers", "/crm/dealers", .crm)]
                + [item("Resellers", "/crm/resellers", .crm)]
                + [item("Products", "/crm/products", .crm), item("API Provisions", "/crm/provisions", .crm)]
                + [item("Advertisement", nil, .crm), item("Webshops", "/crm/webshops", .crm), item("Communication", nil, .crm)]
                + [item("Currencies", "/crm/currencies", .crm)]),
            ("MIQ", ["Dashboard", "Usages", "Content", "Location", "Hardware", "Network", "Software", "System Health", "Advertisement", "Financial"].map { item($0, nil, .miq) }),
            ("UIT", [item("User Interfaces", "/uit/user-interfaces", .uit),
                     item("Hostnames", nil, .uit),
                     item("Templates", "/uit/templates", .uit),
                     item("Languages", "/uit/languages", .uit),
                     item("Menu Apps", "/uit/menu-apps", .uit)]),
            ("API", [
                item("API Connector", "/settings/api", .apiConnector),
                item("REST API docs", "/api/v1/docs", .useRestAPI),
                item("My account & tokens", "/account", nil),
            ]),
        ]
        // One item is highlighted: the one whose address is the longest prefix of this page's
        // (so /portal/customers/7 marks "My customers", not also "Dashboard" at /portal).
        func matches(_ href: String) -> Bool { href == "/" ? path == "/" : (path == href || path.hasPrefix(href + "/")) }
        let best = sections.flatMap { $0.1 }.compactMap { $0?.href }.filter(matches).max { $0.count < $1.count }
        return sections.compactMap { title, items in
            let list = items.compactMap { $0 }.map { i in
                var i = i
                i.active = i.href != nil && i.href == best
                return i
            }
            return list.isEmpty ? nil : NavSection(title: title, items: list)
        }
    }

    static func render<Body: Encodable>(_ req: Request, _ template: String, title: String, _ body: Body, status: HTTPStatus = .ok) async throws -> Response {
        let user = try req.requireConsoleUser()
        let deployments = try await DeploymentService.list(req.serviceEnvironment, actor: user.actor)
        let current = try await req.currentDeployment()
        let layout = LayoutVM(
            title: title, userName: user.user.name, userEmail: user.user.email,
            roleLabel: Role(rawValue: user.user.role)?.label ?? user.user.role, csrf: req.csrfToken,
            nav: navigation(for: user.actor, path: req.url.path), flashes: req.takeFlashes(),
            deploymentName: current?.name,
            deployments: deployments.map { DeploymentOption(id: $0.id!.uuidString, name: $0.name, current: $0.id == current?.id) })
        let view = try await req.view.render(template, PageVM(layout: layout, page: body))
        let response = try await view.encodeResponse(for: req)
        response.status = status
        return response
    }
}

extension Request {
    /// POST → redirect → GET for console actions: on success the returned message is flashed; a
    /// refusal the user can act on (invalid, conflict, forbidden) is flashed as an error instead.
    /// Anything else (not found, a server fault) goes to the error page.
    func flashing(redirectTo path: String, _ action: () async throws -> String) async throws -> Response {
        do {
            flash(.success, try await action())
        } catch let e as DomainError where e.kind == .invalid || e.kind == .conflict || e.kind == .forbidden {
            flash(.error, e.flashText)
        }
        return redirect(to: path, redirectType: .normal)
    }

    /// The deployment the console is working in: the one picked on the home page if the user may
    /// still see it, else the first one they can see.
    func currentDeployment() async throws -> DeploymentModel? {
        let actor = try self.actor
        if let raw = session.data["did"], let id = UUID(uuidString: raw), actor.canAccess(deployment: id),
           let d = try await DeploymentModel.find(id, on: db) {
            return d
        }
        let first = try await DeploymentService.list(serviceEnvironment, actor: actor).first
        session.data["did"] = first?.id?.uuidString
        return first
    }

    func requireCurrentDeployment() async throws -> DeploymentModel {
        guard let d = try await currentDeployment() else {
            throw DomainError(.notFound, code: "no_deployment", "There is no deployment yet. Create one from the home page first.")
        }
        return d
    }

    func dateDisplay() async throws -> DateDisplay {
        DateDisplay(timeZone: try await currentDeployment()?.timeZone)
    }
}

/// Errors on console pages: a standalone page (the user may not be logged in).
enum ErrorPage {
    struct VM: Encodable { var status: Int; var title: String; var message: String }

    static func render(_ req: Request, status: HTTPStatus, message: String) async throws -> Response {
        let vm = VM(status: Int(status.code), title: status.reasonPhrase, message: message)
        let view = try await req.view.render("error", vm)
        let response = try await view.encodeResponse(for: req)
        response.status = status
        return response
    }
}
